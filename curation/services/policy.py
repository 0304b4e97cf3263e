"""Who may do what. The services ask the policy; callers ask the services.

Refusals are typed: ``PermissionDenied`` (403: this person may not) or ``InvalidTransition``
(409: nobody may, in this state). Callers tell them apart by type, never by message text.
"""

from __future__ import annotations

from ..errors import PermissionDenied

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
