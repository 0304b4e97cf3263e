"""Appending to the log: one event per approved change, serialised, versioned, hash-chained.

``append`` writes one event, ``append_many`` a batch: the same positions, versions and hash
chain as the same events appended one by one, in one lock, one read and one multi-row insert.
Both write raw SQL (lock, one SELECT of the stream's version and the log's head, INSERT): the
statements a hand-written append needs and no more, without the ORM's per-row overhead.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from ..models import Event
from .hashing import GENESIS_HASH, event_hash, hashed_fields
from .heads import StreamHead, db_stream_id, head
from .recorders import TABLE, recorder


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
    # ``hashing.canonical_json(document)``, when the caller has it (the hash reuses it).
    document_json: bytes | None = dataclasses.field(default=None, repr=False, compare=False)


def lock_for_append() -> None:
    """Serialise appends until the current transaction ends. Must run inside atomic()."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_for_append() must run inside transaction.atomic()")
    recorder().lock_for_append()


# Columns written by an append, in the INSERT's order (model attribute names).
_FIELDS = [f for f in Event._meta.concrete_fields]
_COLUMNS = ", ".join(f'"{f.column}"' for f in _FIELDS)


def _locked_version_and_head(stream_type: str, stream_id: uuid.UUID) -> tuple[int, int, str]:
    """Take the append lock, then read (stream's version, head position, head hash): one
    round trip on PostgreSQL (``Recorder.locked_version_and_head``)."""
    version, position, hash_ = recorder().locked_version_and_head(
        stream_type, db_stream_id(stream_id)
    )
    return version, position or 0, hash_ or GENESIS_HASH


def _versions(streams: set[tuple[str, uuid.UUID]]) -> dict[tuple[str, uuid.UUID], int]:
    """Current versions of many streams (0 for a new one), one query per thousand streams
    (on PostgreSQL the ids go as one array parameter, not a thousand placeholders)."""
    from django.db.models import Max

    found: dict[tuple[str, uuid.UUID], int] = {}
    ids = sorted({stream_id for _, stream_id in streams})
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT stream_type, stream_id, MAX(version) FROM {TABLE} "  # noqa: S608
                    "WHERE stream_id = ANY(%s) GROUP BY stream_type, stream_id",
                    [part],
                )
                found.update(((t, s), v) for t, s, v in cursor.fetchall())
            continue
        rows = (
            Event.objects.filter(stream_id__in=part)
            .values("stream_type", "stream_id")
            .annotate(top=Max("version"))
            .values_list("stream_type", "stream_id", "top")
        )
        found.update(((t, s), v) for t, s, v in rows)
    return {stream: found.get(stream, 0) for stream in streams}


_JSON = {f.attname for f in _FIELDS if f.get_internal_type() == "JSONField"}


def _orjson_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _copy(events: Sequence[Event]) -> None:
    """PostgreSQL COPY of many events, JSON serialised by orjson (the rows ``_insert``
    writes: the database stores the same jsonb whichever serialiser wrote its text)."""
    from psycopg.types.json import Jsonb

    from ..roundtrip import settled

    settled()  # COPY cannot go in a pipeline
    sql = f"COPY {TABLE} ({_COLUMNS}) FROM STDIN"  # noqa: S608 - our own names
    with connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
        for event in events:
            row = []
            for field in _FIELDS:
                value = getattr(event, field.attname)
                if field.attname in _JSON:
                    row.append(None if value is None else Jsonb(value, dumps=_orjson_text))
                else:
                    row.append(field.get_db_prep_save(value, connection))
            copy.write_row(row)


# An event whose ``document_of_request`` is set has, as canonical JSON, exactly the document
# of its change request's row (the caller holds that row locked and leaves it as it is): the
# server copies it from there instead of parsing it again from the batch's parameter, the
# most of a batch approval's megabytes of JSON. Only here: every other path sends it.
DOCUMENT_OF_REQUEST = "document_of_request"
_REQUESTS = Event._meta.get_field("change_request").related_model._meta.db_table
_SELECTED = ", ".join(
    f"CASE WHEN e.item ? '{DOCUMENT_OF_REQUEST}' THEN (SELECT c.document FROM "  # noqa: S608
    f"{_REQUESTS} AS c WHERE c.id = r.change_request_id) ELSE r.document END"
    if f.attname == "document"
    else f'r."{f.column}"'
    for f in _FIELDS
)

