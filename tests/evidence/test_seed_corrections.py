"""The seed's corrections (``evidence/seed_data/corrections.json``, issue 11 item 3).

The seed files keep the article as it was first encoded; the corrections found by a
line-by-line audit against the article go in as change requests of the seed accounts, each
with its rationale. Without a database: every corrected document validates as schema 2 and
the published numbers are those of the seed. With one: the corrections are events of the seed
accounts, applying them twice changes nothing, they apply on top of a log recorded before
schema 2 (``tests/data/event_log_v1.json``), and an editor's conflicting change is reported,
never overwritten.
"""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from curation import eventstore, projection, selectors
from curation.models import ChangeRequest, Event
from curation.seed import (
    CORRECTION_RATIONALE,
    apply_corrections,
    corrected_document,
    load_seed,
    seed_accounts,
    seed_corrections,
    seed_records,
)
from evidence.diff import flatten
from evidence.documents import CURRENT_SCHEMA_VERSION, validate_document
from tests.factories import create_approved, revise_approved
from tests.read_models import read_model_state

FROZEN_LOG = Path(__file__).resolve().parents[1] / "data" / "event_log_v1.json"
CORRECTIONS = seed_corrections()


def corrected_seed() -> tuple[dict, dict]:
    """(the seed's documents, the same after every correction) by (record type, slug)."""
    before = {(t, doc["slug"]): doc for t, doc in seed_records()}
    after = copy.deepcopy(before)
    for entry in CORRECTIONS:
        record = (entry["record_type"], entry["slug"])
        document, conflicts = corrected_document(after[record], entry["changes"])
        assert not conflicts and document is not None, entry["key"]
        after[record] = document
    return before, after


def numbers(document: dict) -> dict[str, float]:
    """Every number a document holds, by its path (values, estimates, bounds, p-values, arm
    sizes, enrollment, follow-up, timepoints...), but the schema version."""
    return {
        path: value
        for path, value in flatten(document).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
        if path != "schema_version"
    }


# --- Without a database ---------------------------------------------------------------------------


def test_the_corrections_file_is_well_formed():
    keys = [entry["key"] for entry in CORRECTIONS]
    assert len(keys) == len(set(keys)) == 18
    slugs = {(t, doc["slug"]) for t, doc in seed_records()}
    for entry in CORRECTIONS:
        assert set(entry) <= {"key", "record_type", "slug", "rationale", "changes", "citations"}
        assert (entry["record_type"], entry["slug"]) in slugs, entry["key"]
        assert entry["rationale"].strip() and entry["changes"], entry["key"]
        assert all(set(c) == {"path", "old", "new"} for c in entry["changes"]), entry["key"]


def test_every_corrected_document_validates_as_schema_2():
    before, after = corrected_seed()
    slugs = set(after)

    def exists(record_type: str, slug: str) -> bool:
        return (record_type, slug) in slugs

    corrected = {(e["record_type"], e["slug"]) for e in CORRECTIONS}
    assert corrected <= set(after)
    for (record_type, slug), document in after.items():
        assert document["schema_version"] == CURRENT_SCHEMA_VERSION
        assert validate_document(record_type, document, exists) == document, slug
        if (record_type, slug) in corrected:
            assert document != before[(record_type, slug)], slug


def test_the_published_numbers_are_those_of_the_seed():
    """No correction adds, removes or changes a number: the comparisons whose measure is no
    longer stated had no estimate, interval or p-value to lose."""
    before, after = corrected_seed()
    for record, document in before.items():
        assert numbers(after[record]) == numbers(document), record
    changed = [c for e in CORRECTIONS for c in e["changes"]]
    for change in changed:
        for value in (change["old"], change["new"]):
            assert not isinstance(value, int | float) or isinstance(value, bool), change


def comparisons(documents: dict) -> dict[tuple[str, str, str], dict]:
    return {
        (slug, outcome["key"], comparison["key"]): comparison
        for (record_type, slug), doc in documents.items()
        if record_type == "trial"
        for outcome in doc["outcomes"]
        for comparison in outcome["comparisons"]
    }


