"""Incremental publication gives exactly what a full build gives: the same bytes.

A warm worker reuses what earlier builds made (record parts of ``evidence.json``, documents and
histories read from the log, page fingerprints, FHIR resources); a rebuild from a cold process,
with nothing reused, must give byte-identical files.
"""

from __future__ import annotations

from unittest import mock

import orjson
import pytest

from curation.eventstore import last_position
from evidence.documents import record_types
from publishing import fhir, published_manifest, selectors, services, storage
from publishing.build import (
    PreviousSnapshot,
    SnapshotBuilder,
    builder,
    compare_directories,
    composite,
    entries,
    fhir_files,
    fingerprints,
    warm_pages,
    warm_snapshot,
)
from publishing.build.composite import CompositeWriter
from publishing.build.files import dumps_compact
from publishing.build.sinks import ObjectDirectorySink
from publishing.models import Snapshot
from tests.factories import create_approved, retract_approved, revise_approved

pytestmark = pytest.mark.django_db


def forget_everything_built() -> None:
    """What a freshly started worker has: nothing cached from earlier builds."""
    entries._entry_cache.clear()
    entries._findings_cache.clear()
    fingerprints._references_cache.clear()
    fhir_files.warm_fhir.forget()
    warm_pages.warm_pages.files_of = None
    warm_snapshot.warm_snapshot.files_of = None
    selectors.CACHE = selectors.LogCache()
    builder._last_built[:] = [None, None, None]
    published_manifest._parts.clear()
    storage._storage_store.cache_clear()


def whole_evidence_json(evidence) -> bytes:
    """evidence.json made the simple way: one dict of everything, serialised at once."""
    published = {
        "snapshot": {"seq": 3, "position": evidence.position, "as_of": evidence.as_of},
        **{
            e.plural: [entries.record_entry(r) for r in evidence.records[e.name].values()]
            for e in record_types.REGISTRY
        },
        "findings": entries.findings_of(evidence),
    }
    return dumps_compact(published)


def test_evidence_json_from_parts_is_the_whole_serialised_at_once(small_corpus):
    forget_everything_built()
    evidence = selectors.evidence_as_of(last_position())
    snapshot = {"seq": 3, "position": evidence.position, "as_of": evidence.as_of}
    cold, findings = entries.EntryParts().evidence_json(evidence, snapshot)
    warm, _ = entries.EntryParts().evidence_json(evidence, snapshot)  # from cached parts
    assert cold == warm == whole_evidence_json(evidence)
    assert findings == len(entries.findings_of(evidence)) > 0


def test_incremental_snapshots_equal_full_builds_from_a_cold_worker(
    small_corpus, editor, reviewer, snapshot_mode, tmp_path
):
    from tests.documents import drugex_trial

    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    services.publish_latest()
    create_approved(editor, reviewer, "trial", drugex_trial("trial-three", "TRIAL 3"), "new")
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=477))
    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=411))
    last = services.publish_latest()
    assert last.seq == 4 and last.files_rendered < len(
        storage.snapshot_store().manifest(last.seq).files
    )  # incremental: most files reused

    forget_everything_built()
    previous = PreviousSnapshot(last.previous.seq, last.previous.position)  # no reuse
    result = SnapshotBuilder(last.seq, last.position, previous).build(tmp_path / "full")
    assert result.files_reused == 0
    published = storage.snapshot_store().copy_to(last.seq, tmp_path / "published")
    assert compare_directories(published, tmp_path / "full") == []


