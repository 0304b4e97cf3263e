"""The append-only event store.

Appends are serialised so that positions are gapless and in commit order and the hash chain
stays linear:

- PostgreSQL: a transaction-scoped advisory lock taken before reading the chain's head;
- SQLite: every transaction starts with BEGIN IMMEDIATE (settings), which takes the database
  write lock up front.

The database refuses UPDATE and DELETE on events (triggers, see the migrations).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.utils import timezone

from .models import Event

GENESIS_HASH = "0" * 64
# Arbitrary constant identifying the append lock among PostgreSQL advisory locks.
APPEND_LOCK_ID = 0x45564944  # "EVID"


class ConcurrencyConflict(Exception):
    """The stream moved on: the expected version is no longer the current one."""

    def __init__(self, stream: str, expected: int, actual: int):
        self.stream, self.expected, self.actual = stream, expected, actual
        super().__init__(f"{stream} is at version {actual}, not {expected}")


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256 over the canonical JSON of an event's content and the previous hash."""
    return hashlib.sha256(canonical_json({**fields, "prev_hash": prev_hash})).hexdigest()


def hashed_fields(event: Event) -> dict[str, Any]:
    """What the hash covers: everything that says what happened, by whom and when."""
    return {
        "position": event.position,
        "stream_type": event.stream_type,
        "stream_id": str(event.stream_id),
        "slug": event.slug,
        "version": event.version,
        "type": event.type,
        "document": event.document,
        "changes": event.changes,
        "change_request": event.change_request_id,
        "proposer": event.proposer_id,
        "approver": event.approver_id,
        "rationale": event.rationale,
        "recorded_at": event.recorded_at.isoformat(),
    }


def lock_for_append() -> None:
    """Serialise appends until the current transaction ends. Must run inside atomic()."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for_append() must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_ID])
    # SQLite: the transaction began with BEGIN IMMEDIATE and already holds the write lock.


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
    return head()[0]


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


def stream_events(after: int = 0, chunk_size: int = 2000) -> Iterator[Event]:
    """Every event after ``after`` in position order, fetched in chunks (bounded memory)."""
    return (
        Event.objects.filter(position__gt=after)
        .order_by("position")
        .iterator(chunk_size=chunk_size)
    )


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_position: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Walk the hash chain from the first event; report the first broken link."""
    expected_prev = GENESIS_HASH
    expected_position = 1
    count = 0
    for event in stream_events():
        if event.position != expected_position:
            return ChainReport(
                count,
                expected_position - 1,
                event.position,
                f"gap: expected position {expected_position}, found {event.position}",
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                count,
                event.position - 1,
                event.position,
                "prev_hash does not match the hash of the event before it",
            )
        recomputed = event_hash(hashed_fields(event), event.prev_hash)
        if recomputed != event.hash:
            return ChainReport(
                count,
                event.position - 1,
                event.position,
                "content does not match its hash (the event was altered)",
            )
        expected_prev = event.hash
        expected_position += 1
        count += 1
    return ChainReport(count, expected_position - 1)
