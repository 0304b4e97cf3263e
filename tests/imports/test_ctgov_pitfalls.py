"""One small study per pitfall of the registry's format (see the fixtures' README)."""

from __future__ import annotations

import pytest

from curation.imports import ctgov, registry_text
from curation.imports.errors import NotAStudy
from evidence.documents import validate_document

from .studies import hazard_ratio, measurement, small_study


def mapped(study, **kwargs):
    result = ctgov.map_study(study, **kwargs)
    validate_document("trial", result.document)
    return result


def only_outcome(result):
    (outcome,) = result.document["outcomes"]
    return outcome


def test_hazard_ratio_keeps_level_and_sides_as_given():
    result = mapped(small_study(analyses=[hazard_ratio()]))
    (hr,) = only_outcome(result)["comparisons"]
    assert hr["kind"] == "hazard_ratio" and hr["kind_label"] == "Hazard Ratio (HR)"
    assert (hr["estimate"], hr["ci_low"], hr["ci_high"]) == (0.52, 0.4, 0.68)
    assert (hr["ci_level"], hr["ci_sides"]) == (90, 1)  # not 95% two-sided
    # "Hazard ratio of Drug A versus placebo": placebo is the reference, and no warning.
    assert (hr["arm"], hr["reference_arm"]) == ("arm-1", "arm-2")
    assert not any("reference" in w["message"] for w in result.warnings)


def test_hazard_ratio_without_its_abbreviation_and_without_a_level():
    analysis = hazard_ratio(paramType="Hazard Ratio", ciPctValue=None, ciNumSides=None)
    (hr,) = only_outcome(mapped(small_study(analyses=[analysis])))["comparisons"]
    assert hr["kind"] == "hazard_ratio"
    assert hr.get("ci_level") is None and hr.get("ci_sides") is None


def test_unknown_analysis_measure_is_other_with_its_words():
    analysis = hazard_ratio(paramType="Win Ratio (WR)")
    result = mapped(small_study(analyses=[analysis]))
    (comparison,) = only_outcome(result)["comparisons"]
    assert comparison["kind"] == "other" and comparison["kind_label"] == "Win Ratio (WR)"
    assert any(w["path"].endswith("/analyses/0/paramType") for w in result.warnings)


def test_reference_not_stated_is_recorded_with_a_warning():
    analysis = hazard_ratio(groupDescription="Stratified by region.")
    result = mapped(small_study(analyses=[analysis]))
    (hr,) = only_outcome(result)["comparisons"]
    assert hr["reference_arm"] == "arm-2"  # the placebo comparator, and said so
    assert "does not say which arm is the reference" in hr["note"]
    assert any("reference" in w["message"] for w in result.warnings)


def test_reference_stated_in_the_comment_wins_over_the_order():
    analysis = hazard_ratio(groupDescription="Placebo/Drug A")
    (hr,) = only_outcome(mapped(small_study(analyses=[analysis])))["comparisons"]
    assert (hr["arm"], hr["reference_arm"]) == ("arm-2", "arm-1")


def test_p_value_without_comparator_invents_none():
    analysis = hazard_ratio(pValue="0.04")
    (hr,) = only_outcome(mapped(small_study(analyses=[analysis])))["comparisons"]
    assert (hr["p_value"], hr.get("p_value_comparator"), hr["p_value_text"]) == (0.04, None, "0.04")


@pytest.mark.parametrize(
    "comment, reason",
    [
        ("Median not reached at the time of analysis.", "not_reached"),
        (
            "The median could not be estimated because fewer than 50% of participants had an "
            "event.",
            "not_reached",
        ),
        ("Values were below the level of quantification.", "below_limit_of_quantification"),
        ("Not estimable due to the low number of events.", "other"),
        ("Fewer than 50% of participants had an event.", "other"),  # no word of the median
        (None, "other"),
    ],
)
def test_na_reason_comes_only_from_its_comment(comment, reason):
    extra = {"comment": comment} if comment else {}
    study = small_study(
        measurements=[
            measurement("OG000", "NA", lowerLimit="15.2", upperLimit="NA", **extra),
            measurement("OG001", "10.4", lowerLimit="8.1", upperLimit="12.0"),
        ]
    )
    value = only_outcome(mapped(study))["values"][0]
    assert value["missing"] == reason and value["raw"] == "NA"
    assert value["missing_text"] == (comment or "NA")
    assert "value" not in value


