"""Celery tasks: thin callers of ``curation.imports.batches`` and ``curation.notifications``."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import notifications
from .imports import batches

TASK_OPTIONS = {
    # Acknowledged once run: a worker killed mid-batch leaves the message to another worker
    # (and the beat's resume_import_batches asks again sooner); done items are skipped.
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    # A database that is briefly unreachable: try again later, backing off.
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="curation.run_import_batch", **TASK_OPTIONS)
def run_import_batch(batch_id: int) -> None:
    batches.dispatch_batch(batch_id)


@shared_task(name="curation.run_import_batch_part", **TASK_OPTIONS)
def run_import_batch_part(batch_id: int, part: int, parts: int) -> None:
    batches.run_batch(batch_id, part, parts)


@shared_task(name="curation.resume_import_batches", **TASK_OPTIONS)
def resume_import_batches() -> list[int]:
    return batches.resume_stalled()


@shared_task(name="curation.send_notifications", **TASK_OPTIONS)
def send_notifications(ids: list[int] | None = None) -> int:
    """Send pending notifications (``ids``: those a step just wrote; none: every one due,
    as the beat asks, which sends what the broker or the mail server missed)."""
    return notifications.deliver(ids)


@shared_task(name="curation.send_overdue_digest", **TASK_OPTIONS)
def send_overdue_digest() -> int:
    return notifications.send_overdue_digest()
