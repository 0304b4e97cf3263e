"""The discussion of a change request: comments, comments on one row of its diff, replies,
and resolving a thread.

Rules (each refusal names what is wrong):

- who: editors and reviewers comment on any request they can read (all of them); people in
  neither group never (the workflow's ``comment`` action, actor "participant");
- when: in every state, drafts and closed requests included. A decided or withdrawn request's
  discussion is the record of why it ended as it did, and a comment changes no evidence, so
  there is nothing to protect by closing it;
- where: ``path`` is empty (the request as a whole), a path of the request's diff as
  ``evidence.diff`` writes it (``outcomes[key=pfs].values[arm=len].value``) or an item that
  holds changed fields (``arms[key=len]``); anything else is refused naming the path. The diff
  is the request's own (its base against its proposal), the one the review page shows;
- replies: one level. A reply answers a thread's first comment of the same request and takes
  its anchor; a reply to a reply, or a reply with a path of its own, is refused;
- text: not empty, at most ``MAX_COMMENT_CHARS`` characters, no control characters;
- resolving: the thread's first comment only, by its author, the request's author or a
  reviewer; resolving a resolved thread (or reopening an open one) is refused as a conflict.

Notifications of comments and replies are not sent from here yet (see the README).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from evidence.diff import diff_documents

from .. import notifications
from ..errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from ..models import ChangeRequest, Comment
from . import workflow
from .inputs import _comment, _locked
from .policy import can_review, takes_part

MAX_COMMENT_CHARS = 5000
MAX_PATH_CHARS = Comment._meta.get_field("path").max_length


def diff_paths(cr: ChangeRequest) -> list[str]:
    """The paths of the rows the review page shows for ``cr``, in document order."""
    return [change["path"] for change in diff_documents(cr.base_document, cr.document)]


def anchor_rows(path: str, paths: list[str]) -> list[str]:
    """The diff rows a comment on ``path`` belongs beside: the row itself, or every row of the
    item it names (``arms[key=len]`` -> ``arms[key=len].label``, ...)."""
    return [p for p in paths if p == path or (p.startswith(path) and p[len(path)] in ".[")]


def _check_path(cr: ChangeRequest, path: Any) -> str:
    if path is None or path == "":
        return ""
    if not isinstance(path, str):
        raise ValidationFailed([{"path": "path", "message": "must be a text"}])
    if len(path) > MAX_PATH_CHARS or not anchor_rows(path, diff_paths(cr)):
        shown = path if len(path) <= 100 else path[:100] + "…"
        raise ValidationFailed(
            [
                {
                    "path": "path",
                    "message": f"{shown!r} is not a field this change request changes; "
                    "use a path from its diff",
                }
            ]
        )
    return path


def _check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise ValidationFailed([{"path": "comment", "message": "must be a text"}])
    text = _comment(text)
    workflow.ACTIONS["comment"].check_comment(text)
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationFailed(
            [
                {
                    "path": "comment",
                    "message": f"is {len(text)} characters long; at most {MAX_COMMENT_CHARS}",
                }
            ]
        )
    return text


def _thread_start(cr: ChangeRequest, parent: Comment | int) -> Comment:
    pk = parent.pk if isinstance(parent, Comment) else parent
    found = Comment.objects.filter(pk=pk, change_request=cr).first()
    if found is None:
        raise ValidationFailed(
            [{"path": "parent", "message": f"no comment {pk} on change request {cr.pk}"}]
        )
    if found.parent_id is not None:
        raise ValidationFailed(
            [
                {
                    "path": "parent",
                    "message": f"comment {pk} is a reply; answer the thread's first comment "
                    f"({found.parent_id})",
                }
            ]
        )
    return found


@workflow.performs("comment")
@transaction.atomic
def add_comment(
    cr: ChangeRequest | int,
    *,
    user,
    comment: Any,
    path: Any = "",
    parent: Comment | int | None = None,
) -> Comment:
    """Add a comment (anchored to ``path`` of the diff) or a reply to the thread ``parent``."""
    cr = _locked(cr)
    workflow.ACTIONS["comment"].check(cr, user)
    text = _check_text(comment)
    if parent is not None:
        thread = _thread_start(cr, parent)
        if path not in (None, "", thread.path):
            raise ValidationFailed(
                [{"path": "path", "message": "a reply takes its thread's field; give no path"}]
            )
        path = thread.path
    else:
        thread = None
        path = _check_path(cr, path)
    made = Comment.objects.create(
        change_request=cr, author=user, parent=thread, path=path, text=text
    )
    _announce(cr, made, thread)
    return made


def _announce(cr: ChangeRequest, made: Comment, thread: Comment | None) -> None:
    """A comment goes to the request's author; a reply to the author and everyone who wrote
    in the thread (``notify`` leaves out the one who wrote it)."""
    context = {"comment": made.text, "path": made.path}
    if thread is None:
        notifications.notify("commented", cr, made.author, context=context)
        return
    taking_part = [cr.author, thread.author, *(reply.author for reply in thread.replies.all())]
    notifications.notify("replied", cr, made.author, recipients=taking_part, context=context)


def _comment_of(cr: ChangeRequest | int, comment: Comment | int) -> Comment:
    cr_pk = cr.pk if isinstance(cr, ChangeRequest) else cr
    pk = comment.pk if isinstance(comment, Comment) else comment
    found = (
        Comment.objects.select_for_update()
        .select_related("change_request")
        .filter(pk=pk, change_request_id=cr_pk)
        .first()
    )
    if found is None:
        raise NotFound(f"no comment {pk} on change request {cr_pk}")
    return found


def resolve_refusal(comment: Comment, user) -> PermissionDenied | None:
    """Why ``user`` may not resolve or reopen ``comment``'s thread, or None if they may."""
    if not (user and user.is_authenticated):
        return PermissionDenied("you must be logged in")
    if not takes_part(user):
        return PermissionDenied("only editors and reviewers may resolve comments")
    if user.pk in (comment.author_id, comment.change_request.author_id) or can_review(user):
        return None
    return PermissionDenied(
        "only the comment's author, the request's author or a reviewer may resolve it"
    )


@transaction.atomic
def set_resolved(
    cr: ChangeRequest | int, comment: Comment | int, *, user, resolved: bool
) -> Comment:
    """Resolve (``resolved=True``) or reopen a thread."""
    found = _comment_of(cr, comment)
    if (refused := resolve_refusal(found, user)) is not None:
        raise refused
    if found.parent_id is not None:
        raise ValidationFailed(
            [
                {
                    "path": "comment",
                    "message": f"comment {found.pk} is a reply; resolve its thread "
                    f"({found.parent_id})",
                }
            ]
        )
    if found.resolved == resolved:
        state = "resolved" if resolved else "open"
        raise InvalidTransition(f"comment {found.pk} is already {state}")
    found.resolved_at = timezone.now() if resolved else None
    found.resolved_by = user if resolved else None
    found.save(update_fields=["resolved_at", "resolved_by"])
    return found
