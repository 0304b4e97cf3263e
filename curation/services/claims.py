"""Claiming: a reviewer takes a change request into review ("in review by ..."), so that two
reviewers do not do the same work. Others cannot decide on it without taking it over, which
tells the reviewer who had it. The rules are in ``policy`` (``claim_refusal``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import notifications
from ..errors import ValidationFailed
from ..models import ChangeRequest
from .inputs import _locked
from .policy import claim_refusal, unclaim_refusal


@transaction.atomic
def claim(cr: ChangeRequest | int, *, user, take_over: bool = False) -> ChangeRequest:
    """Put ``cr`` in review by ``user``. Claimed by another reviewer: refused unless
    ``take_over``, which tells that reviewer. Claiming one's own claim again changes nothing."""
    if not isinstance(take_over, bool):
        raise ValidationFailed([{"path": "take_over", "message": "must be true or false"}])
    cr = _locked(cr)
    if (refused := claim_refusal(cr, user, take_over)) is not None:
        raise refused
    if cr.claimed_by_id == user.pk:
        return cr
    previous = cr.claimed_by
    cr.claimed_by = user
    cr.claimed_at = timezone.now()
    cr._history_user = user
    cr.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    if previous is not None:
        notifications.notify("taken_over", cr, user, recipients=[previous])
    return cr


@transaction.atomic
def unclaim(cr: ChangeRequest | int, *, user) -> ChangeRequest:
    """Give up the claim: the request waits for any reviewer again. The claimant only."""
    cr = _locked(cr)
    if (refused := unclaim_refusal(cr, user)) is not None:
        raise refused
    cr.claimed_by = None
    cr.claimed_at = None
    cr._history_user = user
    cr.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    return cr
