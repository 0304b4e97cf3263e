"""publish_latest: idempotent, coalescing, single-flight, never older, failure-safe."""

import time
from unittest import mock

import pytest
from django.db import connection, connections

from curation.models import Event
from publishing import locks, services, storage, tasks
from publishing.models import PublishLease, Snapshot
from tests import documents
from tests.factories import create_approved, revise_approved

pytestmark = pytest.mark.django_db


def test_publishing_twice_with_nothing_new_does_nothing(small_corpus):
    first = services.publish_latest()
    assert first.status == Snapshot.Status.COMPLETE
    assert services.publish_latest() is None
    assert Snapshot.objects.count() == 1
    assert storage.latest_seq() == first.seq


def test_nothing_is_published_before_the_first_event(snapshot_root):
    assert services.publish_latest() is None
    assert services.sweep() is None
    assert storage.latest_seq() is None


def test_a_burst_of_approvals_gives_one_snapshot_at_the_newest_position(
    small_corpus, editor, reviewer
):
    for n in (401, 402, 403):
        revise_approved(
            editor, reviewer, "trial", "trial-one", lambda d, n=n: d.update(enrollment=n)
        )
    snapshot = services.publish_latest()
    assert Snapshot.objects.count() == 1
    assert snapshot.position == Event.objects.order_by("-position").first().position


def test_force_republishes_at_the_same_position(small_corpus):
    first = services.publish_latest()
    again = services.publish_latest(force=True)
    assert again.seq == first.seq + 1
    assert again.position == first.position
    assert again.previous == first
    assert storage.latest_seq() == again.seq


def test_a_busy_lock_makes_a_second_publisher_return_at_once(small_corpus):
    if connection.vendor == "postgresql":
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s), pg_backend_pid()", [locks.PUBLISH_LOCK_ID]
                )
                acquired, other_pid = cursor.fetchone()
                assert acquired
            assert services.publish_latest() is None
        finally:
            other.close()
        # The server releases the lock when that backend has ended, a moment after close().
        with connection.cursor() as cursor:
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [other_pid])
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
    else:
        from datetime import timedelta

        from django.utils import timezone

        PublishLease.objects.create(
            name=locks.LEASE_NAME,
            holder="another-host:1:abc",
            expires_at=timezone.now() + timedelta(minutes=5),
        )
        assert services.publish_latest() is None
    assert Snapshot.objects.count() == 0
    # Once the holder is gone, publishing proceeds.
    PublishLease.objects.all().delete()
    assert services.publish_latest() is not None


def test_an_expired_or_dead_holders_lease_is_taken_over(small_corpus, settings):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL releases advisory locks of dead sessions itself")
    from datetime import timedelta

    from django.utils import timezone

    PublishLease.objects.create(
        name=locks.LEASE_NAME,
        holder="another-host:1:abc",
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert services.publish_latest() is not None
    import socket

    PublishLease.objects.filter(name=locks.LEASE_NAME).update(
        holder=f"{socket.gethostname()}:999999999:dead",
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    assert services.publish_latest(force=True) is not None


def test_a_failed_build_leaves_latest_alone_and_records_the_error(small_corpus, editor, reviewer):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    with (
        mock.patch(
            "publishing.pages.RecordPages.trial_page", side_effect=RuntimeError("template broke")
        ),
        pytest.raises(RuntimeError),
    ):
        services.publish_latest()
    failed = Snapshot.objects.get(seq=first.seq + 1)
    assert failed.status == Snapshot.Status.FAILED
    assert "template broke" in failed.error
    assert storage.latest_seq() == first.seq
    store = storage.snapshot_store()
    with pytest.raises(storage.SnapshotNotFound):
        store.manifest(failed.seq)
    assert store.build_leftovers(failed.seq) == []  # nothing half-done stays behind
    # The next run completes and measures its changes against the last complete snapshot.
    third = services.publish_latest()
    assert third.status == Snapshot.Status.COMPLETE and third.previous == first


def test_an_interrupted_build_is_marked_failed_and_its_directory_cleared(
    small_corpus, snapshot_mode
):
    Snapshot.objects.create(seq=1, position=1, status=Snapshot.Status.BUILDING)
    store = storage.snapshot_store()
    if snapshot_mode == "filesystem":  # died while putting its manifest in place
        leftover = storage.root() / storage.BUILDING_DIR / "1-died"
    else:  # died with bodies staged, not yet uploaded
        leftover = store.staging(1)
    leftover.mkdir(parents=True)
    (leftover / "manifest.json").write_bytes(b"{half")
    snapshot = services.publish_latest()
    assert snapshot.seq == 2
    assert Snapshot.objects.get(seq=1).status == Snapshot.Status.FAILED
    assert not leftover.exists()


def test_a_snapshot_is_never_older_than_one_already_out(small_corpus, editor, reviewer):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    assert second.position > first.position
    # A late task for an old position publishes nothing older.
    assert tasks.publish_snapshot.apply(kwargs={"position": first.position}).get() is None
    assert storage.latest_seq() == second.seq


def test_sweep_publishes_what_was_missed(small_corpus, editor, reviewer):
    services.publish_latest()
    create_approved(editor, reviewer, "trial", documents.drugex_trial("trial-three", "TRIAL 3"))
    snapshot = tasks.sweep.apply().get()
    assert Snapshot.objects.get(seq=snapshot).position == Event.objects.last().position
    assert tasks.sweep.apply().get() is None


def test_tasks_are_configured_for_safe_redelivery():
    for task in (tasks.publish_snapshot, tasks.sweep):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert task.time_limit > task.soft_time_limit > 0
        assert task.max_retries and task.retry_backoff


def test_approval_succeeds_and_is_quick_when_the_broker_refuses(
    editor, reviewer, snapshot_root, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    with (
        mock.patch.object(
            tasks.publish_snapshot, "apply_async", side_effect=OperationalError("refused")
        ) as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = create_approved(editor, reviewer, "citation", documents.minimal_citation("x-1"))
    assert Event.objects.filter(position=event.position).exists()
    send.assert_called_once()
    assert send.call_args.kwargs["kwargs"] == {"position": event.position}
    assert "the sweep will publish it" in caplog.text
