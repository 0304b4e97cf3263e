"""The pure mapping of a v2 study to a trial document: the two real registry documents, and a
small study per pitfall. No database: every document is validated the way proposals are."""

from __future__ import annotations

from collections import Counter

import pytest

from curation.imports import ctgov
from curation.imports.errors import NotAStudy, UnmappedGroups
from evidence.documents import validate_document

from .studies import (
    CERTOLIZUMAB,
    CERTOLIZUMAB_MAP,
    REMDESIVIR,
    REMDESIVIR_MAP,
    real,
    small_study,
)

MEASURES = "/resultsSection/outcomeMeasuresModule/outcomeMeasures"


def mapped(study, **kwargs):
    result = ctgov.map_study(study, **kwargs)
    validate_document("trial", result.document)  # raises with paths if the import is invalid
    return result


def outcome(document, title, subgroup=None):
    return next(
        o for o in document["outcomes"] if o["title"] == title and o.get("subgroup") == subgroup
    )


def value_of(outcome, arm):
    return next(v for v in outcome["values"] if v["arm"] == arm)


# --- NCT04431453: medians in days, IQR, "not reached" and below quantification -------------


@pytest.fixture(scope="module")
def remdesivir():
    return mapped(real(REMDESIVIR), group_map=REMDESIVIR_MAP, label="NCT04431453.json")


def test_remdesivir_protocol(remdesivir):
    doc = remdesivir.document
    assert doc["slug"] == "nct04431453"
    assert doc["name"] == "CARAVAN"
    assert doc["registry_ids"] == [
        {"registry": "NCT", "id": "NCT04431453"},
        {"registry": "EudraCT", "id": "2020-001803-17"},
    ]
    assert doc["phases"] == ["2/3"]
    assert doc["design"] == {
        "allocation": "non_randomised",
        "masking": "none",
        "masked_roles": [],
        "model": "single_group",
    }
    assert doc["enrollment"] == 59 and doc["enrollment_type"] == "actual"
    assert doc["dates"]["start"] == {"date": "2020-07-21", "type": "actual"}
    assert [a["key"] for a in doc["arms"]] == [f"arm-{n}" for n in range(1, 9)]
    assert doc["arms"][4]["label"].startswith("RDV, Cohort 5: Age ≥14")
    assert doc["arms"][0]["regimen"] == [{"description": "Drug: Remdesivir"}]
    assert remdesivir.last_updated == "2023-12-22"
    assert "last updated 2023-12-22" in doc["notes"]


def test_remdesivir_median_days_with_iqr_and_not_reached(remdesivir):
    discharge = outcome(remdesivir.document, "Time (Days) to Discharge From Hospital")
    assert discharge["measure"] == "median"
    assert discharge["unit"] == "days" and discharge["unit_text"] == "days"
    assert discharge["dispersion"] == {"kind": "interquartile_range"}
    assert discharge["type"] == "secondary"
    cohort1 = value_of(discharge, "arm-1")
    assert (cohort1["value"], cohort1["low"], cohort1["high"], cohort1["participants"]) == (
        12,
        8,
        24,
        12,
    )
    assert cohort1["source"] == {
        "registry": "NCT",
        "registry_id": "NCT04431453",
        "pointer": f"{MEASURES}/5/classes/0/categories/0/measurements/0",
    }
    # "Median and upper bound of range (Q3) could not be calculated because less than 50% and
    # 75% of participants, respectively, experienced the event."
    cohort5 = value_of(discharge, "arm-5")
    assert cohort5["missing"] == "not_reached" and cohort5["raw"] == "NA"
    assert cohort5["missing_text"].startswith("Median and upper bound of range (Q3)")
    assert (cohort5["low"], cohort5["bound_missing"], cohort5["participants"]) == (
        9,
        "not_reached",
        3,
    )
    assert "value" not in cohort5
    # Cohorts 6 and 7 have no measurement at all: no value is invented for them.
    assert {v["arm"] for v in discharge["values"]} == {
        "arm-1",
        "arm-2",
        "arm-3",
        "arm-4",
        "arm-5",
        "arm-8",
    }
    assert discharge["source"]["pointer"] == f"{MEASURES}/5"
    assert "last updated 2023-12-22" in discharge["note"]


