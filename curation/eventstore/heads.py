"""Reading where the log and a stream stand: the log's head (``head``, ``last_position``), a
stream's version (``current_version``) and a stream's head with its last document
(``stream_head``, whose statement ``head_query`` callers may send with their own reads).
Appends read them under the append lock (``store``); nothing here writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection

from ..models import Event
from .hashing import GENESIS_HASH
from .recorders import TABLE, recorder

_STREAM_ID = Event._meta.get_field("stream_id")


def current_version(stream_type: str, stream_id: uuid.UUID) -> int:
    last = (
        Event.objects.filter(stream_type=stream_type, stream_id=stream_id)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return last or 0


# The newest event by the position's index. Raw SQL: every cached read page asks it, and the
# ORM would spend longer building the statement than the database spends answering it.
_HEAD_SQL = f"SELECT position, hash FROM {TABLE} ORDER BY position DESC LIMIT 1"  # noqa: S608


def head() -> tuple[int, str]:
    """(position, hash) of the newest event; (0, genesis) for an empty log."""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL)
        last = cursor.fetchone()
    return tuple(last) if last else (0, GENESIS_HASH)


def last_position() -> int:
    """The newest event's position (0 for an empty log)."""
    return head()[0]


def db_stream_id(stream_id: uuid.UUID) -> Any:
    return _STREAM_ID.get_db_prep_value(stream_id, connection)


@dataclass(frozen=True)
class StreamHead:
    """A stream's version and last document, with the log's head: what an append after the
    lock needs to know (``append(..., head=...)`` then reads nothing again)."""

    stream_type: str
    stream_id: uuid.UUID
    version: int
    document: dict[str, Any] | None  # as stored (the caller upcasts it)
    position: int
    hash: str


def stream_head(
    stream_type: str, stream_id: uuid.UUID, *, also: tuple[str, list] | None = None
) -> StreamHead | tuple[StreamHead, list[tuple]]:
    """``StreamHead`` in one statement. Call under the append lock: nothing moves after.

    ``also``: another read (sql, params) sent in the same round trip on PostgreSQL; then
    (head, that read's rows) is returned."""
    stream = [stream_type, db_stream_id(stream_id)]
    sql, params = head_query(("%s", stream[:1]), ("%s", stream[1:]))
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if also is not None and connection.vendor == "postgresql":
            cursor.execute(f"{sql}; {also[0]}", [*params, *also[1]])
            row = cursor.fetchone()
            cursor.nextset()
            rows = cursor.fetchall()
        else:
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if also is not None:
                cursor.execute(*also)
                rows = cursor.fetchall()
    head = head_from_row(stream_type, stream_id, row)
    return head if also is None else (head, rows)


def head_query(stream_type: tuple[str, list], stream_id: tuple[str, list]) -> tuple[str, list]:
    """``stream_head``'s statement (sql, params), for the stream whose type and id are the
    SQL expressions given (each (sql, params): a placeholder, or a caller's subquery that
    reads them under the same lock); its one row goes to ``head_from_row``."""
    where = f"stream_type = {stream_type[0]} AND stream_id = {stream_id[0]}"
    last = f"FROM {TABLE} WHERE {where} ORDER BY version DESC LIMIT 1"
    top = f"FROM {TABLE} ORDER BY position DESC LIMIT 1"
    document = recorder().json_as_text.format(column="document")
    stream = [*stream_type[1], *stream_id[1]]
    # Scalar subqueries, each one index lookup (and portable: SQLite has no LATERAL).
    sql = (
        f"SELECT (SELECT version {last}), (SELECT {document} {last}), "  # noqa: S608
        f"(SELECT position {top}), (SELECT hash {top})"
    )
    return sql, stream + stream


def head_from_row(stream_type: str, stream_id: uuid.UUID, row: tuple) -> StreamHead:
    version, document, position, hash_ = row
    if isinstance(document, str | bytes):  # the backend hands JSON to the field to decode
        document = orjson.loads(document)
    return StreamHead(
        stream_type, stream_id, version or 0, document, position or 0, hash_ or GENESIS_HASH
    )
