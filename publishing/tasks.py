"""Celery tasks: thin callers of ``publishing.services``."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from . import services

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": getattr(settings, "PUBLISH_SOFT_TIME_LIMIT", 600),
    "time_limit": getattr(settings, "PUBLISH_TIME_LIMIT", 660),
    # A database that is briefly unreachable or locked: try again later, backing off.
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="publishing.publish_snapshot", **TASK_OPTIONS)
def publish_snapshot(position: int | None = None, force: bool = False) -> int | None:
    """Publish up to the newest event (``position`` is informational: newer ones count too)."""
    snapshot = services.publish_latest(force=force)
    return snapshot.seq if snapshot else None


@shared_task(name="publishing.sweep", **TASK_OPTIONS)
def sweep() -> int | None:
    snapshot = services.sweep()
    return snapshot.seq if snapshot else None