def test_remdesivir_every_na_follows_its_comment(remdesivir):
    """15 NA values say the median was not reached (fewer than 50% had the event); 9 say the
    concentration was below the level of quantification: nothing else is called either."""
    reasons = Counter(
        v.get("missing") for o in remdesivir.document["outcomes"] for v in o["values"]
    )
    assert reasons["not_reached"] == 15
    assert reasons["below_limit_of_quantification"] == 9
    assert set(reasons) == {None, "not_reached", "below_limit_of_quantification"}
    for o in remdesivir.document["outcomes"]:
        for v in o["values"]:
            if v.get("missing") == "not_reached":
                assert o["measure"] == "median" and "less than 50%" in v["missing_text"]


def test_remdesivir_median_given_with_upper_quartile_na_keeps_the_comment(remdesivir):
    pcr = outcome(
        remdesivir.document,
        "Days to First Confirmed Negative Polymerase Chain Reaction (PCR) Result",
        "Nasal/OP Samples",
    )
    cohort2 = value_of(pcr, "arm-2")
    assert (cohort2["value"], cohort2["low"]) == (5, 3)
    # The comment speaks of the median, which is given: the bound's reason is not guessed.
    assert cohort2["bound_missing"] == "other"
    assert "Median days to event could not be calculated" in cohort2["note"]


def test_remdesivir_classes_and_categories_are_subgroups(remdesivir):
    oxygen = [
        o
        for o in remdesivir.document["outcomes"]
        if o["title"] == "Number of Participants With Change From Baseline in Oxygenation Use"
    ]
    assert len(oxygen) == 3 * 7
    assert oxygen[0]["subgroup"] == "High flow oxygen (Baseline) / Death (Day 10)"
    assert oxygen[0]["measure"] == "count_of_participants" and oxygen[0]["unit"] == "count"
    # Class-level denominators: participants per class, not the outcome's.
    keys = [o["key"] for o in remdesivir.document["outcomes"]]
    assert len(keys) == len(set(keys))


def test_remdesivir_outcome_without_data_is_a_warning(remdesivir):
    assert not any(o["title"].startswith("Bilirubin") for o in remdesivir.document["outcomes"])
    assert any(w["path"] == f"{MEASURES}/10" for w in remdesivir.warnings)


def test_remdesivir_sd_not_estimable_is_kept_in_words(remdesivir):
    viral = [
        o
        for o in remdesivir.document["outcomes"]
        if o["title"].startswith("Change From Baseline in Severe")
    ]
    noted = [
        v
        for o in viral
        for v in o["values"]
        if "SD could not be estimated" in (v.get("note") or "")
    ]
    assert len(noted) == 15
    assert all("spread" not in v and isinstance(v["value"], int | float) for v in noted)


def test_same_mapping_twice_gives_the_same_document():
    first = ctgov.map_study(real(REMDESIVIR), group_map=REMDESIVIR_MAP)
    second = ctgov.map_study(real(REMDESIVIR), group_map=REMDESIVIR_MAP)
    assert first.document == second.document


# --- NCT02552212: means, SE/SD/CI, odds ratios and differences, BLQ ------------------------


@pytest.fixture(scope="module")
def certolizumab():
    return mapped(real(CERTOLIZUMAB), group_map=CERTOLIZUMAB_MAP)


def test_certolizumab_odds_ratio(certolizumab):
    first = certolizumab.document["outcomes"][0]
    assert first["timepoint"] == {"value": 52, "unit": "weeks"}
    assert first["unit"] == "percent" and first["unit_text"] == "percentage of subjects"
    assert value_of(first, "arm-2")["value"] == 7.0 and value_of(first, "arm-1")["value"] == 47.2
    (ratio,) = first["comparisons"]
    assert ratio["kind"] == "odds_ratio" and ratio["kind_label"] == "Odds Ratio (OR)"
    # "Odds ratio: CZP/Placebo": placebo is the reference.
    assert (ratio["arm"], ratio["reference_arm"]) == ("arm-1", "arm-2")
    assert (ratio["estimate"], ratio["ci_low"], ratio["ci_high"]) == (15.231, 7.336, 31.623)
    assert (ratio["ci_level"], ratio["ci_sides"], ratio["unit"]) == (95, 2, "ratio")
    assert (ratio["p_value"], ratio["p_value_comparator"], ratio["p_value_text"]) == (
        0.001,
        "<",
        "<0.001",
    )
    assert ratio["method"] == "Regression, Logistic"
    assert ratio["source"]["pointer"] == f"{MEASURES}/0/analyses/0"


