"""Reads of the reviewer's desk: what waits for review, what is overdue, each person's
dashboard on the admin index. The due-date rule is ``ChangeRequest.due_at``; this is the same
rule as a query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from .models import ChangeRequest, Notification, review_window


def overdue_requests() -> QuerySet[ChangeRequest]:
    """Submitted requests past their due date (``ChangeRequest.due_at``), oldest first."""
    return waiting_for_review().filter(submitted_at__lt=timezone.now() - review_window())


def waiting_for_review() -> QuerySet[ChangeRequest]:
    """Submitted requests, longest waiting first."""
    return ChangeRequest.objects.filter(status=ChangeRequest.Status.SUBMITTED).order_by(
        "submitted_at", "id"
    )


def filter_overdue(queryset: QuerySet[ChangeRequest], overdue: bool) -> QuerySet[ChangeRequest]:
    """The overdue requests of ``queryset``, or (``overdue`` false) the others."""
    ids = overdue_requests().values("pk")
    return queryset.filter(pk__in=ids) if overdue else queryset.exclude(pk__in=ids)


def notification_exists(dedupe_key: str) -> bool:
    return Notification.objects.filter(dedupe_key=dedupe_key).exists()


@dataclass(frozen=True)
class Dashboard:
    """What waits for whom, for one person (the admin index shows it)."""

    my_drafts: list[ChangeRequest]
    my_waiting: list[ChangeRequest]
    sent_back: list[ChangeRequest]
    decided: list[ChangeRequest]
    claimed: list[ChangeRequest]
    unclaimed: list[ChangeRequest]
    overdue: list[ChangeRequest]
    is_editor: bool
    is_reviewer: bool


DASHBOARD_ROWS = 10


def dashboard(user, rows: int = DASHBOARD_ROWS) -> Dashboard:
    """``user``'s drafts, requests waiting for review, sent back to them and lately decided
    (newest first) (as an author),
    the requests they claimed, the unclaimed ones waiting longest and the overdue ones (as
    a reviewer, leaving out their own); at most ``rows`` of each, oldest first."""
    from .services.policy import can_propose, can_review

    Status = ChangeRequest.Status
    base = ChangeRequest.objects.select_related("author", "claimed_by", "decided_by")
    mine = base.filter(author=user)
    is_editor, is_reviewer = can_propose(user), can_review(user)
    others = waiting_for_review().select_related("author", "claimed_by").exclude(author=user)

    def take(queryset) -> list[ChangeRequest]:
        return list(queryset[:rows])

    return Dashboard(
        my_drafts=take(mine.filter(status=Status.DRAFT).order_by("created_at", "id")),
        my_waiting=take(mine.filter(status=Status.SUBMITTED).order_by("submitted_at", "id")),
        sent_back=take(mine.filter(status=Status.CHANGES_REQUESTED).order_by("decided_at", "id")),
        decided=take(
            mine.filter(status__in=(Status.APPROVED, Status.REJECTED)).order_by(
                "-decided_at", "-id"
            )
        ),
        claimed=take(
            base.filter(
                claimed_by=user, status__in=(Status.SUBMITTED, Status.CHANGES_REQUESTED)
            ).order_by("submitted_at", "id")
        )
        if is_reviewer
        else [],
        unclaimed=take(others.filter(claimed_by__isnull=True)) if is_reviewer else [],
        overdue=take(others.filter(pk__in=overdue_requests().values("pk"))) if is_reviewer else [],
        is_editor=is_editor,
        is_reviewer=is_reviewer,
    )