def test_a_warm_worker_touching_only_changed_records_equals_a_cold_build(
    small_corpus, editor, reviewer, snapshot_mode, tmp_path
):
    # Several approvals, each published by this (warm) worker: a new topic, a revision, then
    # the topic retracted (its FHIR files leave the bundle and the manifest) and the trial
    # revised again. Each warm build follows the FHIR and page tables of the build before it
    # (the new topic's trials list it on their pages, then no longer).
    from tests.documents import drugex_topic

    services.publish_latest()
    create_approved(editor, reviewer, "topic", drugex_topic("short-lived-topic"))
    services.publish_latest()
    assert fhir_files.warm_fhir.files_of is builder._last_built[1]
    assert warm_pages.warm_pages.files_of is builder._last_built[1]
    assert "fhir/Composition/short-lived-topic.json" in fhir_files.warm_fhir.items
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=478))
    services.publish_latest()
    retract_approved(editor, reviewer, "topic", "short-lived-topic", 1)
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=479))
    last = services.publish_latest()
    files = storage.snapshot_store().manifest(last.seq).files
    assert "fhir/Composition/short-lived-topic.json" not in files
    assert "fhir/Composition/short-lived-topic.json" not in fhir_files.warm_fhir.items
    assert last.files_rendered < len(files)

    for snapshot in Snapshot.objects.filter(seq__gt=1).order_by("seq"):  # each, cold
        forget_everything_built()
        previous = PreviousSnapshot(snapshot.previous.seq, snapshot.previous.position)
        full = tmp_path / f"full-{snapshot.seq}"
        result = SnapshotBuilder(snapshot.seq, snapshot.position, previous).build(full)
        assert result.files_reused == 0
        published = storage.snapshot_store().copy_to(snapshot.seq, tmp_path / f"{snapshot.seq}")
        assert compare_directories(published, full) == []


