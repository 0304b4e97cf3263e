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
    with transaction.atomic():
        for i in range(4):
            eventstore.append(new_event(editor, slug=f"d{i}"), expected_version=0)
    call_command("verify_events")  # intact
    _tamper("UPDATE curation_event SET rationale = %s WHERE position = %s", ["forged", 3])
    report = eventstore.verify_chain()
    assert report.broken_at == 3 and "altered" in report.problem and report.events == 2
    with pytest.raises(CommandError, match="broken at position 3"):
        call_command("verify_events")


@pytest.mark.django_db
def test_verify_detects_a_relinked_chain(editor):
    with transaction.atomic():
        for i in range(3):
            eventstore.append(new_event(editor, slug=f"d{i}"), expected_version=0)
    _tamper("UPDATE curation_event SET prev_hash = %s WHERE position = %s", ["f" * 64, 2])
    report = eventstore.verify_chain()
    assert report.broken_at == 2 and "prev_hash" in report.problem
