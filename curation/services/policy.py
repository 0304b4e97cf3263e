"""Who may do what. The services ask the policy; callers ask the services.

Refusals are typed: ``PermissionDenied`` (403: this person may not) or ``InvalidTransition``
(409: nobody may, in this state). Callers tell them apart by type, never by message text.
"""

from __future__ import annotations

from ..errors import ClaimedByOther, CurationError, InvalidTransition, PermissionDenied

PROPOSE_PERMISSION = "curation.propose_change"
REVIEW_PERMISSION = "curation.review_change"


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_propose(user) -> bool:
    """Members of the Editors group propose changes and edit their own proposals."""
    return _active(user) and user.has_perm(PROPOSE_PERMISSION)


def can_review(user) -> bool:
    """Members of the Reviewers group decide on other people's proposals."""
    return _active(user) and user.has_perm(REVIEW_PERMISSION)


def takes_part(user) -> bool:
    """Editors and reviewers: who may read change requests and comment on them."""
    return can_propose(user) or can_review(user)


def propose_refusal(user) -> PermissionDenied | None:
    """Why ``user`` may not propose changes, or None if they may."""
    if not (user and user.is_authenticated):
        return PermissionDenied("you must be logged in")
    if not can_propose(user):
        return PermissionDenied("only members of the Editors group may propose changes")
    return None


def actor_refusal(actor: str, cr, user, verb: str) -> PermissionDenied | None:
    """Why ``user`` may not act as ``actor`` ("author", "reviewer", "participant") on ``cr``."""
    if not (user and user.is_authenticated):
        return PermissionDenied("you must be logged in")
    if actor == "reviewer":
        if not can_review(user):
            return PermissionDenied(
                "only members of the Reviewers group may decide on change requests"
            )
        if cr.author_id == user.pk:
            return PermissionDenied(
                "nobody may decide on their own change request; a second person must review it"
            )
    elif actor == "participant":
        if not takes_part(user):
            return PermissionDenied("only editors and reviewers may comment")
    elif cr.author_id != user.pk:
        return PermissionDenied(f"only the author ({cr.author}) may {verb} this change request")
    elif not can_propose(user):
        return PermissionDenied("only members of the Editors group may change proposals")
    return None


# Claiming: one reviewer has a request in review ("in review by ..."); the others cannot
# decide on it without taking it over.
CLAIMABLE = ("submitted", "changes_requested")


def claim_refusal(cr, user, take_over: bool = False) -> CurationError | None:
    """Why ``user`` may not claim ``cr`` (or take it over), or None if they may."""
    if not (user and user.is_authenticated):
        return PermissionDenied("you must be logged in")
    if not can_review(user):
        return PermissionDenied("only members of the Reviewers group may claim change requests")
    if cr.author_id == user.pk:
        return PermissionDenied("nobody may claim their own change request")
    if cr.status not in CLAIMABLE:
        return InvalidTransition(
            f"a change request that is {cr.get_status_display().lower()} cannot be claimed"
            + ("" if cr.is_open else ": it is decided")
        )
    if cr.claimed_by_id not in (None, user.pk) and not take_over:
        return ClaimedByOther(
            f"{cr.claimed_by} has this change request in review; take it over "
            "(take_over) to review it yourself"
        )
    return None


def unclaim_refusal(cr, user) -> CurationError | None:
    """Why ``user`` may not give up the claim on ``cr``, or None if they may."""
    if not (user and user.is_authenticated):
        return PermissionDenied("you must be logged in")
    if not can_review(user):
        return PermissionDenied("only members of the Reviewers group may claim change requests")
    if cr.claimed_by_id is None:
        return InvalidTransition("this change request is not claimed")
    if cr.claimed_by_id != user.pk:
        return PermissionDenied(
            f"{cr.claimed_by} has this change request in review; only they may give it up"
        )
    return None


def claimed_by_other(cr, user) -> ClaimedByOther | None:
    """A decision on a request another reviewer has claimed is refused: take it over first."""
    if cr.claimed_by_id is not None and cr.claimed_by_id != getattr(user, "pk", None):
        return ClaimedByOther(
            f"{cr.claimed_by} has this change request in review; take it over to decide on it"
        )
    return None
