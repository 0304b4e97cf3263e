"""Appending to the log: one event per approved change, serialised, versioned, hash-chained."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from ..models import Event
from .hashing import GENESIS_HASH, event_hash, hashed_fields
from .recorders import recorder


class ConcurrencyConflict(Exception):
    """The stream moved on: the expected version is no longer the current one."""

    def __init__(self, stream: str, expected: int, actual: int):
        self.stream, self.expected, self.actual = stream, expected, actual
        super().__init__(f"{stream} is at version {actual}, not {expected}")


@dataclass(frozen=True)
class NewEvent:
    stream_type: str
    stream_id: uuid.UUID
    slug: str
    type: str
    document: dict[str, Any] | None
    changes: list[dict[str, Any]]
    proposer_id: int
    approver_id: int
    change_request_id: int | None = None
    rationale: str = ""


def lock_for_append() -> None:
    """Serialise appends until the current transaction ends. Must run inside atomic()."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for_append() must run inside transaction.atomic()")
    recorder().lock_for_append()


def current_version(stream_type: str, stream_id: uuid.UUID) -> int:
    last = (
        Event.objects.filter(stream_type=stream_type, stream_id=stream_id)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return last or 0


def head() -> tuple[int, str]:
    """(position, hash) of the newest event; (0, genesis) for an empty log."""
    last = Event.objects.order_by("-position").values_list("position", "hash").first()
    return last if last else (0, GENESIS_HASH)


def last_position() -> int:
    """The newest event's position (0 for an empty log)."""
    return head()[0]


def append(new: NewEvent, *, expected_version: int, recorded_at: datetime | None = None) -> Event:
    """Append one event to its stream. Raises ConcurrencyConflict on a stale version.

    Call inside transaction.atomic() together with the projection and the change request's
    status update, so that all of them commit or none does.
    """
    lock_for_append()
    stream = f"{new.stream_type}:{new.stream_id}"
    actual = current_version(new.stream_type, new.stream_id)
    if actual != expected_version:
        raise ConcurrencyConflict(stream, expected_version, actual)
    position, prev_hash = head()
    event = Event(
        position=position + 1,
        stream_type=new.stream_type,
        stream_id=new.stream_id,
        slug=new.slug,
        version=actual + 1,
        type=new.type,
        document=new.document,
        changes=new.changes,
        change_request_id=new.change_request_id,
        proposer_id=new.proposer_id,
        approver_id=new.approver_id,
        rationale=new.rationale,
        recorded_at=recorded_at or timezone.now(),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(hashed_fields(event), prev_hash)
    event.save(force_insert=True)
    return event
