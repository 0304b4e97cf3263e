import dataclasses
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from curation import eventstore
from curation.eventstore import ConcurrencyConflict, NewEvent
from curation.models import Event
from tests import documents


def new_event(user, stream_id=None, slug="x", document=None):
    return NewEvent(
        stream_type="intervention",
        stream_id=stream_id or uuid.uuid4(),
        slug=slug,
        type="created",
        document=document or documents.ifm_intervention(slug=slug),
        changes=[],
        proposer_id=user.pk,
        approver_id=user.pk,
    )


def append_streams(editor, prefix: str, count: int) -> None:
    """``count`` events in one transaction, each the first of its stream (slugs ``prefix``0,
    ``prefix``1, ...)."""
    with transaction.atomic():
        for i in range(count):
            eventstore.append(new_event(editor, slug=f"{prefix}{i}"), expected_version=0)


@pytest.mark.django_db
def test_positions_are_gapless_and_hashes_chain(editor):
    with transaction.atomic():
        events = [
            eventstore.append(new_event(editor, slug=f"d{i}"), expected_version=0) for i in range(5)
        ]
    assert [e.position for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == eventstore.GENESIS_HASH
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    report = eventstore.verify_chain()
    assert report.ok and report.events == 5 and report.head_position == 5


@pytest.mark.django_db
def test_stale_expected_version_is_a_conflict_and_writes_nothing(editor):
    stream = uuid.uuid4()
    with transaction.atomic():
        eventstore.append(new_event(editor, stream), expected_version=0)
    with pytest.raises(ConcurrencyConflict) as exc, transaction.atomic():
        eventstore.append(new_event(editor, stream), expected_version=0)
    assert exc.value.actual == 1 and exc.value.expected == 0
    assert Event.objects.count() == 1


def test_append_outside_a_transaction_is_refused(db, editor):
    # pytest-django's db fixture wraps the test in atomic(); leave it to check the guard.
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(RuntimeError, match="inside transaction.atomic"):
            eventstore.lock_for_append()
    finally:
        connection.in_atomic_block = saved


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE curation_event SET slug = 'tampered'",
        "DELETE FROM curation_event",
    ],
)
def test_database_refuses_update_and_delete(editor, sql):
    with transaction.atomic():
        eventstore.append(new_event(editor), expected_version=0)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert Event.objects.get().slug == "x"


