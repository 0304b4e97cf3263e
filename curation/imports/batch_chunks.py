"""A batch's items imported a chunk at a time (``batches.run_batch`` calls ``run_chunk``): the
same outcome per item as importing each record on its own, in a few statements per chunk
instead of some twenty per record.

A chunk is one transaction: its items are taken under row locks (those another run holds are
left to it), each record is checked (and a study mapped and validated) as a single import does
(``services.prepare_ctgov_study``, ``citation_services.prepare_reference``; a refused one is
that item's failure and writes nothing), then the change requests (and a study's source
document and its link) are written together (``study_writes.write_many``,
``proposals.save_proposals``), with the items' outcomes and the batch's counters. A worker
killed mid-chunk leaves none of the chunk: a rerun imports its items, and no others twice.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from ..errors import CurationError, ValidationFailed
from ..models import ChangeRequest, ImportBatch, ImportBatchItem
from ..services.proposals import save_proposals
from . import citation_formats as formats
from . import citation_services, services, study_writes
from .study_reads import StudyReads

logger = logging.getLogger(__name__)

Item = ImportBatchItem.Status
# A change request in these states no longer stands for its record: importing it again is fine.
CLOSED_UNMADE = (ChangeRequest.Status.REJECTED, ChangeRequest.Status.WITHDRAWN)


def run_chunk(batch: ImportBatch, item_ids: list[int]) -> None:
    """Import the pending ones of ``item_ids`` (IMPORT_BATCH_CHUNK of them: enough to make a
    few statements cheap per study, few enough that the chunk's JSON, about 0.2 to 0.5 MB a
    study, stays small beside a worker's memory)."""
    with transaction.atomic():
        items = list(
            # The items' rows alone (of=self, no ordering by batch): joined, the batch's row
            # would be locked too, and while another part updates the batch's counters these
            # items would be skipped as if another run had them.
            ImportBatchItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=item_ids, status=Item.PENDING)
            .order_by("position")
        )
        if not items:
            return  # done meanwhile, or being done by another run of the batch
        earlier = _made_earlier(batch, items)
        contents = {item.pk: _content(item) for item in items}
        reads = None
        if batch.kind == ImportBatch.Kind.CTGOV:
            # What the studies' imports read, read once for all of them.
            reads = StudyReads.prefetched(
                [c["study"] for c in contents.values() if isinstance(c, dict) and "study" in c]
            )
        first_of_key: dict[str, ImportBatchItem] = {}
        prepared: list[tuple[ImportBatchItem, Any]] = []
        repeats: list[tuple[ImportBatchItem, ImportBatchItem]] = []
        for item in items:
            if item.key in earlier:
                _skip(item, *earlier[item.key])
            elif item.key in first_of_key:
                repeats.append((item, first_of_key[item.key]))
            elif (ready := _prepare(batch, item, contents.pop(item.pk), reads)) is not None:
                first_of_key[item.key] = item
                prepared.append((item, ready))
        made = _write(batch, [ready for _, ready in prepared])
        for (item, _), change_request in zip(prepared, made, strict=True):
            item.status, item.change_request_id = Item.MADE, change_request.pk
        for item, first in repeats:
            _skip(item, first.change_request_id, batch.pk, first.where)
        _save_outcomes(batch, items)


def _made_earlier(batch: ImportBatch, items: list[ImportBatchItem]) -> dict[str, tuple]:
    """key -> (change request, batch, where) of the first item, in this batch or an earlier
    one of its kind, that made a change request still standing for the record."""
    found: dict[str, tuple] = {}
    rows = (
        ImportBatchItem.objects.filter(
            batch__kind=batch.kind, key__in={i.key for i in items}, status=Item.MADE
        )
        .exclude(pk__in=[i.pk for i in items])
        .exclude(change_request__status__in=CLOSED_UNMADE)
        .order_by("batch", "position")
        .values_list("key", "change_request_id", "batch_id", "where")
    )
    for key, *made in rows:
        found.setdefault(key, tuple(made))
    return found


def _skip(item: ImportBatchItem, change_request_id: int, batch_id: int, where: str) -> None:
    item.status, item.change_request_id = Item.SKIPPED, change_request_id
    item.message = (
        f"already imported as change request {change_request_id} (batch {batch_id}, {where})"
    )


def _content(item: ImportBatchItem) -> Any:
    try:
        return orjson.loads(item.content)
    except orjson.JSONDecodeError:
        return None  # said as the item's failure by _prepare


def _prepare(batch: ImportBatch, item: ImportBatchItem, content: Any, reads: Any) -> Any:
    """The item's import checked and built (a prepared study import, or a reference's unsaved
    change request), or None with the item's outcome said (failed and why, or up to date)."""
    try:
        if content is None:
            content = orjson.loads(item.content)  # raises, saying where it stops being JSON
        if batch.kind == ImportBatch.Kind.CTGOV:
            return services.prepare_ctgov_study(
                user=batch.author,
                study=content["study"],
                group_map=content["group_map"],
                label=item.where,
                submit=batch.submit,
                remember=False,  # a worker's cache would only grow: nobody here approves them
                reads=reads,
            )
        outcome = citation_services.prepare_reference(
            user=batch.author,
            reference=formats.Reference(**content),
            where=item.where,
            submit=batch.submit,
        )
        if outcome.error:
            raise ValidationFailed([{"path": "", "message": outcome.error}], outcome.error)
        if outcome.change_request is None:
            item.status = Item.SKIPPED
            item.message = f"citation {outcome.up_to_date} already says this"
        return outcome.change_request
    except CurationError as exc:
        errors = getattr(exc, "errors", None) or [{}]
        item.status, item.message, item.path = Item.FAILED, exc.message, errors[0].get("path", "")
    except DatabaseError:
        raise  # the database, not the record: the task retries, the chunk still pending
    except Exception as exc:  # a bug on one record must not stop the others
        logger.exception("import batch %s: %s", batch.pk, item.where)
        item.status, item.message = Item.FAILED, f"unexpected error: {type(exc).__name__}: {exc}"
    return None


def _write(batch: ImportBatch, prepared: list[Any]) -> list[ChangeRequest]:
    if batch.kind == ImportBatch.Kind.CTGOV:
        return [result.change_request for result in study_writes.write_many(prepared)]
    return save_proposals(prepared, batch.author, batch.submit)


def _save_outcomes(batch: ImportBatch, items: list[ImportBatchItem]) -> None:
    """The items' outcomes and the batch's counters, in the chunk's transaction. A done
    item's content is emptied: its change request and source document hold it now."""
    ImportBatchItem.objects.bulk_update(items, ["status", "change_request", "message", "path"])
    ImportBatchItem.objects.filter(pk__in=[i.pk for i in items if i.status != Item.FAILED]).update(
        content=""
    )
    counts = {status: sum(i.status == status for i in items) for status in Item.values}
    ImportBatch.objects.filter(pk=batch.pk).update(
        processed=F("processed") + len(items),
        made=F("made") + counts[Item.MADE],
        skipped=F("skipped") + counts[Item.SKIPPED],
        failed=F("failed") + counts[Item.FAILED],
        heartbeat_at=timezone.now(),
    )
