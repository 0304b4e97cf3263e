"""Upcasters: documents (and their recorded changes) of an older schema version read in the
current one, without changing what they say."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from evidence.diff import diff_documents
from evidence.documents import (
    CURRENT_SCHEMA_VERSION,
    UpcastError,
    schema_version_of,
    upcast,
    validate_document,
)
from evidence.documents.upcasting import UPCASTERS, convert, upcast_changes

LOG = Path(__file__).resolve().parent.parent / "data" / "event_log_v1.json"


def v1_documents() -> list[tuple[str, dict]]:
    """Every document of the frozen v1 log (recorded by the code before schema versions)."""
    rows = json.loads(LOG.read_text())
    return [
        (row["fields"]["stream_type"], row["fields"]["document"])
        for row in rows
        if row["model"] == "curation.event" and row["fields"]["document"] is not None
    ]


def v1_trial(**outcome_fields) -> dict:
    """A v1 trial document as the v1 code stored it (canonical: every field listed)."""
    outcome = {
        "key": "pfs",
        "endpoint": "pfs",
        "label": "Median progression-free survival",
        "measure": "median",
        "unit": "months",
        "timepoint_months": None,
        "subgroup": None,
        "treatment_phase": None,
        "values": [
            {
                "arm": "len",
                "value": None,
                "not_reached": True,
                "qualifier": None,
                "ci_low": None,
                "ci_high": None,
                "ci_level": None,
                "note": None,
            },
            {
                "arm": "pbo",
                "value": 27,
                "not_reached": False,
                "qualifier": None,
                "ci_low": 22,
                "ci_high": 31,
                "ci_level": 95,
                "note": None,
            },
        ],
        "comparisons": [
            {
                "key": "hr",
                "kind": "hazard_ratio",
                "arm": "len",
                "reference_arm": "pbo",
                "estimate": 0.48,
                "unit": "ratio",
                "qualifier": None,
                "ci_low": 0.36,
                "ci_high": 0.63,
                "ci_level": 95,
                "p_value": 0.001,
                "p_value_qualifier": "less_than",
                "significant": True,
                "note": None,
            }
        ],
        "citations": [],
        "note": None,
        **outcome_fields,
    }
    return {
        "slug": "calgb",
        "name": "CALGB 100104",
        "full_title": None,
        "registry_ids": [{"registry": "NCT", "id": "NCT00114101"}],
        "phase": "3",
        "design": {
            "randomised": True,
            "blinding": "double_blind",
            "placebo_controlled": True,
            "multicentre": None,
            "international": None,
        },
        "setting": "post_autologous_transplant",
        "population": "Patients after autologous transplant.",
        "enrollment": 460,
        "enrollment_qualifier": None,
        "median_follow_up_months": None,
        "conduct_notes": [],
        "interventions": [],
        "arms": [
            {"key": "len", "label": "Lenalidomide", "role": "experimental", "regimen": []},
            {"key": "pbo", "label": "Placebo", "role": "placebo", "regimen": []},
        ],
        "outcomes": [outcome],
        "findings": [],
        "summary": None,
        "citations": [],
        "notes": None,
    }


def test_a_document_without_a_version_is_version_1():
    assert schema_version_of({"slug": "x"}) == 1
    assert schema_version_of({"schema_version": 2}) == 2
    for bad in ("2", True, 2.0, None):
        with pytest.raises(UpcastError, match="schema_version"):
            schema_version_of({"schema_version": bad})


def test_every_version_step_has_an_upcaster():
    assert sorted(UPCASTERS) == list(range(1, CURRENT_SCHEMA_VERSION))


@pytest.mark.parametrize("record_type,document", v1_documents(), ids=lambda v: str(v)[:30])
def test_every_document_of_the_frozen_v1_log_upcasts_to_a_valid_current_document(
    record_type, document
):
    before = copy.deepcopy(document)
    current = upcast(record_type, document)
    assert document == before, "an upcaster never changes its argument"
    assert current["schema_version"] == CURRENT_SCHEMA_VERSION
    # Canonical and valid: validating it changes nothing.
    assert validate_document(record_type, current) == current
    assert upcast(record_type, current) is current, "a current document passes through"


def test_v1_trial_reads_the_same_in_version_2():
    trial = upcast("trial", v1_trial())
    assert trial["phases"] == ["3"]
    assert trial["design"]["allocation"] == "randomised"
    assert trial["design"]["masking"] == "double"
    assert trial["design"]["placebo_controlled"] is True
    assert trial["registry_ids"] == [{"registry": "NCT", "id": "NCT00114101", "editorial": False}]
    outcome = trial["outcomes"][0]
    assert outcome["title"] == "Median progression-free survival"
    assert outcome["endpoint"] == "pfs" and outcome["timepoint"] is None
    assert outcome["dispersion"] == {"kind": "confidence_interval", "level": 95, "sides": None}
    not_reached, placebo = outcome["values"]
    assert (not_reached["value"], not_reached["missing"]) == (None, "not_reached")
    assert (placebo["value"], placebo["missing"], placebo["low"], placebo["high"]) == (
        27,
        None,
        22,
        31,
    )
    comparison = outcome["comparisons"][0]
    assert comparison["p_value_comparator"] == "<" and comparison["p_value"] == 0.001
    assert (comparison["ci_low"], comparison["ci_high"], comparison["ci_level"]) == (
        0.36,
        0.63,
        95,
    )
    assert comparison["ci_sides"] is None, "sidedness the source did not state stays unknown"


def test_a_timepoint_in_months_keeps_its_unit():
    trial = upcast("trial", v1_trial(measure="rate_at_timepoint", unit="percent", values=[]))
    # The rule (a rate needs its timepoint) is validation's; the upcaster keeps what it finds.
    assert trial["outcomes"][0]["timepoint"] is None
    trial = upcast(
        "trial",
        v1_trial(measure="rate_at_timepoint", unit="percent", values=[], timepoint_months=36),
    )
    assert trial["outcomes"][0]["timepoint"] == {"value": 36, "unit": "months"}


def test_an_old_document_the_new_shape_cannot_hold_fails_loudly():
    document = v1_trial()
    document["outcomes"][0]["values"][0].update(
        not_reached=False, value=40, ci_low=30, ci_high=50, ci_level=90
    )
    with pytest.raises(UpcastError, match=r"different levels \(90, 95\)"):
        upcast("trial", document)


def test_a_version_from_the_future_is_refused():
    with pytest.raises(UpcastError, match="schema_version 3 is not known"):
        upcast("citation", {"schema_version": 3, "slug": "x"})


def test_a_retraction_passes_through():
    assert upcast("trial", None) is None


def test_the_write_path_converts_a_v1_proposal_and_stores_version_2():
    stored = validate_document("trial", v1_trial())
    assert stored == upcast("trial", v1_trial())
    assert stored["schema_version"] == 2


def test_converting_leaves_malformed_input_for_validation_to_name():
    document = v1_trial()
    document["outcomes"] = "none"
    document["design"] = 5
    assert convert("trial", document)["outcomes"] == "none"


def test_recorded_changes_read_as_changes_of_the_current_version():
    old, new = v1_trial(), v1_trial()
    new["phase"] = "2/3"
    new["design"]["blinding"] = "open_label"
    new["outcomes"][0]["label"] = "PFS"
    new["outcomes"][0]["values"][0].update(not_reached=False, value=53)
    new["outcomes"][0]["values"][1]["ci_low"] = 21
    new["outcomes"][0]["comparisons"][0]["p_value_qualifier"] = "equal"
    recorded = diff_documents(old, new)
    upcast_diff = diff_documents(upcast("trial", old), upcast("trial", new))
    # The same changes as a diff of the upcast documents would give.
    assert sorted(upcast_changes("trial", 1, recorded), key=lambda c: c["path"]) == sorted(
        upcast_diff, key=lambda c: c["path"]
    )


def test_changes_of_other_record_types_and_the_current_version_pass_unchanged():
    changes = [{"path": "title", "old": "a", "new": "b"}]
    assert upcast_changes("citation", 1, changes) == changes
    assert upcast_changes("trial", 2, changes) == changes
    with pytest.raises(UpcastError):
        upcast_changes("trial", 9, changes)
