"""The snapshot's files: content, schema, determinism, incremental reuse, rebuild."""

import hashlib
import io
from unittest import mock

import jsonschema
import orjson
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from publishing import services, storage
from publishing.build import PreviousSnapshot, SnapshotBuilder, compare_directories
from tests.factories import revise_approved
from tests.publishing.published import (
    fhir_files,
    published_bytes,
    published_manifest,
    published_object,
)

pytestmark = pytest.mark.django_db


def read_json(seq, path):
    return orjson.loads(published_bytes(seq, path))


def read_text(seq, path):
    return published_bytes(seq, path).decode("utf-8")


def test_snapshot_has_every_file_the_manifest_lists_with_correct_hashes(small_corpus):
    snapshot = services.publish_latest()
    manifest = published_manifest(snapshot.seq)
    assert manifest["seq"] == snapshot.seq == 1
    assert manifest["position"] == small_corpus.position
    assert manifest["previous"] is None
    assert manifest["counts"] == {
        "topics": 1,
        "interventions": 1,
        "trials": 2,
        "citations": 1,
        "findings": 3,
        "changed_records": 5,
    }
    paths = {entry["path"] for entry in manifest["files"]}
    fhir_paths = {path for path in paths if path.startswith("fhir/")}
    assert {"fhir/bundle.json", "fhir/ResearchStudy/trial-one.json"} <= fhir_paths
    assert paths - fhir_paths == {
        "evidence.json",
        "schema.json",
        "changes.json",
        "changes.html",
        "index.html",
        "topics/maintenance.html",
        "trials/trial-one.json",
        "trials/trial-one.html",
        "trials/trial-two.json",
        "trials/trial-two.html",
    }
    for entry in manifest["files"]:
        data = published_bytes(1, entry["path"])
        assert len(data) == entry["size"]
        if "parts" in entry:  # a whole-corpus file stored in parts: they are its bytes
            assert entry["path"] in {
                "evidence.json",
                "fhir/bundle.json",
                "index.html",
                "changes.json",
                "changes.html",
            }
            assert b"".join(published_object(1, sha) for sha, _ in entry["parts"]) == data
            assert [size for _, size in entry["parts"]] == [
                len(published_object(1, sha)) for sha, _ in entry["parts"]
            ]
        else:
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    manifest_bytes = published_bytes(1, "manifest.json")
    assert snapshot.manifest_sha256 == hashlib.sha256(manifest_bytes).hexdigest()