def test_six_comparisons_say_measure_not_stated_and_significant():
    before, after = corrected_seed()
    not_stated = {k: c for k, c in comparisons(after).items() if c["kind"] == "not_stated"}
    assert set(not_stated) == {
        ("myeloma-xi", "pfs", "lenalidomide_vs_observation"),
        ("calgb-100104", "ttp", "lenalidomide_vs_placebo"),
        ("mm-015", "pfs", "mpr_r_vs_mpr"),
        ("mm-015", "pfs", "mpr_r_vs_mp"),
        ("hovon-65-gmmg-hd4", "pfs_creatinine", "pad_vs_vad"),
        ("hovon-65-gmmg-hd4", "os_creatinine", "pad_vs_vad"),
    }
    old = comparisons(before)
    for key, comparison in not_stated.items():
        assert comparison["significant"] is True, key
        assert comparison["estimate"] is None and comparison["unit"] is None, key
        assert (old[key]["kind"], old[key]["estimate"]) == ("absolute_difference", None), key
    # No comparison is left claiming a measure it has no number for.
    for key, comparison in comparisons(after).items():
        if comparison["kind"] != "not_stated":
            assert (
                comparison["estimate"] is not None
                or comparison["p_value"] is not None
                or (comparison["significant"] is False)
            ), key


def item(items: list[dict], key: str) -> dict:
    [found] = [i for i in items if i["key"] == key]
    return found


def test_what_the_other_corrections_say():
    _, after = corrected_seed()
    hovon = after[("trial", "hovon-65-gmmg-hd4")]
    induction = item(hovon["outcomes"], "cr_induction")
    maintenance = item(hovon["outcomes"], "cr_maintenance")
    assert "PAD induction" in induction["title"] and "after induction" not in induction["title"]
    assert "Velcade maintenance" in maintenance["title"]
    for outcome in (induction, maintenance):
        assert "does not say when complete response was assessed" in outcome["note"]
        assert "inferred" in outcome["note"]
    assert "after induction" not in hovon["summary"]

    mm015 = after[("trial", "mm-015")]
    phases = {arm["key"]: {p["phase"] for p in arm["regimen"]} for arm in mm015["arms"]}
    assert phases == {
        "mpr_r": {"induction", "maintenance"},
        "mpr": {None, "maintenance"},
        "mp": {None, "maintenance"},
    }

    topic = after[("topic", "multiple-myeloma-maintenance")]
    assert item(topic["sections"], "revlimid")["setting"] is None
    assert after[("trial", "myeloma-xi")]["setting"] == "newly_diagnosed_mixed"

    calgb = after[("trial", "calgb-100104")]
    both = ["mccarthy-2012-nejm", "calgb-100104-updated-analysis-abstract-8523"]
    for key in ("ttp", "os", "second_primary_malignancies"):
        assert item(calgb["outcomes"], key)["citations"] == both, key
    for finding in calgb["findings"]:
        assert finding["citations"] == both, finding["key"]
    os_note = item(calgb["outcomes"], "os")["note"]
    assert "no significance" in os_note
    assert "have not been shown to significantly prolong survival" in os_note
    assert "reference 2" in calgb["notes"] and "reference 4" in calgb["notes"]
    assert item(calgb["conduct_notes"], "crossover")["patients"] == 86

    named_by_editors = {"ifm-2005-02", "gimema-mm-03-05", "mm-015"}
    for (record_type, slug), doc in after.items():
        if record_type != "trial":
            continue
        assert doc["name_editorial"] is (slug in named_by_editors), slug
        assert doc["registry_ids"] and all(r["editorial"] for r in doc["registry_ids"]), slug


def test_a_correction_meets_a_changed_field_as_a_conflict():
    seed = {(t, doc["slug"]): doc for t, doc in seed_records()}
    [entry] = [e for e in CORRECTIONS if e["key"] == "myeloma-xi-measure-not-stated"]
    document = copy.deepcopy(seed[("trial", "myeloma-xi")])
    document["outcomes"][0]["comparisons"][0]["unit"] = "weeks"
    corrected, conflicts = corrected_document(document, entry["changes"])
    assert corrected is None
    assert conflicts == [
        {
            "path": "outcomes[key=pfs].comparisons[key=lenalidomide_vs_observation].unit",
            "expected": "months",
            "correction": None,
            "found": "weeks",
        }
    ]
    # A record that says so already needs nothing.
    done, _ = corrected_document(seed[("trial", "myeloma-xi")], entry["changes"])
    assert corrected_document(done, entry["changes"]) == (None, [])


# --- Through the pipeline -------------------------------------------------------------------------


def correction_events() -> list[Event]:
    marker = CORRECTION_RATIONALE.split("{", 1)[0]  # "Seed correction "
    return list(Event.objects.filter(rationale__startswith=marker).order_by("position"))


