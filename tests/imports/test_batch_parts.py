"""A large batch in parts, each a task of its own for a worker of its own; a JSON array read
one study at a time; each study validated once (curation.imports.batches, batch_files)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections, transaction

from curation.errors import CurationError
from curation.imports import batch_files, batches
from curation.models import ChangeRequest, ImportBatch
from curation.services import inputs
from curation.tasks import run_import_batch, run_import_batch_part

from .helpers import row_counts
from .studies import small_study
from .test_batches import start, studies_array

pytestmark = pytest.mark.django_db


def with_repeats(n: int, repeated: tuple[int, ...]) -> bytes:
    """``n`` studies, then again the studies at ``repeated`` (the same entries: repeats)."""
    entries = json.loads(studies_array(n))
    return json.dumps(entries + [entries[i] for i in repeated]).encode()


def test_a_large_batch_is_sent_as_parts_and_a_small_one_is_run_at_once(
    editor, settings, monkeypatch
):
    settings.IMPORT_BATCH_PARTS = 3
    monkeypatch.setattr(batches, "MIN_PART_ITEMS", 2)
    sent = []
    monkeypatch.setattr(
        run_import_batch_part, "apply_async", lambda **kw: sent.append(tuple(kw["args"]))
    )
    large = start(editor, studies_array(7))
    run_import_batch.apply(args=[large.pk])
    assert sent == [(large.pk, 0, 3), (large.pk, 1, 3), (large.pk, 2, 3)]
    large.refresh_from_db()
    assert large.status == "running" and ChangeRequest.objects.count() == 0

    small = start(editor, studies_array(3, broken_at=0))  # 2 pending: one part, run here
    run_import_batch.apply(args=[small.pk])
    small.refresh_from_db()
    assert (small.status, small.made, small.failed) == ("done", 2, 1)
    assert len(sent) == 3


def test_parts_in_any_order_import_every_record_once_and_repeats_are_skipped(editor, monkeypatch):
    monkeypatch.setattr(batches, "MIN_PART_ITEMS", 2)
    batch = start(editor, with_repeats(8, repeated=(1, 5)))
    parts = 3
    keys = batch.items.order_by("position").values_list("key", flat=True)
    held = sorted({batches.part_of(key, parts) for key in keys}, reverse=True)
    assert len(held) > 1
    for part in held[:-1]:
        run_import_batch_part.apply(args=[batch.pk, part, parts])
        batch.refresh_from_db()
        assert batch.status == "running"  # not done while a part has pending items
    run_import_batch_part.apply(args=[batch.pk, held[-1], parts])
    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.processed) == ("done", 10, 10)
    assert (batch.made, batch.skipped, batch.failed) == (8, 2, 0)
    assert ChangeRequest.objects.count() == 8
    # A repeat is skipped in favour of the entry before it in the file, whichever part ran.
    for repeat, first in ((8, 1), (9, 5)):
        item = batch.items.get(position=repeat)
        assert item.status == "skipped"
        assert item.change_request_id == batch.items.get(position=first).change_request_id
    # Progress lists the change requests in file order, as for a batch run whole.
    made = batch.items.filter(status="made").order_by("position")
    assert batches.progress(batch)["change_requests"] == [i.change_request_id for i in made]


def test_every_part_holds_each_record_with_its_repeats():
    keys = [f"key-{i}" for i in range(200)]
    for parts in (1, 2, 4, 7):
        assert {batches.part_of(k, parts) for k in keys} == set(range(parts))
        assert all(batches.part_of(k, parts) == batches.part_of(k, parts) for k in keys)


def test_parts_come_from_the_setting_but_never_under_the_least_items(settings):
    settings.IMPORT_BATCH_PARTS = 4
    least = batches.MIN_PART_ITEMS
    assert batches.parts_for(0) == batches.parts_for(least - 1) == 1
    assert batches.parts_for(2 * least) == 2
    assert batches.parts_for(1000 * least) == 4


def test_a_json_array_is_read_one_study_at_a_time(editor):
    """The first entries come before the array is read to its end (so a whole array is never
    held as Python objects); an array that breaks off is refused whole, naming the entry."""
    good = json.dumps([small_study(nct_id="NCT10000001"), small_study(nct_id="NCT10000002")])
    raw = (good[:-1] + ', {"protocolSection": ').encode()
    entries = batch_files.study_entries(raw, "cut.json")
    first = next(entries)
    assert first.where == "cut.json: entry 0 (NCT10000001)" and not first.error
    assert next(entries).where == "cut.json: entry 1 (NCT10000002)"
    with pytest.raises(CurationError, match="cut.json is not JSON") as raised:
        next(entries)
    assert raised.value.errors[0]["path"] == "/2"
    assert raised.value.errors[0]["message"].startswith("after entry 1: ")

    before = row_counts()
    with pytest.raises(CurationError, match="cut.json is not JSON"):
        start(editor, raw, filename="cut.json")
    assert row_counts() == before and not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"  [", "before its first entry"),
        (b'[{"protocolSection": {}}] trailing', "after entry 0"),
    ],
)
def test_broken_arrays_are_refused_naming_where(editor, raw, words):
    with pytest.raises(CurationError, match="studies.json is not JSON") as raised:
        start(editor, raw)
    assert words in raised.value.errors[0]["message"]
    assert not ImportBatch.objects.exists()


def test_a_study_read_from_an_array_is_the_same_record_as_from_a_zip():
    """Streaming keeps JSON's numbers as numbers (not Decimal), so an entry's identity is the
    same whichever file brought it: a study imported from a zip is skipped from an array."""
    study = small_study(nct_id="NCT10000001")
    study["protocolSection"]["designModule"]["enrollmentInfo"] = {"count": 120, "ratio": 0.5}
    (streamed,) = batch_files.study_entries(json.dumps([study]).encode(), "a.json")
    zipped = batch_files._study_entry(json.loads(json.dumps(study)), "a.zip: s.json", "")
    assert streamed.key == zipped.key and streamed.content == zipped.content
    assert '"ratio":0.5' in streamed.content and '"count":120' in streamed.content


def test_each_imported_study_is_validated_once(editor, monkeypatch):
    calls = []
    real = inputs.validate_document

    def counted(record_type, document, **kwargs):
        calls.append(record_type)
        return real(record_type, document, **kwargs)

    monkeypatch.setattr(inputs, "validate_document", counted)
    monkeypatch.setattr("curation.imports.services.validate_document", counted)
    batch = batches.run_batch(start(editor, studies_array(3)).pk)
    assert batch.made == 3 and calls == ["trial"] * 3


def test_a_long_run_keeps_no_log_of_its_queries(editor):
    """With DEBUG on, every query's SQL (a study's whole JSON) is logged; a batch task starts
    a new log for each item, as each request does, so its memory does not grow with it."""
    one, many = start(editor, studies_array(1)), start(editor, with_repeats(6, ()))
    connection.force_debug_cursor = True
    try:
        connection.queries_log.clear()
        batches.run_batch(one.pk)
        per_item = len(connection.queries)
        batches.run_batch(many.pk)  # studies 1 to 5 are new, study 0 a repeat of the first
        logged = len(connection.queries)
    finally:
        connection.force_debug_cursor = False
    assert many.items.filter(status="made").count() == 5
    assert 0 < logged <= 2 * per_item


# Row locks are PostgreSQL's: SQLite has none (select_for_update does nothing there, and a
# writer holds the whole database), so no item can be left as another run's. Nor can this be
# acted out there: the test database, in memory with a shared cache, refuses a second writer at
# once ("database table is locked") where a database file would wait out its busy timeout.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (skip_locked) are PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_an_item_is_not_skipped_while_another_part_holds_the_batch_row(editor, monkeypatch):
    """Parts update the batch's counters as they go; taking an item must lock the item's row
    alone, or an item is skipped (left pending) whenever another part holds the batch."""
    batch = start(editor, studies_array(2))
    locked, release = threading.Event(), threading.Event()

    def another_part_updating_the_counters():
        try:
            with transaction.atomic():
                ImportBatch.objects.select_for_update().get(pk=batch.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=another_part_updating_the_counters)
    run_chunk = batches._run_chunk

    def while_another_part_holds_the_batch(batch, item_ids):
        if item_ids and not holder.is_alive() and not locked.is_set():
            holder.start()
            assert locked.wait(10)
            threading.Timer(0.5, release.set).start()  # it commits a moment later
        run_chunk(batch, item_ids)

    monkeypatch.setattr(batches, "_run_chunk", while_another_part_holds_the_batch)
    try:
        batches.run_batch(batch.pk, 0, 1)
    finally:
        release.set()
        if holder.is_alive():
            holder.join()
    batch.refresh_from_db()
    assert (batch.status, batch.made) == ("done", 2)
    assert not batch.items.filter(status="pending").exists()
