"""The workflow's actions, one object each: the single description the services check, the
admin draws its buttons from and the API makes its routes from.

States: draft -> submitted -> approved | rejected | changes_requested -> submitted ...; the
author may withdraw an open request. ``edit`` and ``rebase`` change an open request without
moving it; ``comment`` adds to the discussion in any state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CurationError, InvalidTransition, ValidationFailed
from ..models import ChangeRequest
from .policy import actor_refusal, claimed_by_other

Status = ChangeRequest.Status
ALL_STATES = tuple(Status.values)
# Action name -> the service function that performs it (``performs`` registers them).
_SERVICES: dict[str, Callable] = {}


def performs(name: str) -> Callable[[Callable], Callable]:
    """Register a service function as what ``ACTIONS[name].execute`` calls."""

    def register(function: Callable) -> Callable:
        _SERVICES[name] = function
        return function

    return register


@dataclass(frozen=True)
class WorkflowAction:
    name: str  # also the API route, with "-" for "_" (request-changes)
    label: str  # the admin's button
    past: str  # "a change request that is withdrawn cannot be <past>"
    done: str  # the admin's message once done
    starts_from: tuple[str, ...]
    leads_to: str | None  # None: the status stays
    actor: str  # "author", "reviewer" or "participant" (editors and reviewers)
    missing_comment: str = ""  # the refusal when no comment is given; empty: optional
    button: bool = True  # shown as a button on the review page
    transition: bool = True  # listed in a request's allowed actions (API and admin)
    takes_comment: bool = True
    description: str = ""  # what it does and who may, for people (the API's docs)

    def refusal(self, cr: ChangeRequest, user) -> CurationError | None:
        """Why ``user`` may not do this to ``cr`` now, or None if they may."""
        refused = actor_refusal(self.actor, cr, user, self.name.replace("_", " "))
        if refused is not None:
            return refused
        if cr.status not in self.starts_from:
            return InvalidTransition(
                f"a change request that is {cr.get_status_display().lower()} cannot be {self.past}"
            )
        if self.actor == "reviewer":
            return claimed_by_other(cr, user)  # decided only by the reviewer who claimed it
        return None

    def check(self, cr: ChangeRequest, user) -> None:
        if (refused := self.refusal(cr, user)) is not None:
            raise refused

    @property
    def comment_required(self) -> bool:
        return bool(self.missing_comment)

    def check_comment(self, comment: str) -> None:
        if self.missing_comment and not comment:
            raise ValidationFailed([{"path": "comment", "message": self.missing_comment}])

    def execute(self, cr: ChangeRequest | int, user, comment: str = ""):
        """Do it, through the service registered for it (which checks everything again)."""
        service = _SERVICES.get(self.name)
        if service is None:
            raise NotImplementedError(f"{self.name} has no one-step service; see its module")
        if self.takes_comment:
            return service(cr, user=user, comment=comment)
        return service(cr, user=user)

    @property
    def one_step(self) -> bool:
        """Whether ``execute`` can do it with a comment alone ("edit" needs a new proposal)."""
        return self.name in _SERVICES

    @property
    def route(self) -> str:
        return self.name.replace("_", "-")


OPEN = ChangeRequest.OPEN_STATUSES
SENT_BACK = (Status.DRAFT, Status.CHANGES_REQUESTED)

# In this order: the order of a request's allowed actions (API) and of the buttons (admin).
ACTIONS: dict[str, WorkflowAction] = {
    action.name: action
    for action in (
        WorkflowAction(
            "submit",
            "Submit again",
            "submitted",
            "Submitted again for review.",
            SENT_BACK,
            Status.SUBMITTED,
            "author",
            description=(
                "Submit a draft (or a request sent back for changes) for review. Author only."
            ),
        ),
        WorkflowAction(
            "approve",
            "Approve",
            "approved",
            (
                "Approved: the change is recorded; publication is queued (the published "
                "pages show it once the worker has published it)."
            ),
            (Status.SUBMITTED,),
            Status.APPROVED,
            "reviewer",
            description=(
                "Approve: records the change as a new event. Reviewers only, never your own."
            ),
        ),
        WorkflowAction(
            "reject",
            "Reject",
            "rejected",
            "Rejected.",
            (Status.SUBMITTED,),
            Status.REJECTED,
            "reviewer",
            missing_comment="say why (reject needs a comment)",
            description="Reject, with a comment saying why. Reviewers only, never your own.",
        ),
        WorkflowAction(
            "request_changes",
            "Request changes",
            "sent back for changes",
            "Sent back to the author for changes.",
            (Status.SUBMITTED,),
            Status.CHANGES_REQUESTED,
            "reviewer",
            missing_comment="say why (request changes needs a comment)",
            description="Send back to the author for changes, with a comment. Reviewers only.",
        ),
        WorkflowAction(
            "withdraw",
            "Withdraw",
            "withdrawn",
            "Withdrawn.",
            OPEN,
            Status.WITHDRAWN,
            "author",
            description="Withdraw an open request. Author only.",
        ),
        WorkflowAction(
            "rebase",
            "Rebase onto the current version",
            "rebased",
            "Rebased onto the record's current version.",
            OPEN,
            None,
            "author",
            takes_comment=False,
            description=(
                "Move the request onto the record's current version, merging where fields differ."
            ),
        ),
        WorkflowAction(
            "edit", "Edit", "edited", "Edited.", SENT_BACK, None, "author", button=False
        ),
        WorkflowAction(
            "comment",
            "Comment",
            "commented on",
            "Comment added.",
            ALL_STATES,
            None,
            "participant",
            missing_comment="a comment cannot be empty",
            button=False,
            transition=False,
        ),
    )
}


def action(name: str) -> WorkflowAction:
    return ACTIONS[name]


def refusal(name: str, cr: ChangeRequest, user) -> CurationError | None:
    return ACTIONS[name].refusal(cr, user)


def allowed_actions(cr: ChangeRequest, user) -> list[str]:
    """The transitions ``user`` may make on ``cr`` now, in workflow order."""
    return [a.name for a in ACTIONS.values() if a.transition and a.refusal(cr, user) is None]