# Many events as one JSON parameter expanded by the server, in the caller's script (a
# pipeline with the writes that follow: one round trip for the events and the projection).
_INSERT_JSON = (
    f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {_SELECTED} "  # noqa: S608 - our own names
    "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(item, n) "
    f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{TABLE}, e.item) AS r ORDER BY e.n"
)


def _rows_json(events: Sequence[Event]) -> str | None:
    """The events' rows as one JSON array, serialised by orjson in one call: the values the
    row stores (times with their microseconds and zone, ids as text the server reads back
    into the same uuid, documents and changes as the same JSON the hash covers), or None
    where orjson cannot say a value (an integer beyond 64 bits: ``_insert`` writes those)."""
    rows = []
    for event in events:
        row = {f.column: getattr(event, f.attname) for f in _FIELDS}
        if getattr(event, DOCUMENT_OF_REQUEST, False):
            del row["document"]  # copied from the request's row (``_INSERT_JSON``)
            row[DOCUMENT_OF_REQUEST] = True
        rows.append(row)
    try:
        return orjson.dumps(rows).decode()
    except TypeError:
        return None


_INSERT = f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({', '.join(['%s'] * len(_FIELDS))})"  # noqa: S608


def _insert_statement(event: Event) -> tuple[str, list]:
    return _INSERT, [_db_value(f, getattr(event, f.attname)) for f in _FIELDS]


def _db_value(field, value: Any) -> Any:
    """What the field saves; on PostgreSQL a JSON value serialised by orjson (as ``_copy``
    does), not the standard library, where orjson can say it (``bulk.json_text``)."""
    if field.attname in _JSON and value is not None and connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        from ..bulk import json_text

        return Jsonb(value, dumps=lambda v, encoder=field.encoder: json_text(v, encoder))
    return field.get_db_prep_save(value, connection)


def _insert_prepared(event: Event) -> None:
    """One event, PostgreSQL: a prepared statement with its parameters bound on the server
    (the extended protocol, as a hand-written psycopg append sends it), on the connection
    Django holds, in its transaction. Django's cursors bind on the client: every append
    would send, and the server parse, the whole document as SQL text."""
    import psycopg

    sql, params = _insert_statement(event)
    connection.ensure_connection()
    # Django's own error classes (IntegrityError, ...), as its cursors raise them.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)


def _insert(events: Sequence[Event]) -> None:
    """One event: one INSERT (prepared, on PostgreSQL); many: COPY on PostgreSQL, else
    multi-row INSERTs."""
    if connection.vendor == "postgresql":
        if len(events) > 1:
            _copy(events)
        else:
            _insert_prepared(events[0])
        return
    if len(events) == 1:
        with connection.cursor() as cursor:
            cursor.execute(*_insert_statement(events[0]))
        return
    placeholders = ", ".join(["%s"] * len(_FIELDS))
    rows = [
        [f.get_db_prep_save(getattr(e, f.attname), connection) for f in _FIELDS] for e in events
    ]
    size = max(1, connection.ops.bulk_batch_size(_FIELDS, events))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            values = ", ".join([f"({placeholders})"] * len(part))
            cursor.execute(
                f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES {values}",  # noqa: S608
                [value for row in part for value in row],
            )


def _instance(values: dict[str, Any]) -> Event:
    """``Event(**values)``, ``values`` naming every concrete field by attribute name, without
    the model's walk of its fields and their descriptors per instance (a batch makes
    thousands): the same attributes, set directly. Django's own where something listens to
    the model's init signals."""
    if pre_init.has_listeners(Event) or post_init.has_listeners(Event):
        return Event(**values)
    event = Event.__new__(Event)
    event._state = ModelState()
    event.__dict__.update(values)
    return event


def _event(new: NewEvent, position: int, version: int, prev_hash: str, recorded_at) -> Event:
    event = _instance(
        dict(
            position=position,
            stream_type=new.stream_type,
            stream_id=new.stream_id,
            slug=new.slug,
            version=version,
            type=new.type,
            document=new.document,
            changes=new.changes,
            change_request_id=new.change_request_id,
            proposer_id=new.proposer_id,
            approver_id=new.approver_id,
            rationale=new.rationale,
            recorded_at=recorded_at or timezone.now(),
            prev_hash=prev_hash,
            hash="",
        )
    )
    event.hash = event_hash(hashed_fields(event), prev_hash, new.document_json)
    # Written by raw SQL below: the instance is what a read of the row would give.
    event._state.adding = False
    event._state.db = connection.alias
    return event