def test_evidence_json_validates_against_schema_json_and_carries_provenance(
    small_corpus, editor, reviewer
):
    revise_approved(
        editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410), "typo"
    )
    snapshot = services.publish_latest()
    published = read_json(snapshot.seq, "evidence.json")
    schema = read_json(snapshot.seq, "schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(published)

    trial = next(t for t in published["trials"] if t["slug"] == "trial-one")
    assert trial["version"] == 2
    assert trial["document"]["enrollment"] == 410
    assert trial["provenance"]["proposer"] == "editor"
    assert trial["provenance"]["approver"] == "reviewer"
    assert trial["provenance"]["change_request"] is not None
    assert [v["version"] for v in trial["history"]] == [1, 2]
    assert trial["history"][0]["changed_fields"] is None  # created
    assert trial["history"][1]["changed_fields"] == ["enrollment"]
    assert trial["history"][1]["rationale"] == "typo"
    assert {f["owner"] for f in published["findings"]} == {"maintenance", "trial-one", "trial-two"}
    assert read_json(snapshot.seq, "trials/trial-one.json") == trial


def test_schema_rejects_a_broken_evidence_file(small_corpus):
    snapshot = services.publish_latest()
    published = read_json(snapshot.seq, "evidence.json")
    schema = read_json(snapshot.seq, "schema.json")
    published["trials"][0]["document"]["outcomes"][0]["values"][0]["value"] = "forty"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(published, schema, cls=jsonschema.Draft202012Validator)


def test_changes_since_previous_snapshot_field_by_field(small_corpus, editor, reviewer):
    services.publish_latest()

    def change(document):
        document["outcomes"][0]["values"][0]["value"] = 47

    revise_approved(editor, reviewer, "trial", "trial-one", change, "corrected median")
    second = services.publish_latest()
    changes = read_json(second.seq, "changes.json")
    assert changes["previous_seq"] == 1
    assert changes["from_position"] == small_corpus.position
    assert changes["to_position"] == second.position
    [record] = changes["records"]
    assert (record["record_type"], record["slug"], record["kind"]) == (
        "trial",
        "trial-one",
        "revised",
    )
    assert (record["from_version"], record["to_version"]) == (1, 2)
    [field] = record["fields"]
    assert field["path"] == "outcomes[key=pfs].values[arm=drug].value"
    assert (field["old"], field["new"]) == (46, 47)
    assert "Drugex" in field["label"] and "progression-free" in field["label"]
    html = read_text(second.seq, "changes.html")
    assert "corrected median" in html and "Revised from version 1 to version 2" in html


def test_topic_page_carries_trials_results_findings_references_and_a_chart(small_corpus):
    snapshot = services.publish_latest()
    html = read_text(snapshot.seq, "topics/maintenance.html")
    for expected in (
        "What is maintenance therapy?",
        "Drugex after transplant",
        "TRIAL 1",
        "TRIAL 2",
        "Phase 3, randomised, double-blind, placebo-controlled",
        "Adults with myeloma after transplant.",
        "400 patients",
        "46 months",
        "not reached",
        "about 76 months",
        "Hazard ratio, Drugex vs Placebo",
        "95% CI 0.36 to 0.63",
        "p &lt; 0.001",
        "statistically significant",
        "Drugex lengthened progression-free survival.",
        "Maintenance delays progression.",
        'id="ref-1"',
        "Maintenance study reported by smith-2020",
        "<svg",
        '<title id="forest-title">',
        '<desc id="forest-desc">',
        "Effect estimates the trials report",
        'role="img"',
    ):
        assert expected in html, expected
    assert "<script" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    # The hazard ratio of each of the 2 trials: in its results table, drawn and described in
    # its trial's forest plot and in the topic's, and in the topic's table of estimates.
    assert html.count("0.48 (95% CI 0.36 to 0.63)") == 10
    assert html.count('<td data-label="Confidence interval">95% CI 0.36 to 0.63</td>') == 2
    # Charts are drawn for a phone: 320 wide, labels on lines of their own above the bars.
    assert '<text x="8" y="18">TRIAL 1: Progression-free survival,</text>' in html
    assert '<rect x="8" y="22" width="304" height="12"' in html  # the longest median bar
    assert '<text x="8" y="18">Drugex: median 46 months</text>' in html
    assert "Drugex: median 46 months; Placebo: median 24 months" in html  # text alternative
    # each chart sits in its trial's block, under the table of its numbers
    trial_one = html[html.index('id="trial-trial-one"') : html.index('id="trial-trial-two"')]
    assert 'id="chart-trial-one-pfs-title"' in trial_one
    assert 'id="forest-trial-one-title"' in trial_one


def test_trial_page_carries_its_audit_trail(small_corpus, editor, reviewer):
    revise_approved(
        editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410), "typo fix"
    )
    snapshot = services.publish_latest()
    html = read_text(snapshot.seq, "trials/trial-one.html")
    assert 'id="audit"' in html
    assert html.count('<th scope="row">Version 2') == 1 and "typo fix" in html
    assert "add trial trial-one" in html and "Record created" in html
    assert ">editor<" in html and ">reviewer<" in html
    assert "<li>enrollment</li>" in html


