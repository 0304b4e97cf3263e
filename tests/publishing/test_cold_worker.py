"""A new worker (nothing built in its process yet) maps to FHIR only the records that changed:
the other records' bundle entries are read from the previous snapshot's bundle, part by part,
each part checked against the manifest (``publishing.build.previous_bundle``). What it
publishes is byte for byte what a full rebuild gives; a previous part that does not match its
sha256 is not taken, and every record is mapped instead.
"""

from __future__ import annotations

import logging
from unittest import mock

import pytest

from publishing import fhir, services, storage
from publishing.build import (
    PreviousSnapshot,
    SnapshotBuilder,
    compare_directories,
    composite,
    fhir_files,
    previous_bundle,
)
from publishing.models import Snapshot
from tests.documents import drugex_trial
from tests.factories import create_approved, revise_approved, seed_corpus
from tests.publishing.test_incremental import forget_everything_built

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of about three entries, so that the bundle of a small corpus has many parts."""
    monkeypatch.setattr(composite, "AVERAGE_CHUNK", 3)
    composite.forget()
    yield
    composite.forget()


def publish_counting_mappings() -> tuple[Snapshot, list[str]]:
    """Publish; the "type:slug" of each record mapped to FHIR meanwhile."""
    with mock.patch.object(
        fhir_files, "record_resources", wraps=fhir_files.record_resources
    ) as mapped:
        snapshot = services.publish_latest()
    records = [call.args[0] for call in mapped.call_args_list]
    return snapshot, sorted(f"{r.record_type}:{r.slug}" for r in records)


def assert_equals_a_full_rebuild(snapshot: Snapshot, tmp_path) -> None:
    forget_everything_built()
    previous = PreviousSnapshot(snapshot.previous.seq, snapshot.previous.position)  # no reuse
    full = tmp_path / f"full-{snapshot.seq}"
    result = SnapshotBuilder(snapshot.seq, snapshot.position, previous).build(full)
    assert result.files_reused == 0
    published = storage.snapshot_store().copy_to(snapshot.seq, tmp_path / f"{snapshot.seq}")
    assert compare_directories(published, full) == []


def test_a_cold_worker_maps_only_changed_records_and_equals_a_full_rebuild(
    small_corpus, editor, reviewer, snapshot_mode, small_chunks, tmp_path
):
    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    create_approved(editor, reviewer, "trial", drugex_trial("trial-three", "TRIAL 3"), "new")

    forget_everything_built()  # a new worker
    cold, mapped = publish_counting_mappings()
    assert mapped == ["trial:trial-one", "trial:trial-three"]
    assert len(fhir_files.warm_fhir.items) > 10  # the table is filled for the next build

    # The next approval, on the same (now warm) worker, touches only its record in place.
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=477))
    warm, mapped = publish_counting_mappings()
    assert mapped == ["trial:trial-two"]

    assert_equals_a_full_rebuild(cold, tmp_path)
    assert_equals_a_full_rebuild(warm, tmp_path)


def test_a_corrupted_previous_part_is_detected_and_every_record_mapped(
    editor, reviewer, snapshot_root, small_chunks, tmp_path, caplog
):
    seed_corpus(editor, reviewer, trials=("trial-one", "trial-two"))
    first = services.publish_latest()
    parts = storage.snapshot_store().manifest(first.seq).entry(fhir_files.BUNDLE_PATH)["parts"]
    assert len(parts) > 3
    sha256 = parts[len(parts) // 2][0]
    target = storage.root() / storage.object_name(sha256)
    original = target.read_bytes()
    target.write_bytes(bytes([original[0] ^ 1]) + original[1:])
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))

    forget_everything_built()
    with caplog.at_level(logging.WARNING, logger=previous_bundle.__name__):
        second, mapped = publish_counting_mappings()
    assert "does not match its sha256" in caplog.text
    records = [
        f"{r.record_type}:{r.slug}"
        for name in fhir_files.fhir_record_types()
        for r in second_evidence_records(second, name)
    ]
    assert mapped == sorted(records)  # every record, as a full build maps them

    target.write_bytes(original)  # the bodies it reuses are sound again, to compare
    assert_equals_a_full_rebuild(second, tmp_path)


def second_evidence_records(snapshot: Snapshot, record_type: str):
    from publishing.selectors import evidence_as_of

    return evidence_as_of(snapshot.position).records[record_type].values()


def test_previous_entries_are_the_bundle_entries_filed_by_their_records_inputs(
    small_corpus, small_chunks
):
    services.publish_latest()
    items = dict(fhir_files.warm_fhir.items)  # what the build spilled, by path
    store = storage.snapshot_store()
    manifest = store.manifest(store.latest_seq())
    entry = manifest.entry(fhir_files.BUNDLE_PATH)
    read = list(previous_bundle.bundle_entries(entry["parts"], manifest.read_object))
    # The bundle lists them in path order.
    expected = [fhir_files._bundle_item_bytes(items[path]) for path in sorted(items)]
    assert [data for _, data in read] == expected
    assert [fhir.resource_path(resource) for resource, _ in read] == sorted(items)


def test_a_worker_takes_its_own_entries_for_a_full_build_after_its_first(
    small_corpus, editor, reviewer, snapshot_mode, small_chunks
):
    forget_everything_built()
    fhir_files.SPILL.close()  # a new worker: no spill file yet
    assert not Snapshot.objects.exists()
    services.publish_latest()  # the first snapshot: every record mapped, the spill file made
    assert fhir_files.SPILL.end > 0 and fhir_files.warm_fhir.items

    # A full build on this worker (another worker published meanwhile, say) takes the
    # entries this worker holds, not the previous snapshot's bundle read again.
    with mock.patch.object(fhir_files, "previous_entries") as read_previous_bundle:
        known = fhir_files.warm_fhir.known_entries(builder=None)
    assert not read_previous_bundle.called
    assert known.items is fhir_files.warm_fhir.items

    fhir_files.SPILL.close()  # the file is gone: its handles name nothing
    with mock.patch.object(fhir_files, "previous_entries", return_value={}) as read_previous:
        fhir_files.warm_fhir.known_entries(builder=None)
    assert read_previous.called
