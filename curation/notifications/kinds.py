"""The kinds of notification, listed once: what each is about, who gets it by default, the
subject and the template of its text. A person may turn any of them off
(``preferences``); ``notify`` refuses a kind that is not listed here.

Only kinds that something sends are listed. To add one: add a ``Kind`` here with its
template ``curation/mail/<name>.txt``, and call
``curation.notifications.notify("<name>", change_request, actor, recipients=...)`` from the
service that does the thing, inside its transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from ..models import ChangeRequest


def reviewers() -> Iterable:
    """Active members of the Reviewers group (superusers only if they are members too: an
    administrator is not told of every submission)."""
    from ..services.policy import REVIEW_PERMISSION  # the services call notify: import late

    app_label, codename = REVIEW_PERMISSION.split(".")
    granted = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    ) | Q(
        user_permissions__codename=codename,
        user_permissions__content_type__app_label=app_label,
    )
    ids = get_user_model().objects.filter(granted, is_active=True).values("pk")
    return get_user_model().objects.filter(pk__in=ids).order_by("pk")


def _reviewers_or_claimant(cr: ChangeRequest, actor) -> Iterable:
    if cr.claimed_by_id:
        return [cr.claimed_by]
    return reviewers().exclude(pk=cr.author_id)


@functools.cache
def _reviewers_sql() -> tuple[str, tuple]:
    """``reviewers()`` as SQL selecting whole user rows (``roundtrip.raw_instances``),
    compiled once per process: the query takes nothing from its caller."""
    from ..roundtrip import row_query

    return row_query(reviewers()).query.get_compiler("default").as_sql()


def submitted_recipients_read(cr: ChangeRequest) -> tuple[tuple[str, list], Callable] | None:
    """``_reviewers_or_claimant(cr)`` as a read for a caller sending it with its own
    statements (a proposal's writes): (sql, params) and a function of its rows giving the
    recipients, in the same order. None when there is nothing to read (a claimant)."""
    if cr.claimed_by_id:
        return None
    from ..roundtrip import raw_instances

    sql, params = _reviewers_sql()

    def recipients(rows: list[tuple]) -> list:
        users = raw_instances(get_user_model(), rows)
        return [user for user in users if user.pk != cr.author_id]

    return (sql, list(params)), recipients


def _reviewers_but_actor(cr, actor) -> Iterable:
    return reviewers().exclude(pk=getattr(actor, "pk", None))


def _author(cr: ChangeRequest, actor) -> Iterable:
    return [cr.author]


def _claimant(cr: ChangeRequest, actor) -> Iterable:
    return [cr.claimed_by] if cr.claimed_by_id else []


def _nobody(cr, actor) -> Iterable:
    return []  # the caller names the recipients


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # the preference's label: "A request was submitted for review"
    who: str  # who gets it, for people (the preferences page and the API)
    subject: str  # str.format with cr (the request), actor (username) and the context
    recipients: Callable[[ChangeRequest | None, object], Iterable] = _nobody

    @property
    def template(self) -> str:
        return f"curation/mail/{self.name}.txt"


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "submitted",
            "A change request was submitted for review",
            "reviewers (only the claimant, once a reviewer has claimed it)",
            "[curation] {cr} submitted for review by {actor}",
            _reviewers_or_claimant,
        ),
        Kind(
            "batch_submitted",
            "An import batch submitted change requests for review",
            "reviewers (one mail per batch, instead of one per request)",
            "[curation] import batch {batch.pk}: {count} change requests submitted by {actor}",
            _reviewers_but_actor,
        ),
        Kind(
            "resubmitted",
            "A request you claimed was submitted again",
            "the reviewer who claimed it",
            "[curation] {cr} submitted again by {actor}",
            _claimant,
        ),
        Kind(
            "approved",
            "Your change request was approved",
            "its author",
            "[curation] {cr} approved by {actor}",
            _author,
        ),
        Kind(
            "rejected",
            "Your change request was rejected",
            "its author",
            "[curation] {cr} rejected by {actor}",
            _author,
        ),
        Kind(
            "changes_requested",
            "Changes were asked for on your change request",
            "its author",
            "[curation] {cr}: {actor} asks for changes",
            _author,
        ),
        Kind(
            "commented",
            "Someone commented on your change request",
            "its author",
            "[curation] {cr}: {actor} commented",
            _author,
        ),
        Kind(
            "replied",
            "A reply in a discussion you take part in",
            "the request's author and everyone who wrote in the thread",
            "[curation] {cr}: {actor} replied",
        ),
        Kind(
            "batch_approved",
            "Your change requests were approved in one action",
            "the author of each request in the batch (one mail listing theirs)",
            "[curation] {count} of your change requests approved by {actor}",
        ),
        Kind(
            "taken_over",
            "Another reviewer took over a request you claimed",
            "the reviewer who had claimed it",
            "[curation] {cr} taken over by {actor}",
        ),
        Kind(
            "overdue_digest",
            "Daily digest of overdue requests",
            "reviewers, on days when requests are overdue",
            "[curation] {count} change request(s) overdue for review",
        ),
    )
}


def names() -> list[str]:
    return list(KINDS)