def test_build_is_deterministic_and_rebuild_snapshot_matches(
    small_corpus, editor, reviewer, tmp_path
):
    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=500))
    second = services.publish_latest()
    previous = PreviousSnapshot(1, small_corpus.position)
    SnapshotBuilder(second.seq, second.position, previous).build(tmp_path / "a")
    SnapshotBuilder(second.seq, second.position, previous).build(tmp_path / "b")
    assert compare_directories(tmp_path / "a", tmp_path / "b") == []
    published = storage.snapshot_store().copy_to(second.seq, tmp_path / "published")
    assert compare_directories(published, tmp_path / "a") == []
    out = io.StringIO()
    call_command("rebuild_snapshot", str(second.seq), stdout=out)
    assert "identical" in out.getvalue()


def test_rebuild_snapshot_reports_a_tampered_file(small_corpus, snapshot_mode):
    snapshot = services.publish_latest()
    tampered = published_bytes(snapshot.seq, "trials/trial-one.html") + b"tampered"
    store = storage.snapshot_store()
    entry = store.manifest(snapshot.seq).entry("trials/trial-one.html")
    if snapshot_mode == "filesystem":
        (storage.root() / storage.object_name(entry["sha256"])).write_bytes(tampered)
    else:
        name = store.object_name(entry["sha256"])
        store.backend.delete(name)
        store.backend.save(name, ContentFile(tampered))
    out = io.StringIO()
    with pytest.raises(CommandError, match="differs"):
        call_command("rebuild_snapshot", str(snapshot.seq), stdout=out)
    assert "differs: trials/trial-one.html" in out.getvalue()


def test_rebuild_snapshot_of_an_unknown_snapshot_is_a_clear_error(snapshot_mode):
    with pytest.raises(CommandError, match="no complete snapshot 7"):
        call_command("rebuild_snapshot", "7")


def test_unchanged_records_reuse_the_previous_bytes(small_corpus, editor, reviewer, snapshot_mode):
    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    # trial-two is untouched: the same entry (one object, shared), not rendered again.
    first_files = storage.snapshot_store().manifest(1).files
    second_files = storage.snapshot_store().manifest(second.seq).files
    for path in ("trials/trial-two.json", "trials/trial-two.html"):
        assert first_files[path] == second_files[path]
    # trial-one changed, and the topic page shows it: both rendered again.
    for path in ("trials/trial-one.json", "trials/trial-one.html", "topics/maintenance.html"):
        assert published_bytes(1, path) != published_bytes(second.seq, path)
    assert "410 patients" in read_text(second.seq, "topics/maintenance.html")
    # 5 snapshot-wide files and the FHIR bundle, 3 pages and the FHIR files of the changed
    # trial; the unchanged trial's FHIR files are reused.
    changed_fhir = fhir_files(published_manifest(second.seq), "trial-one")
    assert changed_fhir and second.files_rendered == 6 + 3 + len(changed_fhir)


def test_a_citation_change_rerenders_the_pages_that_show_it(small_corpus, editor, reviewer):
    services.publish_latest()
    revise_approved(
        editor, reviewer, "citation", "smith-2020", lambda d: d.update(title="Corrected title")
    )
    second = services.publish_latest()
    for path in ("trials/trial-one.html", "trials/trial-two.html", "topics/maintenance.html"):
        assert "Corrected title" in read_text(second.seq, path)


def test_forked_rendering_writes_the_same_bytes_as_in_process(snapshot_root, settings, tmp_path):
    from bench.generator import load_dataset
    from curation.eventstore import last_position
    from publishing.build import rendering

    load_dataset(120, seed=5)  # 3 topics of 50, 40 and 30 trials: several groups
    position = last_position()
    settings.PUBLISH_BUILD_PROCESSES = 1
    single = SnapshotBuilder(1, position).build(tmp_path / "single")
    settings.PUBLISH_BUILD_PROCESSES = 2
    settings.PUBLISH_PARALLEL_THRESHOLD = 10
    settings.PUBLISH_RENDER_GROUP_SIZE = 40
    with mock.patch.object(rendering.os, "fork", wraps=rendering.os.fork) as fork:
        forked = SnapshotBuilder(1, position).build(tmp_path / "forked")
    assert fork.call_count == 2  # it really forked
    every_fhir_file = len(fhir_files(single.manifest)) + 1  # and the bundle
    assert forked.files_rendered == single.files_rendered == 5 + 2 * 120 + 3 + every_fhir_file
    assert compare_directories(tmp_path / "single", tmp_path / "forked") == []