@pytest.mark.parametrize("dies_in", ["fhir", "put_in_place"])
def test_after_a_failed_build_the_next_one_is_whole(
    small_corpus, editor, reviewer, snapshot_mode, tmp_path, dies_in
):
    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=412))
    store = storage.snapshot_store()
    failure = (
        mock.patch.object(fhir, "validate", side_effect=OSError("mid-FHIR"))
        if dies_in == "fhir"
        else mock.patch.object(type(store), "put_in_place", side_effect=OSError("disk full"))
    )
    with failure, pytest.raises(OSError):
        services.publish_latest()  # the FHIR table was updated by a build never served
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=413))
    last = services.publish_latest()

    forget_everything_built()
    previous = PreviousSnapshot(last.previous.seq, last.previous.position)
    SnapshotBuilder(last.seq, last.position, previous).build(tmp_path / "full")
    published = storage.snapshot_store().copy_to(last.seq, tmp_path / "published")
    assert compare_directories(published, tmp_path / "full") == []


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of about three records, so that a small corpus has many of them."""
    monkeypatch.setattr(composite, "AVERAGE_CHUNK", 3)
    composite.forget()
    yield
    composite.forget()


def test_evidence_json_in_chunks_is_the_whole_serialised_at_once(
    small_corpus, small_chunks, tmp_path
):
    forget_everything_built()
    evidence = selectors.evidence_as_of(last_position())
    snapshot = {"seq": 3, "position": evidence.position, "as_of": evidence.as_of}
    sink = ObjectDirectorySink(tmp_path / "objects")
    made = []
    for _ in range(2):  # cold, then naming the chunks stored the first time
        composite.begin(sink.identity)
        writer = CompositeWriter(sink, "evidence.json")
        entries.evidence_composite(writer, evidence, snapshot)
        entry = writer.entry()
        composite.end()
        parts = [(tmp_path / "objects" / sha[:2] / sha).read_bytes() for sha, _ in entry["parts"]]
        assert len(parts) > 4
        assert b"".join(parts) == whole_evidence_json(evidence)
        assert entry["size"] == len(whole_evidence_json(evidence))
        made.append(writer.made)
    assert made[0] > 0 and made[1] == 0


def test_the_bundle_in_chunks_is_the_whole_bundle_serialised_at_once(
    small_corpus, small_chunks, tmp_path
):
    forget_everything_built()
    SnapshotBuilder(1, last_position()).build(tmp_path)
    evidence = selectors.evidence_as_of(last_position())
    resources = [
        (str(path.relative_to(tmp_path)), orjson.loads(path.read_bytes()))
        for path in (tmp_path / "fhir").rglob("*.json")
        if path.name != "bundle.json"
    ]
    whole = dumps_compact(fhir_files._bundle(resources, fhir.canonical_base(), evidence))
    assert (tmp_path / "fhir" / "bundle.json").read_bytes() == whole


@pytest.mark.parametrize("compact_spill", [False, True], ids=["spill-kept", "spill-compacted"])
def test_warm_builds_with_new_and_retracted_trials_moving_chunk_boundaries_equal_cold_builds(
    small_corpus,
    small_chunks,
    editor,
    reviewer,
    snapshot_mode,
    tmp_path,
    monkeypatch,
    compact_spill,
):
    # Chunks of about three records: a new trial whose slug ends a chunk splits one, its
    # retraction merges two again, and a new trial after the last boundary grows the last.
    # Each build after the first changes the previous snapshot's files in place, touching
    # only the chunks, pages and FHIR files of the records written since. Compacted: every
    # build copies the live FHIR bundle entries to a new spill file, renaming their handles.
    from tests.documents import drugex_trial

    compactions = []
    if compact_spill:
        compact, original = fhir_files.SPILL.compact, fhir_files.WarmFhir.compact_spill
        monkeypatch.setattr(fhir_files.SPILL, "worth_compacting", lambda live: True)
        monkeypatch.setattr(
            fhir_files.SPILL, "compact", lambda handles: compactions.append(1) or compact(handles)
        )
        monkeypatch.setattr(
            fhir_files.WarmFhir, "compact_spill", lambda self, full: original(self, True)
        )

    candidates = [f"trial-{n}" for n in range(3, 40)]
    boundary = next(slug for slug in candidates if composite.ends_chunk(slug))
    plain = next(slug for slug in candidates if not composite.ends_chunk(slug))
    services.publish_latest()
    steps = [
        lambda: create_approved(editor, reviewer, "trial", drugex_trial(boundary, "B"), "new"),
        lambda: (
            create_approved(editor, reviewer, "trial", drugex_trial(plain, "P"), "new"),
            revise_approved(
                editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=409)
            ),
        ),
        lambda: retract_approved(editor, reviewer, "trial", boundary, 1),
        lambda: revise_approved(editor, reviewer, "trial", plain, lambda d: d.update(name="Q")),
        lambda: retract_approved(editor, reviewer, "trial", plain, 2),
    ]
    for step in steps:
        step()
        snapshot = services.publish_latest()
        assert warm_snapshot.warm_snapshot.files_of is builder._last_built[1]
        assert snapshot.files_rendered < 40  # in place: most files kept as they were

    assert len(compactions) == (1 + len(steps) if compact_spill else 0)
    files = storage.snapshot_store().manifest(snapshot.seq).files
    assert f"trials/{boundary}.html" not in files and f"trials/{plain}.json" not in files
    for snapshot in Snapshot.objects.filter(seq__gt=1).order_by("seq"):  # each, cold
        forget_everything_built()
        previous = PreviousSnapshot(snapshot.previous.seq, snapshot.previous.position)
        full = tmp_path / f"full-{snapshot.seq}"
        SnapshotBuilder(snapshot.seq, snapshot.position, previous).build(full)
        published = storage.snapshot_store().copy_to(snapshot.seq, tmp_path / f"{snapshot.seq}")
        assert compare_directories(published, full) == []


def test_the_index_in_parts_is_the_template_rendered_at_once(small_corpus, small_chunks, tmp_path):
    from publishing import pages

    forget_everything_built()
    result = SnapshotBuilder(1, last_position()).build(tmp_path)
    evidence = selectors.evidence_as_of(last_position())
    changes = result.meta["counts"]["changed_records"]
    assert len(result.files["index.html"]["parts"]) > 2
    assert (tmp_path / "index.html").read_bytes() == pages.index_page(evidence, 1, changes)
