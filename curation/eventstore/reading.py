"""Reading the log: one stream (``select_events``) or the whole log in order
(``select_notifications``), after pyeventsourcing's split of the two.

The whole-log reads return ``LoggedEvent`` metadata (no documents: a build or a replay needs
only each record's last document, fetched by position with ``documents_at``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db.models import QuerySet
from django.db.models.fields.json import KT

from evidence.documents import schema_version_of, upcast
from evidence.documents.upcasting import upcast_changes

from ..models import Event
from .recorders import recorder


def select_events(stream_type: str, stream_id: uuid.UUID) -> QuerySet[Event]:
    """One record's events, oldest version first."""
    return Event.objects.filter(stream_type=stream_type, stream_id=stream_id).order_by("version")


def iter_events(after: int = 0, chunk_size: int = 2000) -> Iterator[Event]:
    """Every event after ``after`` as model objects, in position order, fetched in chunks
    (bounded memory). For walking the chain; builds use ``select_notifications``."""
    return (
        Event.objects.filter(position__gt=after)
        .order_by("position")
        .iterator(chunk_size=chunk_size)
    )


# The columns that say which event of which record, and what kind; first in every raw read.
IDENTITY = ("position", "stream_type", "stream_id", "slug", "version", "type")


@dataclass(frozen=True)
class EventIdentity:
    """Which event of which record, and what kind (the IDENTITY columns)."""

    position: int
    stream_type: str
    stream_id: uuid.UUID
    slug: str
    version: int
    type: str


@dataclass(frozen=True)
class LoggedEvent(EventIdentity):
    """An event's metadata as the whole-log reads give it (the row <-> event mapping)."""

    change_request_id: int | None
    proposer: str  # username
    approver: str  # username
    rationale: str
    recorded_at: datetime
    hash: str

    COLUMNS = (
        *IDENTITY,
        "change_request_id",
        "proposer__username",
        "approver__username",
        "rationale",
        "recorded_at",
        "hash",
    )


def select_notifications(after: int, upto: int) -> list[LoggedEvent]:
    """Events in (after, upto], oldest first, as metadata."""
    return [LoggedEvent(*row) for row in _notification_rows(after, upto)]


def iter_notifications(after: int, upto: int, chunk_size: int = 2000) -> Iterator[LoggedEvent]:
    """``select_notifications`` fetched ``chunk_size`` rows at a time, for a reader that
    keeps less than the events: at 100,000 trials the whole list and the rows behind it
    were a build's largest allocation while it read the log."""
    for row in _notification_rows(after, upto).iterator(chunk_size=chunk_size):
        yield LoggedEvent(*row)


def _notification_rows(after: int, upto: int) -> QuerySet:
    return (
        Event.objects.filter(position__gt=after, position__lte=upto)
        .order_by("position")
        .values_list(*LoggedEvent.COLUMNS)
    )


def changed_paths(after: int, upto: int) -> dict[int, list[str]]:
    """Changed field paths (of the current schema version) of the revisions in (after, upto],
    by position (creations change every field and retractions none: not listed)."""
    # The schema version the changes were diffed in is the document's: read that one key in
    # the database instead of loading every document (a revision always has one).
    return _changed_paths(
        Event.objects.filter(position__gt=after, position__lte=upto, type=Event.Type.REVISED)
    )


def changed_paths_at(positions: list[int]) -> dict[int, list[str]]:
    """``changed_paths`` of the revisions among the events at ``positions``."""
    return _changed_paths(Event.objects.filter(position__in=positions, type=Event.Type.REVISED))


def _changed_paths(revisions: QuerySet) -> dict[int, list[str]]:
    rows = (
        revisions.annotate(schema=KT("document__schema_version"))
        .order_by("position")
        .values_list("position", "stream_type", "schema", "changes")
    )
    return {
        position: [
            c["path"]
            for c in upcast_changes(
                stream_type, schema_version_of({"schema_version": _whole(v)}), changes
            )
        ]
        for position, stream_type, v, changes in rows
    }


def _whole(text: Any) -> Any:
    """The schema version as read by KT (text; None when absent: version 1)."""
    if text is None:
        return 1
    return int(text) if isinstance(text, str) and text.isdigit() else text


def documents_at(positions: list[int]) -> dict[int, Any]:
    """Documents of the given events by position, decoded with orjson and upcast to the
    current schema version (the hot path of builds and replays)."""
    return {
        position: upcast(stream_type, orjson.loads(text)) if text is not None else None
        for position, stream_type, text in recorder().documents(positions)
    }


@dataclass(frozen=True)
class StoredEvent(EventIdentity):
    """An event's content, read raw and upcast to the current schema version: what a replay
    projects (attribute names as on ``Event``)."""

    recorded_at: datetime
    document: dict[str, Any] | None

    COLUMNS = (*IDENTITY, "recorded_at", "document")

    @classmethod
    def from_row(cls, row: tuple) -> StoredEvent:
        """From a raw row of COLUMNS (SQLite gives text where PostgreSQL gives types)."""
        position, stream_type, stream_id, slug, version, type_, recorded_at, document = row
        return cls(
            position,
            stream_type,
            stream_id if isinstance(stream_id, uuid.UUID) else uuid.UUID(str(stream_id)),
            slug,
            version,
            type_,
            as_utc(recorded_at),
            upcast(
                stream_type,
                orjson.loads(document) if isinstance(document, str | bytes) else document,
            ),
        )


def events_at(positions: list[int]) -> list[StoredEvent]:
    """The given events in position order, documents decoded with orjson (a replay's read)."""
    rows = recorder().rows(list(StoredEvent.COLUMNS), positions)
    return [StoredEvent.from_row(row) for row in rows]


def as_utc(value: Any) -> datetime:
    """Raw SQLite rows give naive UTC datetimes (or text); PostgreSQL gives aware ones."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A whole event as ``read_log`` gives it: what was recorded, documents decoded."""

    position: int
    stream_type: str
    stream_id: uuid.UUID
    slug: str
    version: int
    type: str
    document: dict[str, Any] | None
    changes: list[dict[str, Any]]
    change_request_id: int | None
    proposer_id: int
    approver_id: int
    rationale: str
    recorded_at: datetime
    prev_hash: str
    hash: str


def read_log(after: int = 0, upto: int | None = None, chunk_size: int = 2000):
    """Every event in (after, upto], oldest first, decoded: the whole-log read.

    Raw rows, a chunk at a time (bounded memory whatever the log's size), documents and
    changes decoded with orjson, no model objects. On PostgreSQL, outside a transaction, the
    rows are streamed on a connection of the read's own (every committed event); inside one,
    a server-side cursor reads what that transaction sees.
    """
    yield from recorder().read_log(after, upto, chunk_size, RecordedEvent)