def test_not_reached_only_for_a_time():
    study = small_study(
        unit="mg/dL",
        measurements=[
            measurement("OG000", "NA", comment="Median not reached."),
            measurement("OG001", "10.4", lowerLimit="8.1", upperLimit="12.0"),
        ],
    )
    value = only_outcome(mapped(study))["values"][0]
    assert value["missing"] == "other" and value["missing_text"] == "Median not reached."


def test_upper_limit_not_reached_when_the_comment_says_so():
    study = small_study(
        measurements=[
            measurement(
                "OG000",
                "20.1",
                lowerLimit="15.2",
                upperLimit="NA",
                comment="Upper limit of the CI not reached.",
            ),
            measurement("OG001", "10.4", lowerLimit="8.1", upperLimit="12.0"),
        ]
    )
    value = only_outcome(mapped(study))["values"][0]
    assert (value["value"], value["low"], value["bound_missing"]) == (20.1, 15.2, "not_reached")
    assert "high" not in value


def test_unknown_dispersion_is_kept_in_words_and_flagged():
    study = small_study(
        param_type="MEAN",
        unit="mg/dL",
        dispersion="Geometric Coefficient of Variation",
        measurements=[
            measurement("OG000", "12.5", spread="23.4"),
            measurement("OG001", "11.0", spread="20.1"),
        ],
    )
    result = mapped(study)
    outcome = only_outcome(result)
    assert outcome.get("dispersion") is None
    assert "spread" not in outcome["values"][0]
    assert "Geometric Coefficient of Variation: spread 23.4." in outcome["values"][0]["note"]
    assert any(w["path"].endswith("/dispersionType") for w in result.warnings)


def test_unknown_outcome_param_type_is_flagged():
    study = small_study(
        param_type="GEOMETRIC_LEAST_SQUARES_MEAN",
        unit="mg/dL",
        dispersion=None,
        measurements=[measurement("OG000", "1.5"), measurement("OG001", "1.2")],
    )
    result = mapped(study)
    outcome = only_outcome(result)
    assert outcome["measure"] == "number" and "GEOMETRIC_LEAST_SQUARES_MEAN" in outcome["note"]
    assert outcome["unit"] == "other" and outcome["unit_text"] == "mg/dL"
    assert any(w["path"].endswith("/paramType") for w in result.warnings)


def test_markdown_unescaped_in_titles():
    result = mapped(small_study())
    assert result.document["full_title"] == "A Randomised Trial of Drug A [DA] versus Placebo"
    assert registry_text.unescape("\\<=50 and \\>= 2") == "<=50 and >= 2"


def test_study_without_results_imports_the_protocol_and_says_so():
    result = mapped(small_study(results=False))
    assert result.document["outcomes"] == [] and len(result.document["arms"]) == 2
    assert any("has no results" in w["message"] for w in result.warnings)
    assert result.document["design"]["masked_roles"] == ["participant", "investigator"]
    assert result.document["dates"]["completion"] == {"date": "2023-06-30", "type": "anticipated"}


@pytest.mark.parametrize(
    "study, path",
    [
        ([1, 2], ""),
        ({"protocolSection": {}}, "/protocolSection/identificationModule/nctId"),
        (
            {"protocolSection": {"identificationModule": {"nctId": "12345"}}},
            "/protocolSection/identificationModule/nctId",
        ),
    ],
)
def test_not_a_study(study, path):
    with pytest.raises(NotAStudy) as refused:
        ctgov.map_study(study, label="upload.json")
    assert refused.value.errors[0]["path"] == path
    assert "upload.json" in refused.value.message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12", 12),
        ("-1.696", -1.696),
        ("7.0", 7.0),
        ("NA", None),
        ("", None),
        ("1e-3", 0.001),
        ("12 ", 12),
    ],
)
def test_numbers(text, expected):
    assert registry_text.number(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<0.001", (0.001, "<")),
        ("=0.247", (0.247, "=")),
        ("≤0.05", (0.05, "<=")),
        ("NA", (None, None)),
    ],
)
def test_p_values(text, expected):
    assert registry_text.p_value(text) == expected
