"""Rebuilding the read models from the whole log (``manage.py rebuild_projections``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from evidence import models as ev
from evidence.documents import record_types

from .. import eventstore
from ..models import Event
from ..runtime import cyclic_gc_paused
from .rows import RowBuilder, Rows, creation_rank
from .writers import CopyWriter, OrmWriter

# The item tables, referring rows first.
ITEM_READ_MODELS = (
    ev.TopicTrial,
    ev.Finding,
    ev.Comparison,
    ev.OutcomeValue,
    ev.Outcome,
    ev.Arm,
    ev.Trial.interventions.through,
    ev.Trial.citations.through,
)


def all_read_models() -> tuple[type, ...]:
    """Every read-model table, referring rows first: the item tables, then each registered
    record type's read model, referrers before the records they refer to."""
    records = tuple(entry.model for entry in reversed(record_types.in_creation_order()))
    return ITEM_READ_MODELS + records


ALL_READ_MODELS = all_read_models()  # of the types registered at import


@dataclass
class RebuildReport:
    events: int
    records: int


class ReplayError(Exception):
    """The log cannot be replayed (a stream's versions are not contiguous)."""


def _final_positions() -> list[int]:
    """Position of each live stream's last event, referenced record types first.

    The database checks that each stream's versions run 1, 2, 3, ... in position order (a
    gap or a reordering cannot be replayed) and picks each stream's last event
    (``Recorder.stream_heads``): Python sees one row per record, never one per event.
    """
    rows = eventstore.recorder().stream_heads()
    for position, stream_type, stream_id, version, expected, _, _ in rows:
        if version != expected:
            raise ReplayError(
                f"event {position}: {stream_type} {stream_id} has version {version}, "
                f"expected {expected}"
            )
    return [
        position
        for _, position in sorted(
            (creation_rank(stream_type), position)
            for position, stream_type, _, _, _, is_last, event_type in rows
            if is_last and event_type != Event.Type.RETRACTED
        )
    ]


def _rows(events: list[eventstore.StoredEvent]) -> Rows:
    """Rows for a batch of final events."""
    builder = RowBuilder()
    for event in events:
        builder.add(event)
    return builder.rows


class PortableLoad:
    """Loading read models in bulk on any database: deletes, then ORM bulk inserts."""

    def writer(self) -> OrmWriter | CopyWriter:
        return OrmWriter()

    def empty(self) -> None:
        for model in all_read_models():
            model.objects.all()._raw_delete(model.objects.db)

    @contextmanager
    def indexes_built_once(self) -> Iterator[None]:
        yield


class PostgresLoad(PortableLoad):
    """PostgreSQL bulk-load practice: TRUNCATE, COPY, and each index built once."""

    def writer(self) -> OrmWriter | CopyWriter:
        return CopyWriter()

    def empty(self) -> None:
        tables = ", ".join(model._meta.db_table for model in all_read_models())
        with connection.cursor() as cursor:
            # TRUNCATE refuses to run while deferred FK checks are pending in the transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables}")

    @contextmanager
    def indexes_built_once(self) -> Iterator[None]:
        """Drop the read models' secondary indexes, unique and foreign-key constraints
        (primary keys stay), load, then recreate them from their saved definitions, so each
        index is built once and each foreign key checked in one pass instead of row by row.
        All inside the rebuild's transaction; TRUNCATE already holds the tables' exclusive
        locks, so readers wait for the rebuild either way."""
        tables = [model._meta.db_table for model in all_read_models()]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
                "AND contype IN ('u', 'f') "
                "ORDER BY contype DESC",  # unique before foreign keys when recreating
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid::regclass::text = ANY(%s) AND NOT indisprimary "
                "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",  # dropped with those
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _ in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def bulk_load() -> PortableLoad:
    return PostgresLoad() if connection.vendor == "postgresql" else PortableLoad()


@transaction.atomic
def rebuild(batch_size: int = 5000) -> RebuildReport:
    """Empty the read models and replay every event into them.

    Every event carries its record's full document, so replaying a stream folds to its last
    event. The database checks every stream's versions and picks each stream's last event
    (``_final_positions``); then each final state is projected once, in batches, referenced
    record types first. Memory grows with the number of records, never with the number of
    events.

    On PostgreSQL the rows go in with COPY into tables stripped of their secondary indexes
    and constraints, which are rebuilt once at the end (``PostgresLoad.indexes_built_once``).
    """
    with cyclic_gc_paused():
        return _replay(batch_size)


def _replay(batch_size: int) -> RebuildReport:
    eventstore.lock_for_append()  # no approval may interleave with the replay
    events = eventstore.recorder().count()
    todo = _final_positions()
    load = bulk_load()
    load.empty()
    writer = load.writer()
    with load.indexes_built_once():
        for start in range(0, len(todo), batch_size):
            writer.write(_rows(eventstore.events_at(todo[start : start + batch_size])))
    return RebuildReport(events=events, records=len(todo))
