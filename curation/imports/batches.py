"""Batches: a file of many studies or references imported as one change request per record, by
a Celery task, with progress; the one service the commands, the API and the admin call.

- ``start_batch`` reads the file into items (one per record, each with its identity ``key``)
  and asks a worker to run it. A study batch is a JSON array of v2 studies or a zip of study
  files; an entry may be ``{"study": {...}, "group_map": {...}}`` to say which arm each results
  group is. A reference batch is any reference file (PubMed XML, RIS, BibTeX, CSL-JSON).
  Starting the same file again while its batch is unfinished resumes that batch.
- ``dispatch_batch`` (the task) splits a large batch into parts (by record identity), each
  run by ``run_batch`` as a task of its own, so several workers import it at once.
- ``run_batch`` imports the pending items (of its part) a chunk at a time (``batch_chunks``),
  each chunk in its own transaction with its item rows locked: the change requests, the
  items' outcomes and the batch's counters commit together or not at all. A worker killed
  mid-batch leaves the change requests it made (none of the chunk it was in); running the
  batch again (``resume_stalled``, from the beat) imports only the pending items.
  An item whose key already made a change request, in this batch or an earlier one of the
  same kind (not rejected or withdrawn), is skipped.
- A record that is refused (not a study, groups to map, a malformed entry, ...) is a failure
  of that item with its reason and path; the others go through.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import reset_queries, transaction
from django.urls import reverse
from django.utils import timezone

from .. import bulk, notifications
from ..errors import NotFound, ValidationFailed
from ..models import ImportBatch, ImportBatchItem
from ..services.policy import propose_refusal
from . import batch_chunks
from .batch_files import reference_entries, study_entries
from .errors import SourceTooLarge

logger = logging.getLogger(__name__)

Kind = ImportBatch.Kind
Item = ImportBatchItem.Status
CREATE_CHUNK = 200
MIN_PART_ITEMS = 20
CLOSED_UNMADE = batch_chunks.CLOSED_UNMADE


# --- Starting a batch ---------------------------------------------------------------------


def start_batch(
    *,
    user,
    kind: str,
    raw: bytes,
    filename: str,
    submit: bool = False,
    fmt: str | None = None,
    enqueue: bool = True,
) -> ImportBatch:
    """The batch of ``raw`` (a new one, or the unfinished batch of the same file, resumed),
    asked of a worker once committed. Only editors; a file that holds no records, or one
    study (not a batch), is refused and nothing is written."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    if kind not in Kind.values:
        raise ValidationFailed(
            [{"path": "kind", "message": f"one of {', '.join(Kind.values)}, not {kind!r}"}]
        )
    filename = (filename or "the uploaded file")[:300]
    limit = settings.IMPORT_BATCH_MAX_BYTES
    if len(raw) > limit:
        raise SourceTooLarge(f"{filename} is {len(raw)} bytes, over the limit of {limit} bytes")
    if not raw.strip():
        raise ValidationFailed([{"path": "", "message": "is empty"}], f"{filename} is empty")
    digest = hashlib.sha256(raw).hexdigest()
    unfinished = (
        ImportBatch.objects.filter(kind=kind, author=user, file_sha256=digest, submit=submit)
        .exclude(status=ImportBatch.Status.DONE)
        .first()
    )
    if unfinished is not None:
        if enqueue:
            _enqueue(unfinished)
        return unfinished
    if kind == Kind.CTGOV:
        entries = study_entries(raw, filename)
    else:
        entries = reference_entries(raw, filename, fmt)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            filename=filename,
            file_sha256=digest,
            file_size=len(raw),
            author=user,
            submit=submit,
            heartbeat_at=timezone.now(),
        )
        total = failed = 0
        chunk: list[ImportBatchItem] = []
        for position, entry in enumerate(entries):
            total += 1
            failed += bool(entry.error)
            chunk.append(
                ImportBatchItem(
                    batch=batch,
                    position=position,
                    where=entry.where[:500],
                    key=entry.key[:600],
                    content=entry.content,
                    status=Item.FAILED if entry.error else Item.PENDING,
                    message=entry.error,
                    path=entry.path[:500],
                )
            )
            if len(chunk) >= CREATE_CHUNK:
                bulk.insert(ImportBatchItem, chunk)
                chunk = []
        bulk.insert(ImportBatchItem, chunk)
        if total == 0:
            raise ValidationFailed(
                [{"path": "", "message": "holds no records"}], f"{filename} holds no records"
            )
        batch.total, batch.processed, batch.failed = total, failed, failed
        batch.save(update_fields=["total", "processed", "failed"])
        if enqueue:
            transaction.on_commit(lambda: _enqueue(batch))
    return batch


def _enqueue(batch: ImportBatch) -> None:
    """Ask a worker to run the batch. A broker that is down is logged, not raised: the beat's
    ``resume_stalled`` starts the batch once the broker is back."""
    from ..tasks import run_import_batch

    try:
        run_import_batch.apply_async(args=[batch.pk], retry=False)
    except Exception:  # kombu's errors vary by transport
        logger.warning("could not send import batch %s to a worker; the beat will", batch.pk)


# --- Running a batch ----------------------------------------------------------------------


