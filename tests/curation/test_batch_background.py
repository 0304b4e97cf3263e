"""A batch approval sends each chunk's writes from a second thread while it builds the next
(``curation.background``): the connection is used by one thread at a time, a query of this
thread waits for the writes in flight, and a failure of any chunk's writes leaves nothing of
the batch written."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import DatabaseError, DataError, connection, transaction

from curation import eventstore, services
from curation.background import background_writes
from curation.models import ChangeRequest
from curation.projection.script import Pipeline
from curation.services import batch_approval
from tests.curation.test_batch_approval import batch_of_requests, every_row

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the writes go behind on PostgreSQL only"
)


def _refuse_reviews_of(pk: int) -> None:
    """The server refuses the review row of request ``pk`` (a real failure of the chunk's
    writes, raised by PostgreSQL, not a mock): dropped with the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.refuse_review() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.change_request_id = {int(pk)} THEN "
            "RAISE EXCEPTION 'review refused'; END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_review BEFORE INSERT ON curation_review "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_review()"
        )


@needs_postgresql
def test_a_failure_in_the_third_chunk_leaves_nothing_of_the_batch_written(trial, editor, reviewer):
    ids = batch_of_requests(editor, trial)
    before = every_row()
    _refuse_reviews_of(ids[2])
    sent = []
    real_send = Pipeline.send

    def send(script, raw):
        sent.append(len(script.statements))
        return real_send(script, raw)

    with (
        mock.patch.object(batch_approval, "CHUNK", 1),
        mock.patch.object(Pipeline, "send", send),
        pytest.raises(DatabaseError, match="review refused"),
    ):
        services.approve_change_requests(reviewer, ids)
    assert len(sent) == 3  # the first two chunks written, the third refused, no fourth
    # No events, no records, no history, no reviews: the requests are still open.
    assert every_row() == before
    assert set(ChangeRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        ChangeRequest.Status.SUBMITTED
    }
    assert eventstore.verify_chain().ok


@needs_postgresql
def test_a_query_on_this_thread_waits_for_the_writes_in_flight():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE written (n int) ON COMMIT DROP")
        script = Pipeline()
        script.add("SELECT pg_sleep(0.3)")
        script.add("INSERT INTO written VALUES (1)")
        with background_writes() as writes:
            started = time.perf_counter()
            writes.send(script)
            sent = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM written")
                (count,) = cursor.fetchone()
            waited = time.perf_counter() - started
        assert sent < 0.25 <= waited  # sending returned at once; the query waited
        assert count == 1


@needs_postgresql
def test_a_failure_in_flight_is_raised_at_this_threads_next_query_as_django_raises_it():
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        script = Pipeline()
        script.add("SELECT 1 / 0")
        with background_writes() as writes:
            writes.send(script)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            pytest.fail("the query ran after the failed writes")


@needs_postgresql
def test_a_failure_in_flight_is_raised_before_the_block_ends():
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        script = Pipeline()
        script.add("SELECT 1 / 0")
        with background_writes() as writes:
            writes.send(script)
    # The transaction rolled back after the writes were done with the connection.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
