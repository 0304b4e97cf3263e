"""Writing notifications: rows of the outbox, in the caller's transaction, and a request to
a worker, sent once that transaction has committed, to deliver them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from ..models import ChangeRequest, Notification
from .kinds import KINDS
from .preferences import wants

logger = logging.getLogger(__name__)

# Sending must never hold a workflow step up when the broker is down: one quick try, then the
# beat's send_notifications delivers what is pending.
SEND_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


# Kinds that ``notify`` writes nothing for, inside ``held`` (an import batch sends one summary).
_held: ContextVar[frozenset[str]] = ContextVar("held_notifications", default=frozenset())


@contextmanager
def held(*kinds: str) -> Iterator[None]:
    """Inside this block ``notify`` writes nothing of ``kinds``: the caller sends one
    notification for the whole (an import batch of a thousand submitted studies tells the
    reviewers once, not a thousand times)."""
    token = _held.set(_held.get() | frozenset(kinds))
    try:
        yield
    finally:
        _held.reset(token)


def admin_url(cr: ChangeRequest) -> str:
    """The absolute address of the request's review page in the admin."""
    return settings.SITE_URL + reverse("admin:curation_changerequest_change", args=[cr.pk])


def notify(
    kind: str,
    change_request: ChangeRequest | None,
    actor,
    recipients: Iterable | None = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Write one notification of ``kind`` per recipient (by default the kind's own, see
    ``kinds``), in the caller's transaction, and have them sent after it commits.

    Nobody is told of what they did themselves; inactive people, people without an e-mail
    address and people who turned ``kind`` off are left out. ``context`` is passed to the
    kind's template (with ``cr``, ``actor``, ``recipient``, ``url``, ``site_url``).
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"no notification kind {kind!r}; register it in notifications.kinds")
    if kind in _held.get():
        return []
    if recipients is None:
        recipients = spec.recipients(change_request, actor)
    actor_id = getattr(actor, "pk", None)
    context = dict(context or {})
    seen: set[int] = set()
    rows = []
    for recipient in recipients:
        if recipient is None or recipient.pk in seen or recipient.pk == actor_id:
            continue
        seen.add(recipient.pk)
        if not (recipient.is_active and recipient.email) or not wants(recipient, kind):
            continue
        values = {
            "cr": change_request,
            "actor": actor,
            "recipient": recipient,
            "site_url": settings.SITE_URL,
            "url": admin_url(change_request) if change_request else "",
            "preferences_url": settings.SITE_URL + reverse("admin:notification-preferences"),
            **context,
        }
        subject = spec.subject.format(
            cr=change_request, actor=getattr(actor, "username", ""), **context
        )
        rows.append(
            Notification(
                kind=kind,
                change_request=change_request,
                recipient=recipient,
                actor=actor if actor_id else None,
                to_address=recipient.email,
                subject=" ".join(subject.split())[:300],
                body=render_to_string(spec.template, values),
                dedupe_key=dedupe_key,
            )
        )
    if not rows:
        return []
    for row in rows:
        row.save()  # one by one: the ids are needed on every backend
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: request_delivery(ids))
    return rows


def request_delivery(ids: list[int] | None = None) -> bool:
    """Ask a worker to send these notifications now. A broker that cannot be reached only
    delays them: they stay pending and the beat's send_notifications sends them."""
    from ..tasks import send_notifications  # the task calls delivery, which needs nothing here

    try:
        send_notifications.apply_async(
            kwargs={"ids": ids}, retry=True, retry_policy=SEND_RETRY_POLICY
        )
    except Exception:  # noqa: BLE001 - any broker failure means the same here
        logger.warning(
            "could not send the notification task for %s; the beat will send them",
            ids,
            exc_info=True,
        )
        return False
    return True
