"""The daily digest of overdue requests, to every reviewer who has any to look at."""

from __future__ import annotations

from django.utils import timezone

from .. import desk_selectors
from .kinds import reviewers
from .outbox import admin_url, notify


def send_overdue_digest() -> int:
    """Write today's digest for each reviewer (overdue requests they did not write and that
    no one else has claimed); at most one per reviewer and day. Returns how many."""
    overdue = list(desk_selectors.overdue_requests().select_related("author", "claimed_by"))
    if not overdue:
        return 0
    today = timezone.now().date().isoformat()
    written = 0
    for reviewer in reviewers():
        theirs = [
            cr
            for cr in overdue
            if cr.author_id != reviewer.pk and cr.claimed_by_id in (None, reviewer.pk)
        ]
        key = f"overdue_digest:{today}:{reviewer.pk}"
        if not theirs or desk_selectors.notification_exists(key):
            continue
        items = [{"cr": cr, "url": admin_url(cr)} for cr in theirs]
        written += len(
            notify(
                "overdue_digest",
                None,
                None,
                recipients=[reviewer],
                context={"count": len(items), "items": items},
                dedupe_key=key,
            )
        )
    return written
