"""Moving a change request through the workflow (``workflow.ACTIONS``), apart from approval
(``approval``), which also records the event."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import notifications
from ..models import ChangeRequest, Review, ReviewWarnings
from . import workflow
from .inputs import _comment, _locked, _validate


def record_step(
    cr: ChangeRequest, user, action: str, comment: str = "", warnings: list | None = None
) -> ChangeRequest:
    """Move ``cr`` to the state ``action`` leads to and write the review row that says who did
    it (with ``warnings``: the narrative warnings the reviewer was shown); the caller has
    checked that ``user`` may."""
    comment = _comment(comment)
    workflow.ACTIONS[action].check_comment(comment)
    cr.status = workflow.ACTIONS[action].leads_to
    if action == "submit":
        cr.submitted_at = timezone.now()
    if action in ("approve", "reject", "request_changes"):
        cr.decided_at = timezone.now()
        cr.decided_by = user
    cr._history_user = user
    cr.save()
    review = Review.objects.create(change_request=cr, author=user, kind=action, comment=comment)
    if warnings:
        ReviewWarnings.objects.create(review=review, narrative_warnings=warnings)
    announce(cr, user, action, comment)
    return cr


# Which notification a workflow step sends (its recipients: ``notifications.kinds``).
ANNOUNCED = {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested"}


def announce(cr: ChangeRequest, user, action: str, comment: str = "", recipients=None) -> None:
    """Write the notification of a step, in its transaction: a submission goes to the
    reviewers (to the claimant alone, as "resubmitted", once someone claimed it); a
    decision to the author. ``recipients``: the kind's own recipients (``announced``), when
    the caller read them already."""
    if (announced := announcement(cr, action, comment)) is not None:
        kind, context = announced
        notifications.notify(kind, cr, user, recipients=recipients, context=context)


def announcement(cr: ChangeRequest, action: str, comment: str = "") -> tuple[str, dict] | None:
    """(notification kind, context) that ``announce`` writes for a step, None if none."""
    if action == "submit":
        kind = "resubmitted" if cr.claimed_by_id else "submitted"
        return kind, {"comment": comment, "due_at": cr.due_at}
    if action in ANNOUNCED:
        return ANNOUNCED[action], {"comment": comment}
    return None


@workflow.performs("submit")
@transaction.atomic
def submit(cr: ChangeRequest | int, *, user, comment: str = "") -> ChangeRequest:
    cr = _locked(cr)
    workflow.ACTIONS["submit"].check(cr, user)
    if cr.document is not None:
        cr.document = _validate(cr.record_type, cr.document)
    return record_step(cr, user, "submit", comment)


def _plain_step(name: str, doc: str):
    """A transition that only checks, moves the state and records who did it."""

    @workflow.performs(name)
    @transaction.atomic
    def step(cr: ChangeRequest | int, *, user, comment: str = "") -> ChangeRequest:
        cr = _locked(cr)
        workflow.ACTIONS[name].check(cr, user)
        return record_step(cr, user, name, comment)

    step.__name__ = step.__qualname__ = name
    step.__doc__ = doc
    return step


reject = _plain_step("reject", "Reject, with a comment saying why. Reviewers only.")
request_changes = _plain_step(
    "request_changes", "Send back to the author for changes, with a comment. Reviewers only."
)
withdraw = _plain_step("withdraw", "Withdraw an open request. Its author only.")
