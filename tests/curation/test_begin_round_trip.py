"""A transaction's BEGIN goes with its first statements (``roundtrip.beginning``): an approval
and an append outside any transaction take three round trips, BEGIN included, and stay one
transaction: a refusal after the first statements writes nothing, and the connection is back
in autocommit mode afterwards, as Django left it. (Transactional tests: the suite's usual
test transaction would already have begun.)"""

from __future__ import annotations

import contextlib
import uuid
from unittest import mock

import psycopg
import pytest
from django.db import ProgrammingError, connection, transaction

from curation import eventstore, services
from curation.errors import VersionConflict
from curation.models import ChangeRequest, Event
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def round_trips():
    """Count the exchanges with the server: each command or query psycopg sends and then
    waits for the answer of (BEGIN, COMMIT and a cursor's execute alike)."""
    from psycopg import _connection_base, _cursor_base, generators

    counted = []

    def counting(original):
        def execute(pgconn, *args, **kwargs):
            counted.append(1)
            return (yield from original(pgconn, *args, **kwargs))

        return execute

    with (
        mock.patch.object(_cursor_base, "execute", counting(_cursor_base.execute)),
        mock.patch.object(generators, "execute", counting(generators.execute)),
    ):
        assert _connection_base.generators is generators
        yield counted


def test_an_approval_sends_its_begin_with_its_reads(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    cr = factories.propose_seed_revision(editor, "Again.")
    with round_trips() as counted:
        services.approve(cr, user=reviewer)
    assert len(counted) == 3  # BEGIN with the locks and reads; the writes; COMMIT
    assert ChangeRequest.objects.get(pk=cr.pk).status == "approved"
    assert connection.get_autocommit() and connection.connection.autocommit


def test_an_append_sends_its_begin_with_its_lock(postgres, editor):
    new = eventstore.NewEvent(
        stream_type="intervention",
        stream_id=uuid.uuid4(),
        slug="drug-x",
        type="created",
        document={"slug": "drug-x"},
        changes=[],
        proposer_id=editor.pk,
        approver_id=editor.pk,
    )
    with transaction.atomic():
        eventstore.append(new, expected_version=0)  # the connection prepares what it needs
    again = eventstore.NewEvent(**{**new.__dict__, "type": "revised", "slug": "drug-y"})
    with round_trips() as counted, transaction.atomic():
        eventstore.append(again, expected_version=1)
    assert len(counted) == 3  # BEGIN with the lock and read; the INSERT; COMMIT
    assert [e.slug for e in Event.objects.order_by("position")] == ["drug-x", "drug-y"]
    assert eventstore.verify_chain().ok


def test_a_refusal_after_the_first_statements_writes_nothing(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    first, second = (
        factories.propose_seed_revision(editor, "Same."),
        factories.propose_seed_revision(editor, "Same."),
    )
    services.approve(first, user=reviewer)
    written = (Event.objects.count(), ChangeRequest.history.count())
    with pytest.raises(VersionConflict):
        services.approve(second, user=reviewer)  # refused once read: already made
    assert (Event.objects.count(), ChangeRequest.history.count()) == written
    assert ChangeRequest.objects.get(pk=second.pk).status == "submitted"
    assert connection.get_autocommit() and connection.connection.autocommit
    # Statements outside an atomic block commit on their own again; inside one, roll back.
    with contextlib.suppress(RuntimeError), transaction.atomic():
        services.request_changes(second.pk, user=reviewer, comment="look again")
        raise RuntimeError("undo")
    assert ChangeRequest.objects.get(pk=second.pk).status == "submitted"


def test_statements_failing_before_their_begin_leave_psycopg_to_begin(postgres, editor):
    from curation.roundtrip import Together

    together = Together()
    together.add(("SELECT %s", [object()]))  # refused by psycopg before anything is sent
    with pytest.raises(ProgrammingError), transaction.atomic():
        together.run()
    conn = connection.connection
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with transaction.atomic():
        assert not conn.autocommit
        Event.objects.count()
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert connection.get_autocommit() and conn.autocommit