def append(
    new: NewEvent,
    *,
    expected_version: int,
    recorded_at: datetime | None = None,
    head: StreamHead | None = None,
    script=None,
) -> Event:
    """Append one event to its stream. Raises ConcurrencyConflict on a stale version.

    Call inside transaction.atomic() together with the projection and the change request's
    status update, so that all of them commit or none does. ``head``: the stream's head read
    by ``stream_head`` after this transaction took the lock (then the append is one INSERT).
    ``script`` (a ``projection.script.Script``, PostgreSQL): the INSERT is added to it, to go
    with the writes that follow in one round trip, instead of being sent now.
    """
    if head is None:
        if not connection.in_atomic_block:
            raise RuntimeError("append() must run inside transaction.atomic()")
        actual, position, prev_hash = _locked_version_and_head(new.stream_type, new.stream_id)
    elif (head.stream_type, head.stream_id) != (new.stream_type, new.stream_id):
        raise ValueError("the head given is of another stream")
    else:
        actual, position, prev_hash = head.version, head.position, head.hash
    if actual != expected_version:
        raise ConcurrencyConflict(f"{new.stream_type}:{new.stream_id}", expected_version, actual)
    event = _event(new, position + 1, actual + 1, prev_hash, recorded_at)
    if script is None:
        _insert([event])
    else:
        sql, params = _insert_statement(event)
        script.add(sql, *params)
    return event


class Batch:
    """Appends under one lock: each event's version is checked against its stream as the
    batch left it, positions and hashes follow on from the previous event of the batch, and
    the rows go in together at ``flush``. The events, versions and hashes are those the same
    appends one by one would give.

    ``with eventstore.Batch() as batch: batch.append(new, expected_version=v)`` inside
    transaction.atomic(); ``prefetch`` reads many streams' versions in one query first.
    """

    def __init__(self) -> None:
        lock_for_append()
        self.position, self.hash = head()
        self.versions: dict[tuple[str, uuid.UUID], int] = {}
        self.pending: list[Event] = []
        self.events: list[Event] = []

    def prefetch(self, streams: Iterable[tuple[str, uuid.UUID]]) -> None:
        todo = {s for s in streams if s not in self.versions}
        if todo:
            self.versions.update(_versions(todo))

    def version(self, stream_type: str, stream_id: uuid.UUID) -> int:
        key = (stream_type, stream_id)
        if key not in self.versions:
            self.prefetch([key])
        return self.versions[key]

    def append(
        self, new: NewEvent, *, expected_version: int, recorded_at: datetime | None = None
    ) -> Event:
        actual = self.version(new.stream_type, new.stream_id)
        if actual != expected_version:
            raise ConcurrencyConflict(
                f"{new.stream_type}:{new.stream_id}", expected_version, actual
            )
        event = _event(new, self.position + 1, actual + 1, self.hash, recorded_at)
        self.position, self.hash = event.position, event.hash
        self.versions[(new.stream_type, new.stream_id)] = event.version
        self.pending.append(event)
        self.events.append(event)
        return event

    def flush(self, script=None) -> None:
        """Write the events appended since the last flush. ``script`` (a
        ``projection.script.Script``, PostgreSQL): their INSERT is added to it, to go with
        the writes that follow in one round trip, instead of being sent now."""
        if not self.pending:
            return
        rows = None
        if script is not None and connection.vendor == "postgresql":
            rows = _rows_json(self.pending)
        if rows is None:
            _insert(self.pending)
        else:
            script.add(_INSERT_JSON, rows)
        self.pending = []

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()


def append_many(
    items: Iterable[tuple[NewEvent, int]], *, recorded_at: datetime | None = None
) -> list[Event]:
    """Append (event, expected version) pairs in order, as one batch (``Batch``)."""
    items = list(items)
    with Batch() as batch:
        batch.prefetch((new.stream_type, new.stream_id) for new, _ in items)
        for new, expected in items:
            batch.append(new, expected_version=expected, recorded_at=recorded_at)
    return batch.events