def test_certolizumab_differences_and_p_values(certolizumab):
    comparisons = [c for o in certolizumab.document["outcomes"] for c in o["comparisons"]]
    assert Counter(c["kind_label"] for c in comparisons) == {"Difference": 7, "Odds Ratio (OR)": 5}
    differences = [c for c in comparisons if c["kind_label"] == "Difference"]
    assert {c["kind"] for c in differences} == {"difference_in_means"}
    texts = {c["p_value_text"] for c in comparisons}
    assert "=0.247" in texts
    exact = next(c for c in comparisons if c["p_value_text"] == "=0.247")
    assert (exact["p_value"], exact["p_value_comparator"]) == (0.247, "=")
    # No comment names the reference of a difference: recorded, and said, not hidden.
    assert all("does not say which arm is the reference" in c["note"] for c in differences)


def test_certolizumab_dispersions(certolizumab):
    kinds = Counter(
        (
            o["measure"],
            (o.get("dispersion") or {}).get("kind"),
            (o.get("dispersion") or {}).get("level"),
        )
        for o in certolizumab.document["outcomes"]
    )
    assert kinds[("geometric_mean", "confidence_interval", 95)] >= 1
    assert kinds[("least_squares_mean", "standard_error", None)] == 7
    assert kinds[("mean", "standard_deviation", None)] >= 1
    for o in certolizumab.document["outcomes"]:
        if (o.get("dispersion") or {}).get("kind") == "confidence_interval":
            assert o["dispersion"].get("sides") is None  # the registry does not say


def test_certolizumab_below_quantification(certolizumab):
    missing = [
        (o["title"], v)
        for o in certolizumab.document["outcomes"]
        for v in o["values"]
        if v.get("missing")
    ]
    assert len(missing) == 1
    title, value = missing[0]
    assert title.startswith("Certolizumab Pegol Plasma Concentration at Follow-Up")
    assert value["missing"] == "below_limit_of_quantification"
    assert value["missing_text"] == "Values were below the level of quantification."
    assert "low" not in value and "high" not in value


def test_certolizumab_markdown_unescaped(certolizumab):
    first = certolizumab.document["outcomes"][0]
    assert "reduction (improvement) >= 2.0" in first["description"]
    assert "[ln]" in first["description"] and "\\" not in first["description"]


# --- Group mapping ----------------------------------------------------------------------------


def test_group_matching_no_arm_is_refused_with_a_suggestion():
    with pytest.raises(UnmappedGroups) as refused:
        ctgov.map_study(real(REMDESIVIR), label="NCT04431453.json")
    (group,) = refused.value.groups
    assert group["ids"] == ["OG004"] and group["suggestions"] == ["arm-5"]
    assert "NCT04431453.json" in refused.value.message
    assert refused.value.errors[0]["path"] == f"{MEASURES}/0/groups/4"


def test_an_id_naming_different_groups_must_be_mapped_by_title():
    with pytest.raises(NotAStudy) as refused:
        ctgov.map_study(real(CERTOLIZUMAB), group_map={"OG000": "arm-2"})
    assert "different groups in different outcomes" in refused.value.errors[0]["message"]


def test_mapping_to_an_unknown_arm_is_refused():
    study = small_study(group_titles=("Drug A 10 mg", "Placebo"))
    with pytest.raises(UnmappedGroups) as refused:
        ctgov.map_study(study, group_map={"Drug A 10 mg": "drug-b"})
    assert "no arm of the study" in refused.value.errors[0]["message"]


def test_a_group_left_out_and_a_new_arm():
    study = small_study(group_titles=("Drug A 10 mg", "Placebo"))
    left_out = mapped(study, group_map={"OG000": "-"})
    assert [v["arm"] for v in left_out.document["outcomes"][0]["values"]] == ["arm-2"]
    added = mapped(study, group_map={"OG000": "new:drug-a-10"})
    assert added.document["arms"][-1] == {
        "key": "drug-a-10",
        "label": "Drug A 10 mg",
        "role": "other",
        "regimen": [],
    }
    assert any("new arm" in w["message"] for w in added.warnings)


def test_two_arms_with_the_same_label_need_a_mapping():
    study = small_study(group_titles=("Drug A", "Placebo"))
    study["protocolSection"]["armsInterventionsModule"]["armGroups"][1]["label"] = "Drug A"
    with pytest.raises(UnmappedGroups) as refused:
        ctgov.map_study(study)
    assert "matches several arms" in refused.value.errors[0]["message"]
