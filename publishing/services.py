"""Publishing: turn the event log into snapshots. Tasks and commands call only these.

``publish_latest()`` is idempotent, single-flight and coalescing:

- it takes the database publishing lock without waiting (``locks.publish_lock``); a caller
  that finds it taken returns at once, because the holder re-checks for newer events after
  releasing it (below), so no approval is left unpublished;
- under the lock it reads the newest event position and builds one snapshot there, whatever
  number of approvals arrived meanwhile (a burst gives one snapshot at the newest position);
- it builds only past the newest complete snapshot, so a snapshot is never older than one
  already out, and a repeated call with nothing new does nothing;
- after releasing the lock it looks again: an approval that committed while it built, and
  whose task found the lock taken, is published by another round.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from pathlib import Path

from django.db.models import Max
from django.utils import timezone

from curation.eventstore import last_position

from . import locks, pending, storage
from .build import BuildResult, PreviousSnapshot, SnapshotBuilder, compare_directories, composite
from .build import manifest as split_manifest
from .models import Snapshot
from .selectors import latest_complete_snapshot

logger = logging.getLogger(__name__)


class PublishingError(Exception):
    pass


def published_position() -> int:
    latest = latest_complete_snapshot()
    return latest.position if latest else 0


def publish_latest(*, force: bool = False, max_rounds: int = 20) -> Snapshot | None:
    """Publish up to the newest event. Returns the last snapshot built, or None.

    ``force`` builds a new snapshot even when nothing changed (an operator's "republish now",
    e.g. after a template change).
    """
    # Before the newest event is read: an approval committed after that read finds no request
    # pending and sends its own (``pending``).
    pending.clear()
    built = None
    for _ in range(max_rounds):
        with locks.publish_lock() as lock:
            if lock is None:
                logger.info("publishing: another worker holds the lock; it will catch up")
                return built
            target = last_position()
            previous = latest_complete_snapshot()
            if force or target > (previous.position if previous else 0):
                built = _build(target, previous, lock)
            force = False
        if last_position() <= published_position():
            return built
    return built


def _abandon_interrupted_builds() -> None:
    """Builds still marked "building" while we hold the lock died with their worker."""
    Snapshot.objects.filter(status=Snapshot.Status.BUILDING).update(
        status=Snapshot.Status.FAILED,
        error="interrupted: the worker stopped before finishing",
        finished_at=timezone.now(),
    )
    storage.snapshot_store().clear_abandoned_builds()


def _previous_of(snapshot: Snapshot | None, reuse: bool = True) -> PreviousSnapshot | None:
    if snapshot is None:
        return None
    state = storage.snapshot_store().previous_state(snapshot.seq) if reuse else None
    return PreviousSnapshot(snapshot.seq, snapshot.position, state)


def _build(target: int, previous: Snapshot | None, lock: locks.Lock) -> Snapshot:
    _abandon_interrupted_builds()
    seq = (Snapshot.objects.aggregate(last=Max("seq"))["last"] or 0) + 1
    snapshot = Snapshot.objects.create(
        seq=seq,
        position=target,
        previous=previous,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
    logger.info("publishing snapshot %s at position %s", seq, target)

    def progress(done: int, total: int) -> None:
        Snapshot.objects.filter(pk=snapshot.pk).update(progress_done=done, progress_total=total)
        lock.renew()

    store = storage.snapshot_store()
    try:
        builder = SnapshotBuilder(seq, target, _previous_of(previous), progress)
        result = builder.build_into(store.object_sink(seq))
        # Every body and part is stored: the manifest goes last, and makes the snapshot.
        store.put_in_place(seq, result.manifest_bytes)
    except BaseException as exc:
        store.discard_build(seq)
        composite.forget()  # the chunks it made may never have been stored
        Snapshot.objects.filter(pk=snapshot.pk).update(
            status=Snapshot.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:5000],
            finished_at=timezone.now(),
        )
        raise
    _record_complete(snapshot, result)
    store.make_latest(seq)
    logger.info(
        "published snapshot %s at position %s (%s files rendered, %s reused, %.2fs)",
        seq,
        target,
        result.files_rendered,
        result.files_reused,
        result.timings.get("total", 0),
    )
    return snapshot


def _record_complete(snapshot: Snapshot, result: BuildResult) -> None:
    snapshot.status = Snapshot.Status.COMPLETE
    snapshot.counts = result.meta["counts"]
    snapshot.manifest_sha256 = result.manifest_sha256
    snapshot.files_rendered = result.files_rendered
    snapshot.refresh_from_db(fields=["progress_total"])
    snapshot.progress_done = snapshot.progress_total
    snapshot.finished_at = timezone.now()
    snapshot.save()


# Sending must never hold an approval up for long when the broker is down: one quick try,
# then give up and leave it to the sweep (the event itself is already committed).
SEND_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def request_publication(*, position: int | None = None, force: bool = False) -> None:
    """Ask a worker to publish up to the newest event (``force``: even if nothing changed).

    Raises PublishingError when the task queue cannot be reached: publication is then only
    delayed, since the beat sweep compares the log with the newest snapshot.

    Sends nothing when a request is pending already (``pending``): its task has yet to read
    the newest event, which includes the caller's. A forced request is always sent.
    """
    from .tasks import publish_snapshot  # the tasks call these services

    if not force and not pending.claim():
        return

    kwargs = {"position": position} if position is not None else {}
    if force:
        kwargs["force"] = True
    try:
        publish_snapshot.apply_async(
            kwargs=kwargs,
            retry=True,
            retry_policy=SEND_RETRY_POLICY,
        )
    except Exception as exc:  # noqa: BLE001 - any broker failure means the same here
        if not force:
            pending.clear()  # nothing is pending: the next approval tries again
        raise PublishingError(f"could not reach the task queue ({exc})") from exc


def sweep() -> Snapshot | None:
    """The beat task's check: publish whatever the broker may have missed (and let the next
    approval send a request, whatever became of the one pending)."""
    pending.clear()
    behind = last_position() - published_position()
    if behind <= 0:
        return None
    logger.info("publishing sweep: %s event(s) not yet published", behind)
    return publish_latest()


def rebuild_and_compare(seq: int, into: Path) -> list[str]:
    """Rebuild snapshot ``seq`` from the event log into ``into`` (from scratch, no reuse) and
    compare it byte for byte with the published one, whose files, manifest and manifest parts
    are read from the store into a directory next to ``into``. Returns the differences.

    A snapshot published before the manifest was split (format 1) is compared file by file
    without its manifest, which a rebuild now writes in the split form."""
    snapshot = Snapshot.objects.filter(seq=seq, status=Snapshot.Status.COMPLETE).first()
    if snapshot is None:
        raise PublishingError(f"there is no complete snapshot {seq}")
    store = storage.snapshot_store()
    try:
        published = store.copy_to(seq, into.with_name(f"{into.name}.published"))
        legacy = store.manifest(seq).format < 2
    except storage.SnapshotNotFound:
        raise PublishingError(f"snapshot {seq} is recorded complete but not stored") from None
    into.mkdir(parents=True, exist_ok=True)
    previous = _previous_of(snapshot.previous, reuse=False)
    SnapshotBuilder(seq, snapshot.position, previous).build(into)
    if legacy:
        for directory in (published, into):
            (directory / storage.MANIFEST).unlink(missing_ok=True)
            shutil.rmtree(directory / split_manifest.PART_DIR, ignore_errors=True)
    return compare_directories(published, into)