@pytest.mark.django_db
def test_the_corrections_are_events_of_the_seed_accounts_with_their_rationales():
    report = load_seed()
    assert len(report.corrections.applied) == len(CORRECTIONS)
    events = correction_events()
    assert len(events) == len(CORRECTIONS)
    for entry, event in zip(CORRECTIONS, events, strict=True):
        assert (event.stream_type, event.slug, event.type) == (
            entry["record_type"],
            entry["slug"],
            "revised",
        )
        assert event.rationale == CORRECTION_RATIONALE.format(
            key=entry["key"], rationale=entry["rationale"]
        )
        assert (event.proposer.username, event.approver.username) == (
            "seed-editor",
            "seed-reviewer",
        )
        assert event.changes == entry["changes"], entry["key"]
        assert event.change_request.status == ChangeRequest.Status.APPROVED
        assert event.change_request.rationale == event.rationale
    _, after = corrected_seed()
    for (record_type, slug), document in after.items():
        assert selectors.live_record(record_type, slug).document == document, slug
    assert eventstore.verify_chain().ok


@pytest.mark.django_db
def test_applying_twice_changes_nothing(capsys):
    load_seed()
    events, requests = Event.objects.count(), ChangeRequest.objects.count()
    live = read_model_state()
    again = apply_corrections()
    assert again.applied == [] and again.conflicts == [] and again.refused == []
    assert again.already_applied == [entry["key"] for entry in CORRECTIONS]
    out = StringIO()
    call_command("load_seed", stdout=out)
    assert "0 records created" in out.getvalue()
    assert "0 applied, 18 applied before" in out.getvalue()
    assert (Event.objects.count(), ChangeRequest.objects.count()) == (events, requests)
    assert read_model_state() == live


@pytest.mark.django_db
def test_load_seed_says_what_it_applied():
    out = StringIO()
    call_command("load_seed", stdout=out)
    text = out.getvalue()
    assert "36 records created" in text
    assert "Seed corrections: 18 applied" in text
    for entry in CORRECTIONS:
        assert f"applied {entry['key']} -> {entry['record_type']}:{entry['slug']} v" in text


@pytest.mark.django_db
def test_the_corrections_apply_on_top_of_a_log_recorded_with_the_v1_seed():
    call_command("loaddata", str(FROZEN_LOG), verbosity=0)
    projection.rebuild()
    v1_events = Event.objects.count()
    before = {
        slug: selectors.live_record("trial", slug).version for slug in ("atlas", "myeloma-xi")
    }
    report = load_seed()
    assert report.created == [] and len(report.skipped) == len(seed_records())
    corrections = report.corrections
    assert (corrections.conflicts, corrections.refused, corrections.missing) == ([], [], [])
    assert len(corrections.applied) == len(CORRECTIONS)
    assert Event.objects.count() == v1_events + len(CORRECTIONS)
    # Revisions on top of whatever version the record was at (both were revised in the log).
    myeloma = selectors.live_record("trial", "myeloma-xi")
    assert myeloma.version == before["myeloma-xi"] + 2
    assert myeloma.document["schema_version"] == 2
    pfs = myeloma.document["outcomes"][0]
    assert pfs["comparisons"][0]["kind"] == "not_stated"
    # The editor's revision recorded in the old log is kept.
    assert pfs["values"][0]["note"] == "Value as printed in the article."
    assert selectors.live_record("trial", "atlas").version == before["atlas"] + 1
    # The old events are untouched and the whole log verifies and rebuilds.
    assert eventstore.verify_chain().ok
    live = read_model_state()
    projection.rebuild()
    assert read_model_state() == live
    assert apply_corrections().already_applied == [e["key"] for e in CORRECTIONS]


@pytest.mark.django_db
def test_a_v1_seed_loaded_through_the_write_path_is_corrected_alike():
    """Seed documents proposed in schema version 1 shape (as the old seed files were) are
    converted by the write path; the corrections then apply to them as to the new seed."""
    editor, reviewer = seed_accounts()
    for record_type, document in seed_records():
        v1 = copy.deepcopy(document)
        del v1["schema_version"]
        if record_type == "trial":
            v1 = as_v1_trial(v1)
        create_approved(editor, reviewer, record_type, v1)
    report = apply_corrections()
    assert len(report.applied) == len(CORRECTIONS)
    _, after = corrected_seed()
    for (record_type, slug), document in after.items():
        assert selectors.live_record(record_type, slug).document == document, slug


def as_v1_trial(document: dict) -> dict:
    """A schema-2 seed trial written the way schema 1 wrote it (the seed uses no v2-only
    field); the write path's upcaster turns it back."""
    v1 = {}
    for name, value in document.items():
        if name in ("name_editorial", "conditions", "setting_text", "enrollment_type", "dates"):
            continue
        if name == "registry_ids":
            value = [{"registry": r["registry"], "id": r["id"]} for r in value]
        elif name == "phases":
            name, value = "phase", (value[0] if value else None)
        elif name == "design":
            value = {
                "randomised": {"randomised": True, "non_randomised": False}.get(
                    value["allocation"]
                ),
                "blinding": {
                    "none": "open_label",
                    "single": "single_blind",
                    "double": "double_blind",
                }.get(value["masking"]),
                "placebo_controlled": value["placebo_controlled"],
                "multicentre": value["multicentre"],
                "international": value["international"],
            }
        elif name == "outcomes":
            value = [_v1_outcome(outcome) for outcome in value]
        v1[name] = value
    return v1


