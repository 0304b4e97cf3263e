"""A transaction's BEGIN goes with its first statements (``roundtrip.beginning``), and an
approval's COMMIT with its writes (``roundtrip.may_send_commit``): an approval outside any
transaction takes two round trips, an append three, BEGIN and COMMIT included, and each stays
one transaction: a refusal after the first statements writes nothing, and the connection is back
in autocommit mode afterwards, as Django left it. (Transactional tests: the suite's usual
test transaction would already have begun.)"""

from __future__ import annotations

import contextlib
import uuid
from unittest import mock

import psycopg
import pytest
from django.db import DataError, ProgrammingError, connection, transaction

from curation import eventstore, selectors, services
from curation.errors import VersionConflict
from curation.models import ChangeRequest, Event, Notification
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
    assert len(counted) == 2  # BEGIN with the locks and reads; the writes with COMMIT
    assert ChangeRequest.objects.get(pk=cr.pk).status == "approved"
    assert connection.get_autocommit() and connection.connection.autocommit


def test_a_proposal_takes_three_round_trips(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    live = selectors.live_record("trial", "ifm-2005-02")
    factories.propose_seed_revision(editor, "First.", live)  # the connection prepares its own
    with round_trips() as counted:
        cr = factories.propose_seed_revision(editor, "Again.", live, citations=["attal-2012"])
    # BEGIN with the reads (the record, the references and citations named); the request's
    # row, its history row and review with the reviewers' lookup; COMMIT (alone: the
    # notification's rows, when anyone is told, are written after the request's).
    assert len(counted) == 3
    assert ChangeRequest.objects.get(pk=cr.pk).status == "submitted"
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


def test_an_approvals_commit_goes_with_its_writes_and_its_callbacks_run_after(
    postgres, editor, reviewer
):
    factories.seed_trial(editor, reviewer)
    cr = factories.propose_seed_revision(editor, "Again.")
    signalled = []

    def seen_from_elsewhere(position, **kwargs):
        # Sent once committed: another connection sees the event already.
        with psycopg.connect(**connection.get_connection_params()) as other:
            found = other.execute(
                "SELECT count(*) FROM curation_event WHERE position = %s", [position]
            ).fetchone()[0]
        signalled.append((position, found))

    sent = []
    with (
        mock.patch.object(
            connection.connection.__class__, "commit", autospec=True, side_effect=sent.append
        ),
        signal_received(seen_from_elsewhere),
    ):
        event = services.approve(cr, user=reviewer)
    assert signalled == [(event.position, 1)]
    assert sent  # Django still calls commit(): psycopg finds the transaction over, sends nothing
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert ChangeRequest.objects.get(pk=cr.pk).status == "approved"
    assert eventstore.verify_chain().ok


def test_an_approval_inside_a_callers_transaction_leaves_the_commit_to_the_caller(
    postgres, editor, reviewer
):
    factories.seed_trial(editor, reviewer)
    cr = factories.propose_seed_revision(editor, "Again.")
    events = Event.objects.count()
    with round_trips() as counted, contextlib.suppress(RuntimeError), transaction.atomic():
        services.approve(cr, user=reviewer)
        assert connection.connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
        raise RuntimeError("the caller changes its mind")
    # BEGIN, SAVEPOINT (the approval's block), the reads, the writes without a COMMIT, RELEASE
    # SAVEPOINT, the caller's ROLLBACK: which undid the approval.
    assert len(counted) == 6
    assert Event.objects.count() == events
    assert ChangeRequest.objects.get(pk=cr.pk).status == "submitted"


def test_a_statement_failing_in_the_writes_commits_nothing(postgres, editor, reviewer):
    from curation.services import approval

    factories.seed_trial(editor, reviewer)
    cr = factories.propose_seed_revision(editor, "Again.")
    written = (Event.objects.count(), ChangeRequest.history.count(), Notification.objects.count())
    closing = approval.close_approved

    def failing_at_the_end(*args):
        closing(*args)
        args[-1].add("SELECT 1 / 0")  # the last write, just before the COMMIT

    with (
        mock.patch.object(approval, "close_approved", failing_at_the_end),
        pytest.raises(DataError),
    ):
        services.approve(cr, user=reviewer)
    assert (
        Event.objects.count(),
        ChangeRequest.history.count(),
        Notification.objects.count(),
    ) == written
    assert ChangeRequest.objects.get(pk=cr.pk).status == "submitted"
    assert connection.get_autocommit() and connection.connection.autocommit
    assert eventstore.verify_chain().ok


def test_the_authors_notification_is_written_in_the_approvals_transaction(
    postgres, editor, reviewer
):
    editor.email = "editor@example.org"
    editor.save()
    factories.seed_trial(editor, reviewer)
    cr = factories.propose_seed_revision(editor, "Again.")
    services.approve(cr, user=reviewer)
    assert list(
        Notification.objects.filter(change_request=cr).values_list("kind", "recipient")
    ) == [("approved", editor.pk)]


@contextlib.contextmanager
def signal_received(receiver):
    from curation.signals import events_appended

    events_appended.connect(receiver, weak=False, dispatch_uid="test-commit-callbacks")
    try:
        yield
    finally:
        events_appended.disconnect(dispatch_uid="test-commit-callbacks")
