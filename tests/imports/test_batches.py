"""Import batches, run in this process: one change request per record, failures with their
reason, progress counters, resuming without duplicates (curation.imports.batches)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from curation.errors import CurationError, PermissionDenied
from curation.imports import batches, services
from curation.models import ChangeRequest, ImportBatch, ImportBatchItem
from curation.tasks import run_import_batch

from .helpers import row_counts
from .studies import small_study

pytestmark = pytest.mark.django_db
DATA = __import__("pathlib").Path(__file__).parent / "data"


def studies_array(n: int, *, broken_at: int | None = None) -> bytes:
    entries = []
    for i in range(n):
        study = small_study(nct_id=f"NCT{10000000 + i}")
        study["protocolSection"]["identificationModule"]["briefTitle"] = f"Study {i}"
        entries.append({"not": "a study"} if i == broken_at else study)
    return json.dumps(entries).encode()


def start(user, raw: bytes, kind="ctgov", filename="studies.json", **kwargs) -> ImportBatch:
    return batches.start_batch(
        user=user, kind=kind, raw=raw, filename=filename, enqueue=False, **kwargs
    )


def made_per_item(batch: ImportBatch) -> dict[int, int]:
    """Change requests per made item: exactly one each."""
    counts: dict[int, int] = {}
    for item in batch.items.filter(status="made"):
        counts[item.position] = ChangeRequest.objects.filter(pk=item.change_request_id).count()
    return counts


def test_a_study_array_makes_one_change_request_per_study_and_records_the_failure(editor):
    batch = start(editor, studies_array(4, broken_at=2))
    assert (batch.total, batch.processed, batch.failed, batch.status) == (4, 1, 1, "pending")
    assert ChangeRequest.objects.count() == 0  # nothing until a worker runs it

    run_import_batch.apply(args=[batch.pk])  # the task, in this process

    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.processed, batch.made, batch.failed) == (
        "done", 4, 4, 3, 1
    )  # fmt: skip
    assert ChangeRequest.objects.count() == 3
    assert made_per_item(batch) == {0: 1, 1: 1, 3: 1}
    assert {cr.author for cr in ChangeRequest.objects.all()} == {editor}
    assert {cr.status for cr in ChangeRequest.objects.all()} == {"draft"}
    (failure,) = batches.failures(batch)
    assert (failure.where, failure.path) == ("studies.json: entry 2", "/2")
    assert "not a ClinicalTrials.gov v2 study" in failure.message


def test_a_study_refused_by_the_import_is_a_failure_naming_file_record_and_path(editor):
    study = small_study(nct_id="NCT10000009", group_titles=("Drug A 10 mg", "Placebo"))
    raw = json.dumps([small_study(nct_id="NCT10000008"), study]).encode()
    batch = batches.run_batch(start(editor, raw, submit=True).pk)
    assert (batch.made, batch.failed) == (1, 1)
    assert ChangeRequest.objects.get().status == "submitted"
    (failure,) = batches.failures(batch)
    assert failure.where == "studies.json: entry 1 (NCT10000009)"
    assert "say which arm each results group is" in failure.message
    assert failure.path.startswith("/resultsSection/outcomeMeasuresModule")


def test_entries_may_carry_their_group_map(editor):
    study = small_study(nct_id="NCT10000009", group_titles=("Drug A 10 mg", "Placebo"))
    raw = json.dumps([{"study": study, "group_map": {"Drug A 10 mg": "arm-1"}}]).encode()
    batch = batches.run_batch(start(editor, raw).pk)
    assert (batch.made, batch.failed) == (1, 0), list(batches.failures(batch).values("message"))
    cr = ChangeRequest.objects.get()
    assert cr.imported_source.group_map == {"Drug A 10 mg": "arm-1"}


def test_a_zip_of_study_files(editor):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/NCT10000001.json", json.dumps(small_study(nct_id="NCT10000001")))
        archive.writestr("b.json", b"{not json")
        archive.writestr("readme.txt", b"not a study file")
        archive.writestr("c.json", json.dumps(small_study(nct_id="NCT10000003")))
    batch = batches.run_batch(start(editor, buffer.getvalue(), filename="studies.zip").pk)
    assert (batch.total, batch.made, batch.failed) == (3, 2, 1)
    (failure,) = batches.failures(batch)
    assert failure.where == "studies.zip: b.json" and failure.message.startswith("not JSON")


def test_a_batch_that_fails_halfway_keeps_what_it_made_and_a_rerun_adds_only_the_rest(
    editor, monkeypatch, settings
):
    settings.IMPORT_BATCH_CHUNK = 2  # the database goes in the second chunk
    batch = start(editor, studies_array(5))
    real_import, calls = services.prepare_ctgov_study, []

    def database_gone_at_the_third(**kwargs):
        calls.append(kwargs["label"])
        if len(calls) == 3:
            raise DatabaseError("connection lost")
        return real_import(**kwargs)

    monkeypatch.setattr(services, "prepare_ctgov_study", database_gone_at_the_third)
    with pytest.raises(DatabaseError):
        batches.run_batch(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.made) == ("running", 2, 2)
    assert ChangeRequest.objects.count() == 2
    assert batch.items.filter(status="pending").count() == 3

    monkeypatch.setattr(services, "prepare_ctgov_study", real_import)
    again = start(editor, studies_array(5))  # the same file again: the same batch, resumed
    assert again.pk == batch.pk
    batch = batches.run_batch(batch.pk)
    assert (batch.status, batch.processed, batch.made, batch.failed) == ("done", 5, 5, 0)
    assert ChangeRequest.objects.count() == 5
    assert made_per_item(batch) == dict.fromkeys(range(5), 1)
    batches.run_batch(batch.pk)  # once more, after it is done: nothing new
    assert ChangeRequest.objects.count() == 5


def test_a_later_batch_skips_what_an_earlier_one_imported(editor):
    first = batches.run_batch(start(editor, studies_array(2)).pk)
    second = batches.run_batch(start(editor, studies_array(3)).pk)
    assert first.pk != second.pk
    assert (second.made, second.skipped) == (1, 2)
    assert ChangeRequest.objects.count() == 3
    skipped = second.items.get(position=0)
    assert skipped.change_request_id == first.items.get(position=0).change_request_id
    assert f"batch {first.pk}" in skipped.message


def test_what_a_withdrawn_change_request_imported_may_be_imported_again(editor):
    first = batches.run_batch(start(editor, studies_array(1)).pk)
    ChangeRequest.objects.filter(pk=first.items.get().change_request_id).update(status="withdrawn")
    second = batches.run_batch(start(editor, studies_array(1)).pk)
    assert second.made == 1 and ChangeRequest.objects.count() == 2


def test_references_one_change_request_each_and_the_broken_entry_recorded(editor):
    raw = (DATA / "references.ris").read_bytes()
    batch = batches.run_batch(start(editor, raw, kind="citations", filename="refs.ris").pk)
    assert (batch.total, batch.made, batch.failed) == (3, 2, 1)
    assert {cr.record_type for cr in ChangeRequest.objects.all()} == {"citation"}
    (failure,) = batches.failures(batch)
    assert failure.where.startswith("refs.ris: entry 3 (line 26)")
    again = batches.run_batch(start(editor, raw, kind="citations", filename="refs.ris").pk)
    assert (again.made, again.skipped, again.failed) == (0, 2, 1)
    assert ChangeRequest.objects.count() == 2


def test_a_repeated_reference_in_the_file_is_a_failure_naming_the_first(editor):
    entry = "TY  - JOUR\nTI  - A trial\nAU  - Smith, J\nPY  - 2020\nDO  - 10.1/x\nER  - \n"
    batch = start(editor, (entry * 2).encode(), kind="citations", filename="refs.ris")
    batch = batches.run_batch(batch.pk)
    assert (batch.made, batch.failed) == (1, 1)
    assert "the same reference as entry 1" in batches.failures(batch).get().message


@pytest.mark.parametrize(
    "raw, kind, words",
    [
        (b"", "ctgov", "is empty"),
        (b"  \n", "citations", "is empty"),
        (b"[]", "ctgov", "holds no records"),
        (b"{not json", "ctgov", "is not JSON"),
        (json.dumps(small_study()).encode(), "ctgov", "is not a batch"),
        (b'"text"', "ctgov", "is not a batch of studies"),
        (b"PK\x03\x04broken", "ctgov", "is not a zip"),
        (b"plain words", "citations", "is no reference file"),
    ],
)
def test_bad_files_are_refused_and_write_nothing(editor, raw, kind, words):
    before = (row_counts(), ImportBatch.objects.count(), ImportBatchItem.objects.count())
    with pytest.raises(CurationError, match=words):
        start(editor, raw, kind=kind)
    assert (row_counts(), ImportBatch.objects.count(), ImportBatchItem.objects.count()) == before


def test_a_file_over_the_batch_limit(editor, settings):
    settings.IMPORT_BATCH_MAX_BYTES = 100
    with pytest.raises(CurationError, match="over the limit of 100 bytes") as raised:
        start(editor, studies_array(2))
    assert raised.value.http_status == 413 and not ImportBatch.objects.exists()


def test_only_those_who_may_propose_start_batches(reviewer, superuser):
    with pytest.raises(PermissionDenied, match="only members of the Editors group"):
        start(reviewer, studies_array(1))
    assert not ImportBatch.objects.exists()
    # A superuser may propose (the policy of every import): their batch is theirs.
    assert start(superuser, studies_array(1)).author == superuser


def test_the_beat_asks_again_for_batches_no_worker_moves(editor, monkeypatch):
    stalled, fresh, done = (start(editor, studies_array(n)) for n in (1, 2, 3))
    ImportBatch.objects.filter(pk__in=[stalled.pk, done.pk]).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    ImportBatch.objects.filter(pk=done.pk).update(status="done")
    sent = []
    monkeypatch.setattr(batches, "_enqueue", lambda batch: sent.append(batch.pk))
    assert batches.resume_stalled() == [stalled.pk] and sent == [stalled.pk]
    assert batches.resume_stalled() == []  # touched: not asked again at once
    assert fresh.pk not in sent


def test_starting_a_batch_sends_it_to_a_worker_once_committed(
    editor, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(run_import_batch, "apply_async", lambda **kw: sent.append(kw["args"]))
    with django_capture_on_commit_callbacks(execute=True):
        batch = batches.start_batch(
            user=editor, kind="ctgov", raw=studies_array(1), filename="s.json"
        )
    assert sent == [[batch.pk]]


def test_reviewers_hear_of_a_submitted_batch_once_not_of_each_request(editor, reviewer):
    from curation.models import Notification

    for user in (editor, reviewer):
        user.email = f"{user.username}@example.org"
        user.save()
    batch = batches.run_batch(start(editor, studies_array(3, broken_at=1), submit=True).pk)
    assert batch.made == 2 and batch.failed == 1
    assert ChangeRequest.objects.filter(status="submitted").count() == 2
    assert not Notification.objects.filter(kind="submitted").exists()
    row = Notification.objects.get(kind="batch_submitted")
    assert row.recipient == reviewer
    assert (
        row.subject == f"[curation] import batch {batch.pk}: 2 change requests submitted by editor"
    )
    assert "2 change requests submitted for review, 1 failed" in row.body
    assert f"/admin/curation/importbatch/{batch.pk}/change/" in row.body
    # A single submission outside a batch still tells the reviewers at once.
    services.import_ctgov_study(user=editor, study=small_study(nct_id="NCT20000001"), submit=True)
    assert Notification.objects.filter(kind="submitted", recipient=reviewer).count() == 1


def test_a_draft_batch_tells_nobody(editor, reviewer):
    from curation.models import Notification

    reviewer.email = "reviewer@example.org"
    reviewer.save()
    batches.run_batch(start(editor, studies_array(2)).pk)
    assert not Notification.objects.exists()
