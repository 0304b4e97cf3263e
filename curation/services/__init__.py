"""The curation workflow: every rule about who may change evidence, and how.

Admin views, API views, management commands and tasks call these functions and nothing
else, so a rule holds everywhere or nowhere. Each function checks permission and state,
writes in one transaction, and raises a ``curation.errors`` exception with a reason.

- ``policy``: who may do what (Editors propose, Reviewers decide, nobody decides alone);
- ``workflow``: the actions, one object each (``ACTIONS``): states, actor, comment,
  ``check()`` and ``execute()``; the admin's buttons and the API's routes come from it;
- ``proposals``: ``propose``, ``update_draft``, ``revise_and_resubmit``;
- ``transitions``: ``submit``, ``reject``, ``request_changes``, ``withdraw``;
- ``discussion``: ``add_comment`` (on the request or one row of its diff, replies),
  ``set_resolved`` (resolve or reopen a thread);
- ``approval``: ``approve`` (append the event and project it, one transaction), ``rebase``,
  and the read-only ``approval_check`` behind the reviewer's conflict banner;
- ``batch_approval``: ``approve_change_requests``, many approvals in one action, each checked
  as ``approve`` checks it, appending exactly what one-by-one approvals would;
- ``claims``: ``claim`` (or take over) and ``unclaim``: who has a request in review;
- ``inputs``: checks of documents, free text and citations (``document_errors``: the
  validator's word on a document without proposing it).

Approving appends the event and projects it in the same transaction; publishing hears about
it through ``signals.events_appended`` on commit.
"""

from __future__ import annotations

from ..models import ChangeRequest
from .approval import ApprovalCheck, approval_check, approve, rebase, resolve_against_current
from .batch_approval import approve_change_requests
from .claims import claim, unclaim
from .discussion import add_comment, set_resolved
from .inputs import document_errors
from .policy import can_propose, can_review, takes_part
from .policy import propose_refusal as _propose_refusal
from .proposals import propose, revise_and_resubmit, update_draft
from .transitions import reject, request_changes, submit, withdraw
from .workflow import ACTIONS, WorkflowAction, allowed_actions
from .workflow import refusal as _refusal


def refusal(action: str, cr: ChangeRequest, user) -> str | None:
    """Why ``user`` may not do ``action`` on ``cr`` now, in words, or None if they may."""
    refused = _refusal(action, cr, user)
    return refused.message if refused else None


def propose_refusal(user) -> str | None:
    """Why ``user`` may not propose changes, in words, or None if they may."""
    refused = _propose_refusal(user)
    return refused.message if refused else None


__all__ = [
    "ACTIONS",
    "ApprovalCheck",
    "WorkflowAction",
    "add_comment",
    "allowed_actions",
    "approval_check",
    "approve",
    "approve_change_requests",
    "can_propose",
    "can_review",
    "claim",
    "document_errors",
    "propose",
    "propose_refusal",
    "rebase",
    "refusal",
    "reject",
    "request_changes",
    "resolve_against_current",
    "set_resolved",
    "revise_and_resubmit",
    "submit",
    "takes_part",
    "unclaim",
    "update_draft",
    "withdraw",
]