def parts_for(pending: int) -> int:
    """How many parts a batch of ``pending`` items is run in: IMPORT_BATCH_PARTS, fewer when
    a part would hold under MIN_PART_ITEMS items (a small batch is one task)."""
    return max(1, min(settings.IMPORT_BATCH_PARTS, pending // MIN_PART_ITEMS))


def part_of(key: str, parts: int) -> int:
    """The part an item with this identity belongs to. By key, not by position: every item
    of one record lands in one part, in file order, so the first is imported and the later
    ones are skipped as repeats, as in a batch run whole."""
    return zlib.crc32(key.encode()) % parts


def dispatch_batch(batch_id: int) -> int:
    """The task's first step: a batch large enough is split into parts, each a task of its
    own, so that several workers (or a worker's processes) import it at once; a small one is
    run here. Returns the number of parts."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status == ImportBatch.Status.DONE:
        return 0
    parts = parts_for(ImportBatchItem.objects.filter(batch=batch, status=Item.PENDING).count())
    if parts == 1:
        run_batch(batch_id)
        return 1
    from ..tasks import run_import_batch_part

    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    for part in range(parts):
        try:
            run_import_batch_part.apply_async(args=[batch.pk, part, parts], retry=False)
        except Exception:  # kombu's errors vary by transport
            # The beat's resume_stalled sends the batch again once no part moves it.
            logger.warning("could not send part %s of import batch %s", part, batch.pk)
    return parts


def run_batch(batch_id: int, part: int = 0, parts: int = 1) -> ImportBatch | None:
    """Import the batch's pending items (those of ``part`` of ``parts``); the batch is done
    when none is left, whichever part ends last. Safe to run again, or twice at once: each
    item is taken under a row lock and only while pending."""
    batch = ImportBatch.objects.filter(pk=batch_id).select_related("author").first()
    if batch is None or batch.status == ImportBatch.Status.DONE:
        return batch
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    pending = (
        ImportBatchItem.objects.filter(batch=batch, status=Item.PENDING)
        .order_by("position")
        .values_list("pk", "key")
    )
    # Ids only, read in chunks: memory stays flat however large the batch. The reviewers
    # hear of the batch once, when it is done, not of each request it submits.
    chunk_size = settings.IMPORT_BATCH_CHUNK
    with notifications.held("submitted"):
        chunk: list[int] = []
        for item_id, key in pending.iterator(chunk_size=500):
            if parts == 1 or part_of(key, parts) == part:
                chunk.append(item_id)
                if len(chunk) >= chunk_size:
                    _run_chunk(batch, chunk)
                    chunk = []
        _run_chunk(batch, chunk)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not ImportBatchItem.objects.filter(batch=batch, status=Item.PENDING).exists():
            locked.status, locked.finished_at = ImportBatch.Status.DONE, timezone.now()
            locked.save(update_fields=["status", "finished_at"])
            if locked.submit and locked.made:
                notifications.notify(
                    "batch_submitted",
                    None,
                    batch.author,
                    context={
                        "batch": locked,
                        "count": locked.made,
                        "batch_url": settings.SITE_URL
                        + reverse("admin:curation_importbatch_change", args=[locked.pk]),
                    },
                )
    return locked


def _run_chunk(batch: ImportBatch, item_ids: list[int]) -> None:
    if not item_ids:
        return
    # A long task keeps no log of its queries (with DEBUG on, each holds its SQL, a whole
    # study's JSON): as a request does, each chunk starts a new one.
    reset_queries()
    batch_chunks.run_chunk(batch, item_ids)


def resume_stalled() -> list[int]:
    """Ask a worker again for every unfinished batch that no worker has moved for
    IMPORT_BATCH_STALE_SECONDS (its worker died, or the task never reached one)."""
    stale = timezone.now() - timedelta(seconds=settings.IMPORT_BATCH_STALE_SECONDS)
    resumed = []
    for batch in ImportBatch.objects.exclude(status=ImportBatch.Status.DONE).filter(
        heartbeat_at__lt=stale
    ):
        # Touched first, so the next sweep does not ask again while this run starts.
        ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
        _enqueue(batch)
        resumed.append(batch.pk)
    return resumed


# --- Progress -----------------------------------------------------------------------------


def batch(batch_id: Any) -> ImportBatch:
    """The batch with this id (as a URL gives it), or NotFound."""
    text = str(batch_id)
    found = None
    if text.isascii() and text.isdigit() and len(text) < 19:
        found = ImportBatch.objects.filter(pk=int(text)).first()
    if found is None:
        raise NotFound(f"no import batch {text[:40]!r}")
    return found


def failures(batch: ImportBatch):
    """The batch's failed items, in file order: where, why, the path inside the record."""
    return batch.items.filter(status=Item.FAILED).order_by("position")


def progress(batch: ImportBatch) -> dict[str, Any]:
    batch.refresh_from_db()
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "filename": batch.filename,
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "made": batch.made,
        "skipped": batch.skipped,
        "failed": batch.failed,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "failures": [
            {"where": i.where, "path": i.path, "message": i.message} for i in failures(batch)
        ],
        "change_requests": list(
            batch.items.filter(status=Item.MADE)
            .order_by("position")
            .values_list("change_request_id", flat=True)
        ),
    }