@pytest.mark.django_db
def test_orm_delete_and_save_are_refused_too(editor):
    with transaction.atomic():
        event = eventstore.append(new_event(editor), expected_version=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.all().delete()
    event.slug = "changed"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    assert Event.objects.get().slug == "x"


def _tamper(sql, params):
    """Change an event behind the triggers' back, as an attacker with DDL rights could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before DDL
            cursor.execute(
                "ALTER TABLE curation_event DISABLE TRIGGER curation_event_no_update_delete"
            )
            cursor.execute(sql, params)
            cursor.execute(
                "ALTER TABLE curation_event ENABLE TRIGGER curation_event_no_update_delete"
            )
        else:
            cursor.execute("DROP TRIGGER curation_event_no_update")
            cursor.execute(sql, params)
            from curation.migrations import _triggers

            _triggers.install(connection)


@pytest.mark.django_db
def test_verify_names_the_first_altered_event(editor):
    append_streams(editor, "d", 4)
    call_command("verify_events")  # intact
    _tamper("UPDATE curation_event SET rationale = %s WHERE position = %s", ["forged", 3])
    report = eventstore.verify_chain()
    assert report.broken_at == 3 and "altered" in report.problem and report.events == 2
    with pytest.raises(CommandError, match="broken at position 3"):
        call_command("verify_events")


@pytest.mark.django_db
def test_verify_detects_a_relinked_chain(editor):
    append_streams(editor, "d", 3)
    _tamper("UPDATE curation_event SET prev_hash = %s WHERE position = %s", ["f" * 64, 2])
    report = eventstore.verify_chain()
    assert report.broken_at == 2 and "prev_hash" in report.problem


@pytest.mark.django_db
def test_a_batch_appends_what_one_by_one_appends_and_refuses_stale_versions(editor):
    """``append_many`` and ``append`` give the same positions, versions and hashes."""
    from datetime import UTC, datetime

    at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    streams = [uuid.UUID(int=n) for n in (1, 2, 1)]
    items = [
        (new_event(editor, stream, slug=f"b{i}"), version)
        for i, (stream, version) in enumerate(zip(streams, (0, 0, 1), strict=True))
    ]
    with transaction.atomic():
        singles = [eventstore.append(new, expected_version=v, recorded_at=at) for new, v in items]
        one_by_one = list(Event.objects.order_by("position").values())
        transaction.set_rollback(True)
    with transaction.atomic():
        batch = eventstore.append_many(items, recorded_at=at)
    assert [e.hash for e in batch] == [e.hash for e in singles]
    assert list(Event.objects.order_by("position").values()) == one_by_one
    assert [e.version for e in batch] == [1, 1, 2]
    with pytest.raises(ConcurrencyConflict), transaction.atomic():
        eventstore.append_many([(new_event(editor, streams[1], slug="late"), 0)])
    assert Event.objects.count() == 3 and eventstore.verify_chain().ok


@pytest.mark.django_db
def test_read_log_gives_every_event_as_recorded_in_order(editor):
    append_streams(editor, "r", 5)
    read = list(eventstore.read_log(after=1, upto=4, chunk_size=2))
    stored = Event.objects.filter(position__gt=1, position__lte=4).order_by("position")
    assert [e.position for e in read] == [2, 3, 4]
    for got, event in zip(read, stored, strict=True):
        for name in eventstore.RecordedEvent.__dataclass_fields__:
            assert getattr(got, name) == getattr(event, name), name
        assert eventstore.event_hash(eventstore.hashed_fields(got), got.prev_hash) == got.hash
    assert [e.position for e in eventstore.read_log()] == [1, 2, 3, 4, 5]


# Skipped before its fixtures on SQLite: no transactional setup and flush for a test that
# cannot run there.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the streamed read is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_log_is_streamed_on_a_connection_of_its_own(editor):
    """The fast path (chunked rows on a reader connection) gives what the caller's own cursor
    gives, leaves the caller's connection free between rows (a stream on it would hold its
    lock: the next query would wait for ever) and closes its reader however it ends."""
    append_streams(editor, "f", 6)

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    with transaction.atomic():
        through_cursor = list(eventstore.read_log(after=1, upto=5))
    before = backends()
    reading = eventstore.read_log(after=1, upto=5, chunk_size=2)
    first = next(reading)
    assert not connection.connection.lock.locked()
    assert backends() == before + 1  # the reader's own, open while it reads
    assert Event.objects.filter(position__lte=first.position).count() == 2
    assert [first, *reading] == through_cursor
    assert [e.position for e in through_cursor] == [2, 3, 4, 5]
    abandoned = eventstore.read_log(chunk_size=1)
    assert next(abandoned).position == 1
    abandoned.close()
    assert backends() == before


@pytest.mark.django_db
def test_notifications_a_chunk_at_a_time_are_the_notifications_read_at_once(editor):
    append_streams(editor, "n", 5)
    chunked = list(eventstore.iter_notifications(after=1, upto=5, chunk_size=2))
    assert chunked == eventstore.select_notifications(1, 5)
    assert [e.position for e in chunked] == [2, 3, 4, 5]
    assert chunked[0].slug == "n1" and chunked[0].proposer == editor.username


@pytest.mark.django_db
def test_inside_a_transaction_the_log_is_read_through_a_server_side_cursor(postgres, editor):
    """Bounded memory whatever the log's size, in the caller's transaction (its own appends
    included): PostgreSQL holds the rows, the reader fetches a chunk at a time (and in the
    binary format: ids and times equal the model's, above)."""
    append_streams(editor, "s", 3)
    reading = eventstore.read_log(chunk_size=1)
    first = next(reading)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_cursors WHERE name LIKE 'read_log_%%'")
        open_cursors = cursor.fetchall()
    assert first.position == 1 and len(open_cursors) == 1
    assert [e.position for e in reading] == [2, 3]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE 'read_log_%%'")
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
def test_a_streams_events_are_read_by_the_unique_constraints_index(postgres, editor):
    """The stream's (type, id, version) index is the unique constraint's, there is no other."""
    stream = uuid.uuid4()
    for version in range(3):
        with transaction.atomic():
            eventstore.append(new_event(editor, stream_id=stream), expected_version=version)
    assert eventstore.current_version("intervention", stream) == 3
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Event._meta.db_table)
        indexes = [
            name
            for name, definition in constraints.items()
            if definition["columns"] == ["stream_type", "stream_id", "version"]
        ]
        assert indexes == ["event_stream_version_unique"]
        # On a table of a few rows any index costs the same to the planner (it picked the
        # (type, slug) one now and then): reading a stream in version order without a sort
        # is what only this index gives.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        query = Event.objects.filter(stream_type="intervention", stream_id=stream)
        plan = query.order_by("-version").explain()
    assert "event_stream_version_unique" in plan


@pytest.mark.django_db
def test_a_batch_flushed_into_a_script_stores_what_one_by_one_appends_store(postgres, editor):
    """Events serialised together by orjson, in a pipeline: the same rows (times to the
    microsecond, ids, documents, changes) and hashes as appends one by one, and the chain
    verifies."""
    from datetime import UTC, datetime

    from curation.projection.script import Pipeline

    at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    streams = [uuid.UUID(int=n) for n in (7, 8, 7)]
    document = documents.ifm_intervention(slug="s0") | {"ratio": 0.1, "big": 2**62}
    items = [
        (new_event(editor, stream, slug=f"s{i}", document=document), version)
        for i, (stream, version) in enumerate(zip(streams, (0, 0, 1), strict=True))
    ]
    items[1] = (dataclasses.replace(items[1][0], changes=[{"path": "/x", "new": 1.5}]), 0)
    with transaction.atomic():
        singles = [eventstore.append(new, expected_version=v, recorded_at=at) for new, v in items]
        one_by_one = list(Event.objects.order_by("position").values())
        transaction.set_rollback(True)
    with transaction.atomic():
        batch = eventstore.Batch()
        for new, version in items:
            batch.append(new, expected_version=version, recorded_at=at)
        script = Pipeline()
        batch.flush(script)
        assert Event.objects.count() == 0  # sent with the script, not before
        script.run()
    assert [e.hash for e in batch.events] == [e.hash for e in singles]
    assert list(Event.objects.order_by("position").values()) == one_by_one
    assert eventstore.verify_chain().ok