def test_a_second_build_serialises_only_the_chunks_that_changed(small_corpus, editor, reviewer):
    from publishing.build import entries

    services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    with mock.patch.object(entries, "record_entry", wraps=entries.record_entry) as build_entry:
        second = services.publish_latest()
    # evidence.json's chunk of trials (both trials: one chunk at this size) is made again, and
    # the revised trial's own file; the citation's, intervention's and topic's chunks are not.
    assert {call.args[0].slug for call in build_entry.call_args_list} == {
        "trial-one",
        "trial-two",
    }
    evidence = orjson.loads(published_bytes(second.seq, "evidence.json"))
    trial = next(t for t in evidence["trials"] if t["slug"] == "trial-one")
    assert trial["document"]["enrollment"] == 410


def test_a_renderer_keeps_rendered_blocks_for_one_group_not_the_corpus(
    snapshot_root, settings, tmp_path
):
    """Trial blocks, effect rows and citations rendered once for reuse are dropped after each
    group of pages: kept for the whole corpus they were most of a renderer's memory."""
    from bench.generator import load_dataset
    from curation.eventstore import last_position
    from publishing import pages
    from publishing.build import rendering
    from publishing.selectors import evidence_as_of

    load_dataset(120, seed=5)  # 3 topics of 50, 40 and 30 trials: 3 groups
    settings.PUBLISH_BUILD_PROCESSES = 1
    settings.PUBLISH_RENDER_GROUP_SIZE = 10
    position = last_position()
    evidence = evidence_as_of(position)
    record_pages = pages.RecordPages(evidence)
    groups = rendering.page_groups(
        list(evidence.records["trial"].values()),
        list(evidence.records["topic"].values()),
        record_pages,
    )
    largest_group = max(len(trials) for trials, _ in groups)
    held = []
    trial_block = pages.RecordPages.trial_block

    def noting(self, trial):
        held.append(len(self._blocks))
        return trial_block(self, trial)

    with mock.patch.object(pages.RecordPages, "trial_block", noting):
        SnapshotBuilder(1, position).build(tmp_path / "grouped")
    assert len(groups) == 3 and largest_group == 50
    assert 0 < max(held) <= largest_group


def test_a_failure_in_a_forked_renderer_fails_the_build(snapshot_root, settings, tmp_path):
    from bench.generator import load_dataset
    from curation.eventstore import last_position

    load_dataset(60, seed=6)
    settings.PUBLISH_BUILD_PROCESSES = 2
    settings.PUBLISH_PARALLEL_THRESHOLD = 10
    settings.PUBLISH_RENDER_GROUP_SIZE = 20
    with (
        mock.patch(
            "publishing.pages.RecordPages.trial_page", side_effect=ValueError("bad template")
        ),
        pytest.raises(RuntimeError, match="bad template"),
    ):
        SnapshotBuilder(1, last_position()).build(tmp_path / "broken")


def test_a_build_leaves_no_cyclic_garbage(snapshot_root, tmp_path):
    """Builds pause the cyclic collector (curation.runtime.cyclic_gc_paused). That is only
    safe while a build makes no reference cycles: a worker would pile them up build after
    build."""
    import gc

    from bench.generator import load_dataset
    from curation.eventstore import last_position

    load_dataset(60, seed=7)
    position = last_position()
    SnapshotBuilder(1, position).build(tmp_path / "first")  # imports, compiled templates
    gc.collect()
    gc.disable()
    try:
        result = SnapshotBuilder(2, position).build(tmp_path / "second")
        every_fhir_file = len(fhir_files(result.manifest)) + 1  # and the bundle
        assert result.files_rendered == 5 + 2 * 60 + 2 + every_fhir_file
        assert gc.collect() == 0
    finally:
        gc.enable()
