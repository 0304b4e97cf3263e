"""The discussion on the review page: its forms' actions, the threads beside the diff's rows,
and the queue's filter for requests with unresolved comments. The rules are the services'
(``curation.services.discussion``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .. import selectors, services
from ..errors import ValidationFailed
from ..services.discussion import anchor_rows, resolve_refusal

# The review form's buttons that belong to the discussion ("comment" is also a workflow
# action; here it takes the field it is about as well).
DISCUSSION_ACTIONS = ("comment", "reply", "resolve", "unresolve")


def _number(request, field: str) -> int:
    raw = request.POST.get(field, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValidationFailed([{"path": field, "message": f"{raw[:30]!r} is not a comment id"}])
    return int(raw)


def discuss(request, cr, name: str) -> str:
    """Do the discussion action ``name`` from the review form; the message to show."""
    user, text = request.user, request.POST.get("comment", "")
    if name == "comment":
        services.add_comment(cr, user=user, comment=text, path=request.POST.get("path", ""))
        return "Comment added."
    if name == "reply":
        services.add_comment(cr, user=user, comment=text, parent=_number(request, "parent"))
        return "Reply added."
    resolved = name == "resolve"
    services.set_resolved(cr, _number(request, "comment_id"), user=user, resolved=resolved)
    return "Comment resolved." if resolved else "Comment reopened."


def threads_beside(cr, changes: list[dict[str, Any]], user) -> dict[str, Any]:
    """The discussion for the review page: ``by_row`` (a diff row's path -> the threads shown
    beside it: those on the row, or on the item it belongs to, beside the item's first row),
    ``general`` (on the request, or on a field this version of the proposal no longer
    changes), and ``unresolved``."""
    paths = [change["path"] for change in changes]
    by_row: dict[str, list] = {}
    general = []
    unresolved = 0
    for thread in selectors.discussion_of(cr):
        thread.can_resolve = resolve_refusal(thread, user) is None
        unresolved += not thread.resolved
        rows = anchor_rows(thread.path, paths) if thread.path else []
        if rows:
            by_row.setdefault(rows[0], []).append(thread)
        else:
            thread.gone = bool(thread.path)
            general.append(thread)
    return {"by_row": by_row, "general": general, "unresolved": unresolved}


class UnresolvedCommentsFilter(admin.SimpleListFilter):
    """Requests whose discussion has threads nobody resolved yet."""

    title = "discussion"
    parameter_name = "comments"

    def lookups(self, request, model_admin):
        return [("unresolved", "Unresolved comments"), ("none", "No unresolved comments")]

    def queryset(self, request, queryset):
        if self.value() == "unresolved":
            return queryset.filter(unresolved_comments__gt=0)
        if self.value() == "none":
            return queryset.filter(unresolved_comments=0)
        return queryset
