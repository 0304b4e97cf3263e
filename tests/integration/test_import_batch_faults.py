"""Import batches under faults, with real Redis, PostgreSQL and Celery worker processes: a
worker SIGKILLed in the middle of a batch; another worker (its beat finds the stalled batch)
completes it with exactly one change request per record."""

from __future__ import annotations

import pytest

from curation.imports import batches
from curation.models import ChangeRequest, ImportBatch
from tests.imports.test_batches import studies_array
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]
RECORDS = 12


def test_a_worker_killed_mid_batch_and_another_completes_it_without_duplicates(
    live_postgres, editor, send_tasks_to, workers
):
    resume = {"IMPORT_BATCH_RESUME_SECONDS": "1", "IMPORT_BATCH_STALE_SECONDS": "3"}
    # Two studies a chunk (each chunk one transaction): the kill lands between chunks or in one.
    resume["IMPORT_BATCH_CHUNK"] = "2"
    workers.start("slow", app="tests.integration.slow_worker", SLOW_IMPORT_SECONDS="0.5", **resume)
    batch = batches.start_batch(
        user=editor, kind="ctgov", raw=studies_array(RECORDS, broken_at=5), filename="s.json"
    )  # committed (a transactional test): the task goes to the slow worker at once

    def progress():
        batch.refresh_from_db()
        return batch.processed

    wait_for(lambda: progress() >= 3, 60, "the slow worker to import three records")
    workers.kill("slow")
    batch.refresh_from_db()
    assert batch.status == "running" and 3 <= batch.processed < RECORDS
    made_before = ChangeRequest.objects.count()
    assert made_before == batch.made  # each change request committed with its item

    workers.start("fresh", beat=True, **resume)
    wait_for(
        lambda: ImportBatch.objects.get(pk=batch.pk).status == "done",
        90,
        "the next worker to complete the batch",
    )
    batch.refresh_from_db()
    assert (batch.total, batch.processed, batch.made, batch.failed) == (
        RECORDS, RECORDS, RECORDS - 1, 1
    )  # fmt: skip
    items = list(batch.items.order_by("position"))
    made = [item.change_request_id for item in items if item.status == "made"]
    assert len(made) == len(set(made)) == RECORDS - 1
    assert sorted(made) == sorted(ChangeRequest.objects.values_list("pk", flat=True))
    slugs = list(ChangeRequest.objects.values_list("record_slug", flat=True))
    assert len(slugs) == len(set(slugs)) == RECORDS - 1  # one change request per study
    assert items[5].status == "failed" and "not a ClinicalTrials.gov v2 study" in items[5].message
    assert "curation.resume_import_batches" in workers.log("fresh")