def _v1_outcome(outcome: dict) -> dict:
    timepoint = outcome["timepoint"]
    level = (outcome["dispersion"] or {}).get("level")
    return {
        "key": outcome["key"],
        "endpoint": outcome["endpoint"],
        "label": outcome["title"],
        "measure": outcome["measure"],
        "unit": outcome["unit"],
        "timepoint_months": timepoint["value"] if timepoint else None,
        "subgroup": outcome["subgroup"],
        "treatment_phase": outcome["treatment_phase"],
        "values": [
            {
                "arm": v["arm"],
                "value": v["value"],
                "not_reached": v["missing"] == "not_reached",
                "qualifier": v["qualifier"],
                "ci_low": v["low"],
                "ci_high": v["high"],
                "ci_level": level,
                "note": v["note"],
            }
            for v in outcome["values"]
        ],
        "comparisons": [
            {
                "key": c["key"],
                "kind": c["kind"],
                "arm": c["arm"],
                "reference_arm": c["reference_arm"],
                "estimate": c["estimate"],
                "unit": c["unit"],
                "qualifier": c["qualifier"],
                "ci_low": c["ci_low"],
                "ci_high": c["ci_high"],
                "ci_level": c["ci_level"],
                "p_value": c["p_value"],
                "p_value_qualifier": {"<": "less_than", "=": "equal"}.get(c["p_value_comparator"]),
                "significant": c["significant"],
                "note": c["note"],
            }
            for c in outcome["comparisons"]
        ],
        "citations": outcome["citations"],
        "note": outcome["note"],
    }


@pytest.mark.django_db
def test_an_editors_conflicting_change_is_reported_not_overwritten():
    load_seed(corrections=False)
    editor, reviewer = seed_accounts()

    def weeks(document):
        document["outcomes"][0]["comparisons"][0]["unit"] = "weeks"

    revise_approved(editor, reviewer, "trial", "myeloma-xi", weeks, why="Editor's own change.")
    edited = selectors.live_record("trial", "myeloma-xi")
    report = apply_corrections()
    [conflict] = report.conflicts
    assert conflict.key == "myeloma-xi-measure-not-stated"
    assert conflict.record == "trial:myeloma-xi"
    assert 'expected "months"' in str(conflict) and 'found "weeks"' in str(conflict)
    assert len(report.applied) == len(CORRECTIONS) - 1
    comparison = selectors.live_record("trial", "myeloma-xi").document["outcomes"][0][
        "comparisons"
    ][0]
    assert (comparison["kind"], comparison["unit"]) == ("absolute_difference", "weeks")
    # The other correction of the same record went in on top of the editor's version.
    assert selectors.live_record("trial", "myeloma-xi").version == edited.version + 1
    # Still reported, still not overwritten, the next time.
    out = StringIO()
    call_command("load_seed", stdout=out)
    assert "1 in conflict" in out.getvalue()
    assert "conflict: myeloma-xi-measure-not-stated (trial:myeloma-xi)" in out.getvalue()
    assert selectors.live_record("trial", "myeloma-xi").version == edited.version + 1


@pytest.mark.django_db
def test_a_correction_an_editor_already_made_proposes_nothing():
    load_seed(corrections=False)
    editor, reviewer = seed_accounts()

    def no_setting(document):
        document["sections"][0]["setting"] = None

    revise_approved(editor, reviewer, "topic", "multiple-myeloma-maintenance", no_setting)
    version = selectors.live_record("topic", "multiple-myeloma-maintenance").version
    report = apply_corrections()
    assert report.already_so == ["topic-revlimid-section-no-setting"]
    assert selectors.live_record("topic", "multiple-myeloma-maintenance").version == version


def test_the_corrections_file_is_what_its_changes_say():
    """The file lists each change with the value it replaces, so a reviewer reads it as a
    diff; the same changes are what the approval records (checked above)."""
    data = json.loads(
        (Path(__file__).resolve().parents[2] / "evidence/seed_data/corrections.json").read_text(
            encoding="utf-8"
        )
    )
    assert set(data) == {"corrections"}
    assert [e["key"] for e in data["corrections"]] == [e["key"] for e in CORRECTIONS]
