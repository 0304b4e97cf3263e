"""Unit tests of ``publishing.formatting``: the exact words and numbers readers see.

Pure functions, no database. Expected strings are what a medical reader should read.
"""

from __future__ import annotations

import types
import typing

import pytest

from evidence import documents
from publishing import formatting as fmt
from publishing import trial_facts as facts

# --- number -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (53, "53"),
        (0, "0"),
        (-3, "-3"),
        (1917, "1917"),
        (53.0, "53"),  # never "53.0"
        (100.0, "100"),  # trailing zeros of a whole float go, the zeros before the point stay
        (10.0, "10"),
        (0.0, "0"),
        (0.48, "0.48"),
        (2.50, "2.5"),
        (38.9, "38.9"),
        (0.1, "0.1"),
        (-0.48, "-0.48"),
        (-12.25, "-12.25"),
        (123456.789, "123456.789"),
        (1e-05, "0.00001"),  # never "1e-05"
        (1e-4, "0.0001"),
        (1.5e-10, "0.00000000015"),
        (2.5e-7, "0.00000025"),
        (1e16, "10000000000000000"),  # never "1e+16"
        (1e22, "10000000000000000000000"),
        (None, ""),
    ],
)
def test_number(value, expected):
    assert fmt.number(value) == expected


def test_number_negative_zero():
    assert fmt.number(-0.0) == "0"


# --- with_unit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (45, "percent", "45%"),
        (45.50, "percent", "45.5%"),
        (0, "percent", "0%"),
        (-8, "percent", "-8%"),
        (53, "months", "53 months"),
        (53.0, "months", "53 months"),
        (0.5, "months", "0.5 months"),
        (38.9, "months", "38.9 months"),
        (-3.5, "percentage_points", "-3.5 percentage points"),
        (12, "percentage_points", "12 percentage points"),
        (0.48, "ratio", "0.48"),
        (12, "count", "12"),
        (1e-05, "ratio", "0.00001"),
        (7, "unknown-unit", "7"),
        (7, None, "7"),
        (14, "days", "14 days"),
        (2.5, "weeks", "2.5 weeks"),
        (3, "years", "3 years"),
        (7, "other", "7"),  # "other" without the source's unit: the number alone
    ],
)
def test_with_unit(value, unit, expected):
    assert fmt.with_unit(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "unit_text", "expected"),
    [
        (5.2, "mg/dL", "5.2 mg/dL"),
        (31, "points on the BASDAI scale", "31 points on the BASDAI scale"),
    ],
)
def test_with_unit_as_the_source_gives_it(value, unit_text, expected):
    assert fmt.with_unit(value, "other", unit_text) == expected
    assert fmt.with_unit(value, "count", unit_text) == fmt.number(value)  # only for "other"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1, "months", "1 month"),
        (1.0, "months", "1 month"),
        (1, "percentage_points", "1 percentage point"),
        (1, "days", "1 day"),
        (1, "weeks", "1 week"),
        (1.0, "years", "1 year"),
    ],
)
def test_with_unit_singular(value, unit, expected):
    assert fmt.with_unit(value, unit) == expected


# --- interval_text, comparison_interval ---------------------------------------------------


@pytest.mark.parametrize(
    ("item", "unit", "expected"),
    [
        ({"ci_low": 0.36, "ci_high": 0.63, "ci_level": 95}, None, "95% CI 0.36 to 0.63"),
        ({"ci_low": 0.36, "ci_high": 0.63}, None, "CI 0.36 to 0.63"),
        ({"ci_low": 0.36, "ci_high": 0.63, "ci_level": None}, None, "CI 0.36 to 0.63"),
        ({"ci_low": 0.4, "ci_high": 1.0, "ci_level": 95.0}, "ratio", "95% CI 0.4 to 1"),
        ({"ci_low": 0.5, "ci_high": 2, "ci_level": 97.5}, "ratio", "97.5% CI 0.5 to 2"),
        # the bounds carry the unit only when asked to (when the value before them is missing)
        ({"ci_low": 40, "ci_high": 60.5, "ci_level": 95}, "percent", "95% CI 40% to 60.5%"),
        ({"ci_low": 0, "ci_high": 4, "ci_level": 95}, "percent", "95% CI 0% to 4%"),
        (
            {"ci_low": 30.2, "ci_high": 47, "ci_level": 95},
            "months",
            "95% CI 30.2 months to 47 months",
        ),
        (
            {"ci_low": -5.5, "ci_high": 3, "ci_level": 90},
            "percentage_points",
            "90% CI -5.5 percentage points to 3 percentage points",
        ),
        ({"ci_low": 3, "ci_high": 9, "ci_level": 95}, "count", "95% CI 3 to 9"),
        ({"ci_low": 1e-05, "ci_high": 0.002}, "ratio", "CI 0.00001 to 0.002"),
        # one bound, or none: no interval is shown (never half of one)
        ({"ci_low": None, "ci_high": 0.63, "ci_level": 95}, "ratio", ""),
        ({"ci_low": 0.36, "ci_high": None, "ci_level": 95}, "ratio", ""),
        ({"ci_high": 0.63}, "ratio", ""),
        ({"ci_low": 0.36}, "ratio", ""),
        ({"ci_level": 95}, "ratio", ""),
        ({}, "percent", ""),
    ],
)
def test_interval_text(item, unit, expected):
    low, high, level = item.get("ci_low"), item.get("ci_high"), item.get("ci_level")
    assert fmt.interval_text(low, high, level=level, unit=unit) == expected
    if unit in (None, "ratio", "count"):  # a comparison's interval: bounds as bare numbers
        assert fmt.comparison_interval(item) == expected


@pytest.mark.parametrize(
    ("low", "high", "options", "expected"),
    [
        # one-sided: the side is named, and a single limit reads "up to" or "down to"
        (None, 0.85, {"level": 97.5, "sides": 1}, "97.5% one-sided CI up to 0.85"),
        (1.2, None, {"level": 97.5, "sides": 1}, "97.5% one-sided CI down to 1.2"),
        (0.5, 0.85, {"level": 97.5, "sides": 1}, "97.5% one-sided CI 0.5 to 0.85"),
        # a one-sided interval has one bound, whatever reason the document gives for the other
        (
            None,
            0.85,
            {"level": 97.5, "sides": 1, "bound_missing": "not_reported"},
            "97.5% one-sided CI up to 0.85",
        ),
        (None, 0.85, {"sides": 1}, "one-sided CI up to 0.85"),
        (0.5, 0.85, {"level": 95, "sides": 2}, "95% CI 0.5 to 0.85"),
        (None, None, {"level": 97.5, "sides": 1}, ""),
        # a bound the source says is missing, in words
        (22, None, {"level": 95, "bound_missing": "not_reached"}, "95% CI 22 to not reached"),
        (
            None,
            31,
            {"level": 95, "bound_missing": "not_estimable"},
            "95% CI not estimable to 31",
        ),
        (
            22,
            None,
            {"level": 95, "bound_missing": "not_reached", "unit": "months"},
            "95% CI 22 months to not reached",
        ),
        # IQR and range: no level, no sides
        (10, 21, {"name": "IQR", "level": 95, "sides": 1}, "IQR 10 to 21"),
        (2, 30, {"name": "range"}, "range 2 to 30"),
        (2, None, {"name": "range"}, ""),
    ],
)
def test_interval_text_sides_missing_bounds_and_kinds(low, high, options, expected):
    assert fmt.interval_text(low, high, **options) == expected


def test_comparison_interval_reads_the_comparisons_fields():
    comparison = {
        "ci_low": None,
        "ci_high": 0.85,
        "ci_level": 97.5,
        "ci_sides": 1,
        "ci_bound_missing": None,
    }
    assert fmt.comparison_interval(comparison) == "97.5% one-sided CI up to 0.85"
    comparison = {
        "ci_low": 0.6,
        "ci_high": None,
        "ci_level": 95,
        "ci_bound_missing": "not_estimable",
    }
    assert fmt.comparison_interval(comparison) == "95% CI 0.6 to not estimable"


# --- arm_value ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ({"value": 53}, "months", "53 months"),
        ({"value": 53.0, "missing": None}, "months", "53 months"),
        ({"value": 38.9}, "months", "38.9 months"),
        ({"value": 0}, "months", "0 months"),
        ({"value": 45.5}, "percent", "45.5%"),
        ({"value": 0.5}, "percent", "0.5%"),
        ({"value": 12}, "count", "12"),
        ({"value": None, "missing": "not_reached"}, "months", "not reached"),
        ({"missing": "not_reached"}, "months", "not reached"),
        ({"missing": "not_estimable"}, "months", "not estimable"),
        (
            {"missing": "below_limit_of_quantification", "raw": "BLQ"},
            "other",
            "below the limit of quantification",
        ),
        ({"missing": "not_reported"}, "percent", "not reported"),
        # "other": the source's own wording, else what it printed, else plain words
        (
            {"missing": "other", "missing_text": "too few events", "raw": "NA"},
            "days",
            "too few events",
        ),
        ({"missing": "other", "raw": "NA"}, "days", "NA"),
        ({"missing": "other"}, "days", "not available"),
        ({"value": 14, "raw": "14"}, "days", "14 days"),
        ({"value": 1, "missing": None}, "weeks", "1 week"),
        ({"value": None}, "months", "not reported"),
        ({}, "percent", "not reported"),
        ({"value": 60, "qualifier": "more_than"}, "months", "more than 60 months"),
        ({"value": 30, "qualifier": "about"}, "percent", "about 30%"),
        ({"value": 5, "qualifier": "less_than"}, "count", "less than 5"),
        ({"value": 60, "qualifier": None}, "months", "60 months"),
    ],
)
def test_arm_value(value, unit, expected):
    assert fmt.arm_value(value, unit) == expected


@pytest.mark.parametrize(
    ("qualifier", "words"),
    [
        ("more_than", "more than"),
        ("less_than", "less than"),
        ("at_least", "at least"),
        ("at_most", "at most"),
        ("about", "about"),
        ("nearly", "nearly"),
    ],
)
def test_arm_value_qualifiers(qualifier, words):
    assert fmt.arm_value({"value": 24.5, "qualifier": qualifier}, "months") == (
        f"{words} 24.5 months"
    )


@pytest.mark.parametrize("qualifier", ["more_than", "at_least"])
def test_arm_value_qualifier_with_not_reached(qualifier):
    text = fmt.arm_value({"missing": "not_reached", "qualifier": qualifier}, "months")
    assert text == "not reached"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"value": 8.0, "raw": "8.0"}, "8.0 months"),  # the digits the source printed
        ({"value": 12.4, "raw": "12.40"}, "12.40 months"),
        ({"value": 8, "raw": " 8 "}, "8 months"),
        ({"value": 8.0, "raw": "8.5"}, "8 months"),  # not the same number: never shown
        ({"value": 0.001, "raw": "<0.001"}, "0.001 months"),  # not a plain number
        ({"value": 0.00001, "raw": "1e-5"}, "0.00001 months"),
        ({"value": 8.0, "raw": "NA"}, "8 months"),
        ({"value": 8.0, "raw": None}, "8 months"),
    ],
)
def test_arm_value_prints_the_sources_digits(value, expected):
    assert fmt.arm_value(value, "months") == expected


def test_arm_value_other_unit_as_the_source_gives_it():
    assert fmt.arm_value({"value": 5.2, "qualifier": "about"}, "other", "mg/dL") == (
        "about 5.2 mg/dL"
    )


# --- arm_result: a value and its spread, as a journal prints them -----------------------------


def outcome(measure="median", unit="months", dispersion=None, **extra):
    return {"measure": measure, "unit": unit, "dispersion": dispersion, **extra}


SD = {"kind": "standard_deviation", "level": None, "sides": None}
SE = {"kind": "standard_error"}
IQR = {"kind": "interquartile_range"}
RANGE = {"kind": "full_range"}
CI95 = {"kind": "confidence_interval", "level": 95, "sides": 2}


@pytest.mark.parametrize(
    ("value", "of", "expected"),
    [
        ({"value": 12.4, "spread": 3.1}, outcome("mean", "count", SD), "mean 12.4 (SD 3.1)"),
        (
            {"value": 8.0, "spread": 0.4},
            outcome("least_squares_mean", "count", SE),
            "least-squares mean 8 (SE 0.4)",
        ),
        (
            {"value": 12.4, "spread": 3.1},
            outcome("mean", "other", SD, unit_text="mg/dL"),
            "mean 12.4 mg/dL (SD 3.1)",
        ),
        (
            {"value": 27, "low": 22, "high": 31},
            outcome("median", "months", CI95),
            "median 27 months (95% CI 22 to 31)",
        ),
        (
            {"value": 14, "low": 10, "high": 21},
            outcome("median", "days", IQR),
            "median 14 days (IQR 10 to 21)",
        ),
        (
            {"value": 6, "low": 2, "high": 30},
            outcome("number", "count", RANGE),
            "6 (range 2 to 30)",
        ),
        (
            {"value": 45, "low": 40, "high": 50},
            outcome("proportion", "percent", CI95),
            "45% (95% CI 40 to 50)",
        ),
        # a missing value: said in words, and its interval (if any) carries the unit
        ({"missing": "not_reached"}, outcome("median", "days", IQR), "median not reached"),
        (
            {"missing": "not_reached", "low": 30, "bound_missing": "not_reached"},
            outcome("median", "months", CI95),
            "median not reached (95% CI 30 months to not reached)",
        ),
        (
            {"value": 27, "low": 22, "bound_missing": "not_estimable"},
            outcome("median", "months", CI95),
            "median 27 months (95% CI 22 to not estimable)",
        ),
        # a spread the value does not give, or no dispersion: the value alone
        ({"value": 12.4}, outcome("mean", "count", SD), "mean 12.4"),
        ({"value": 27, "low": 22}, outcome("median", "months", CI95), "median 27 months"),
        ({"value": 27, "low": 22, "high": 31}, outcome("median", "months"), "median 27 months"),
        ({"value": 27}, outcome("duration_unspecified", "months"), "27 months"),
        ({"value": None}, outcome("median", "months", CI95), "median not reported"),
        ({"value": 30, "qualifier": "about"}, outcome("rate_at_timepoint", "percent"), "about 30%"),
        (
            {"value": 0.85, "high": 0.9},
            outcome("geometric_mean", "count", {**CI95, "level": 97.5, "sides": 1}),
            "geometric mean 0.85 (97.5% one-sided CI up to 0.9)",
        ),
    ],
)
def test_arm_result(value, of, expected):
    assert fmt.arm_result(value, of) == expected


def test_a_unit_in_words_heads_the_column_and_a_symbol_follows_the_number():
    in_words = outcome("mean", "other", SD, unit_text="score on a scale")
    assert fmt.arm_result({"value": 12.4, "spread": 3.1}, in_words) == "mean 12.4 (SD 3.1)"
    assert fmt.results_unit(in_words) == "score on a scale"
    symbol = outcome("mean", "other", SD, unit_text="mg/dL")
    assert fmt.arm_result({"value": 12.4, "spread": 3.1}, symbol) == "mean 12.4 mg/dL (SD 3.1)"
    assert fmt.results_unit(symbol) == ""
    assert fmt.results_unit(outcome("median", "days")) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"missing": "not_reached", "missing_text": "fewer than half resolved"},
            "fewer than half resolved",
        ),
        ({"missing": "other", "missing_text": "too few events"}, ""),  # it is the value's text
        ({"missing": "not_reached"}, ""),
        ({"value": 3, "missing_text": None}, ""),
    ],
)
def test_source_wording(value, expected):
    assert fmt.source_wording(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"participants": 120}, "120 participants analysed"),
        ({"participants": 1}, "1 participant analysed"),
        ({}, ""),
    ],
)
def test_participants(value, expected):
    assert fmt.participants(value) == expected


# --- p_value, significance, comparison_estimate ---------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ({"p_value": 0.001, "p_value_comparator": "<"}, "p < 0.001"),
        ({"p_value": 0.03, "p_value_comparator": "="}, "p = 0.03"),
        ({"p_value": 0.03, "p_value_comparator": None}, "p = 0.03"),
        ({"p_value": 0.05, "p_value_comparator": "<="}, "p ≤ 0.05"),
        ({"p_value": 0.2, "p_value_comparator": ">"}, "p > 0.2"),
        ({"p_value": 0.2, "p_value_comparator": ">="}, "p ≥ 0.2"),
        ({"p_value": 0.03}, "p = 0.03"),
        ({"p_value": 0.050}, "p = 0.05"),
        ({"p_value": 1}, "p = 1"),
        ({"p_value": 1.0}, "p = 1"),
        ({"p_value": 1e-05, "p_value_comparator": "<"}, "p < 0.00001"),  # never 1e-05
        ({"p_value": 1e-10}, "p = 0.0000000001"),
        ({"p_value": 3.2e-7, "p_value_comparator": "="}, "p = 0.00000032"),
        ({"p_value": None, "p_value_comparator": "<"}, ""),
        # the source's own text wins over the parsed number; only its spacing is evened out
        ({"p_value": 0.001, "p_value_comparator": "<", "p_value_text": "<0.001"}, "p < 0.001"),
        ({"p_value": 0.001, "p_value_comparator": "<", "p_value_text": "<.001"}, "p < .001"),
        ({"p_value": 0.04, "p_value_text": "0.04"}, "p = 0.04"),
        ({"p_value": 0.04, "p_value_text": ".040"}, "p = .040"),
        ({"p_value": 0.001, "p_value_text": "P<0.001"}, "P<0.001"),
        ({"p_value": 0.05, "p_value_text": "≤ 0.05"}, "p ≤ 0.05"),
        ({"p_value_text": "NS"}, "NS"),
        ({"p_value": 0.03, "p_value_text": ""}, "p = 0.03"),
        ({"p_value": None}, ""),
        ({}, ""),
    ],
)
def test_p_value(comparison, expected):
    assert fmt.p_value(comparison) == expected


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ({"significant": True}, "statistically significant"),
        ({"significant": False}, "not statistically significant"),
        ({"significant": None}, ""),
        ({}, ""),
    ],
)
def test_significance(comparison, expected):
    assert fmt.significance(comparison) == expected


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ({"estimate": 0.48}, "0.48"),
        ({"estimate": 0.48, "unit": "ratio"}, "0.48"),
        ({"estimate": 0.48, "unit": None}, "0.48"),
        ({"estimate": 1.0, "unit": "ratio"}, "1"),
        ({"estimate": 25, "unit": "percent"}, "25%"),
        ({"estimate": -8.5, "unit": "months"}, "-8.5 months"),
        ({"estimate": 12, "unit": "percentage_points"}, "12 percentage points"),
        ({"estimate": 0.5, "qualifier": "less_than"}, "less than 0.5"),
        (
            {"estimate": 12, "unit": "percentage_points", "qualifier": "about"},
            "about 12 percentage points",
        ),
        ({"estimate": 0, "unit": "percentage_points"}, "0 percentage points"),
        ({"estimate": None, "p_value": 0.01}, "not reported"),
        ({}, "not reported"),
        ({"estimate": -3, "unit": "days"}, "-3 days"),
        ({"estimate": 2.1, "unit": "other", "unit_text": "mg/dL"}, "2.1 mg/dL"),
        # a difference the source states without a number: only whether it was significant
        (
            {"kind": "not_stated", "estimate": None, "significant": True},
            "statistically significant difference (the source gives no number)",
        ),
        (
            {"kind": "not_stated", "significant": False},
            "no statistically significant difference",
        ),
        ({"kind": "not_stated", "significant": None}, "no number given"),
        ({"kind": "not_stated", "estimate": 4, "unit": "months"}, "4 months"),
    ],
)
def test_comparison_estimate(comparison, expected):
    assert fmt.comparison_estimate(comparison) == expected


def test_a_comparison_without_a_number_says_its_significance_once():
    comparison = {"kind": "not_stated", "estimate": None, "significant": True, "p_value": 0.01}
    assert fmt.significance(comparison) == ""
    assert fmt.comparison_result(comparison) == (
        "statistically significant difference (the source gives no number)"
    )
    assert fmt.comparison_name(comparison) == "Difference (measure not stated)"


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        (
            {
                "kind": "hazard_ratio",
                "estimate": 0.48,
                "ci_low": 0.36,
                "ci_high": 0.63,
                "ci_level": 95,
            },
            "0.48 (95% CI 0.36 to 0.63)",
        ),
        (
            {
                "kind": "difference_in_means",
                "estimate": -1.2,
                "unit": "other",
                "unit_text": "points",
                "ci_low": -2,
                "ci_high": -0.4,
                "ci_level": 95,
            },
            "-1.2 points (95% CI -2 to -0.4)",
        ),
        (
            {
                "kind": "risk_ratio",
                "estimate": 0.7,
                "ci_high": 0.85,
                "ci_level": 97.5,
                "ci_sides": 1,
            },
            "0.7 (97.5% one-sided CI up to 0.85)",
        ),
        ({"kind": "odds_ratio", "estimate": 1.3}, "1.3"),
    ],
)
def test_comparison_result(comparison, expected):
    assert fmt.comparison_result(comparison) == expected


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ({"kind": "hazard_ratio"}, "Hazard ratio"),
        ({"kind": "difference_in_medians"}, "Difference in medians"),
        ({"kind": "other", "kind_label": "win ratio"}, "Win ratio"),
        ({"kind": "other", "kind_label": None}, "Other measure"),
        ({"kind": "hazard_ratio", "kind_label": "HR"}, "Hazard ratio"),
    ],
)
def test_comparison_name(comparison, expected):
    assert fmt.comparison_name(comparison) == expected


# --- outcome_heading, design_summary, enrollment ----------------------------------------------


def MONTHS(value):  # noqa: N802 - reads like the unit it stands for
    return {"value": value, "unit": "months"}


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ({"endpoint": "pfs"}, "Progression-free survival"),
        ({"endpoint": "ttp", "timepoint": None}, "Time to progression"),
        ({"endpoint": "os", "timepoint": MONTHS(36)}, "Overall survival at 36 months"),
        ({"endpoint": "os", "timepoint": MONTHS(36.0)}, "Overall survival at 36 months"),
        ({"endpoint": "pfs", "timepoint": MONTHS(0.5)}, "Progression-free survival at 0.5 months"),
        (
            {"endpoint": "os", "timepoint": {"value": 3, "unit": "years"}},
            "Overall survival at 3 years",
        ),
        (
            {"endpoint": "orr", "timepoint": {"value": 12, "unit": "weeks"}},
            "Overall response at 12 weeks",
        ),
        (
            {"endpoint": "other", "endpoint_label": "BASDAI50 response", "title": "BASDAI 50"},
            "BASDAI50 response",
        ),
        ({"endpoint": "other", "title": "BASDAI 50"}, "Other endpoint"),
        # no endpoint code: the source's own title names the outcome
        (
            {
                "endpoint": None,
                "title": "Days to symptom resolution",
                "timepoint": {"value": 28, "unit": "days"},
            },
            "Days to symptom resolution at 28 days",
        ),
        ({"endpoint": "cr", "treatment_phase": "maintenance"}, "Complete response (maintenance)"),
        (
            {"endpoint": "pfs", "timepoint": MONTHS(24), "treatment_phase": "continuous"},
            "Progression-free survival at 24 months (continuous treatment)",
        ),
        (
            {"endpoint": "second_primary_malignancy", "treatment_phase": None},
            "Second primary malignancies",
        ),
        ({"endpoint": "mrd_conversion"}, "MRD conversion"),
        ({"endpoint": "not-a-known-endpoint"}, "not-a-known-endpoint"),
    ],
)
def test_outcome_heading(outcome, expected):
    assert fmt.outcome_heading(outcome) == expected


def test_outcome_heading_singular_month():
    assert fmt.outcome_heading({"endpoint": "os", "timepoint": MONTHS(1)}) == (
        "Overall survival at 1 month"
    )


def test_outcome_title_is_shown_beside_a_coded_endpoint_only():
    assert fmt.outcome_title({"endpoint": "pfs", "title": "Median PFS"}) == "Median PFS"
    assert fmt.outcome_title({"endpoint": None, "title": "Median PFS"}) == ""  # the heading
    assert fmt.outcome_title({"endpoint": "pfs", "title": "progression-free survival"}) == ""


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [({"type": "primary"}, "Primary outcome"), ({"type": "other"}, "Other outcome"), ({}, "")],
)
def test_outcome_type(outcome, expected):
    assert fmt.outcome_type(outcome) == expected


@pytest.mark.parametrize(
    ("trial", "expected"),
    [
        (
            {
                "phases": ["3"],
                "design": {
                    "allocation": "randomised",
                    "masking": "none",
                    "placebo_controlled": False,
                    "multicentre": True,
                    "international": None,
                },
            },
            "Phase 3, randomised, open-label, multicentre",
        ),
        (
            {
                "design": {
                    "allocation": "randomised",
                    "masking": "double",
                    "masked_roles": ["participant", "investigator"],
                    "placebo_controlled": True,
                    "multicentre": True,
                    "international": True,
                }
            },
            "Randomised, double-blind (participants, investigators), placebo-controlled, "
            "multicentre, international",
        ),
        (
            {"phases": ["2", "3"], "design": {"allocation": "randomised", "model": "parallel"}},
            "Phase 2 and phase 3, randomised, parallel groups",
        ),
        ({"phases": ["1/2"]}, "Phase 1/2"),
        ({"phases": ["1", "2", "3"]}, "Phase 1, phase 2 and phase 3"),
        ({"phases": ["2"], "design": {"allocation": "non_randomised"}}, "Phase 2, non-randomised"),
        ({"design": {"allocation": "non_randomised"}}, "Non-randomised"),
        ({"design": {"masking": "single"}}, "Single-blind"),
        # open label: no one is masked, whatever roles are listed
        ({"design": {"masking": "none", "masked_roles": ["participant"]}}, "Open-label"),
        ({"design": {"masking": "quadruple", "masked_roles": []}}, "Quadruple-blind"),
        (
            {
                "design": {
                    "masking": "triple",
                    "masked_roles": ["participant", "care_provider", "outcomes_assessor"],
                }
            },
            "Triple-blind (participants, care providers, outcome assessors)",
        ),
        ({"design": {"masked_roles": ["outcomes_assessor"]}}, "Blinded (outcome assessors)"),
        ({"design": {"model": "crossover"}}, "Crossover"),
        ({"design": {"international": True}}, "International"),
        ({"phases": [], "design": {"allocation": None, "masking": None}}, None),
        ({"design": None}, None),
        ({"design": {}}, None),
        ({}, None),
    ],
)
def test_design_summary(trial, expected):
    assert facts.design_summary(trial) == (expected or "Design not stated in the source")


@pytest.mark.parametrize(
    ("trial", "expected"),
    [
        ({"enrollment": 614}, "614 patients"),
        ({"enrollment": 1917, "enrollment_qualifier": None}, "1917 patients"),
        ({"enrollment": 500, "enrollment_qualifier": "more_than"}, "more than 500 patients"),
        ({"enrollment": 460, "enrollment_qualifier": "about"}, "about 460 patients"),
        ({"enrollment": 0}, "0 patients"),
        ({"enrollment": 300, "enrollment_type": "anticipated"}, "300 patients (anticipated)"),
        ({"enrollment": 300, "enrollment_type": "actual"}, "300 patients"),
        ({"enrollment": None, "enrollment_qualifier": "more_than"}, ""),
        ({}, ""),
    ],
)
def test_enrollment(trial, expected):
    assert facts.enrollment(trial) == expected


# --- setting, conditions, dates, sources -----------------------------------------------------


@pytest.mark.parametrize(
    ("trial", "setting", "detail"),
    [
        (
            {"setting": "post_autologous_transplant", "setting_text": None},
            "After autologous stem-cell transplant",
            "",
        ),
        (
            {"setting": "post_autologous_transplant", "setting_text": "After ASCT, in remission"},
            "After autologous stem-cell transplant",
            "After ASCT, in remission",
        ),
        ({"setting": None, "setting_text": "Outpatients with flu"}, "Outpatients with flu", ""),
        ({"setting": "other", "setting_text": "Outpatients with flu"}, "Outpatients with flu", ""),
        ({"setting": "other", "setting_text": None}, "Other setting", ""),
        ({"setting": None, "setting_text": None}, "", ""),
        ({}, "", ""),
    ],
)
def test_setting_in_words(trial, setting, detail):
    assert facts.setting_text(trial) == setting
    assert facts.setting_detail(trial) == detail


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"text": "Multiple myeloma"}, "Multiple myeloma"),
        (
            {"text": "Multiple myeloma", "code": "C90.0", "system": "ICD-10"},
            "Multiple myeloma (ICD-10 C90.0)",
        ),
        ({"text": "Myeloma", "code": "D009101", "system": "MeSH"}, "Myeloma (MeSH D009101)"),
        ({"text": "Myeloma", "code": "X1", "system": "other"}, "Myeloma (X1)"),
        ({"text": "Myeloma", "code": "X1", "system": None}, "Myeloma (X1)"),
        ({"text": "Myeloma", "code": None, "system": "MeSH"}, "Myeloma"),
    ],
)
def test_condition_text(condition, expected):
    assert facts.condition_text(condition) == expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ({"date": "2005"}, "2005"),
        ({"date": "2005-06"}, "June 2005"),
        ({"date": "2005-06-01", "type": "actual"}, "1 June 2005"),
        ({"date": "2031-12", "type": "anticipated"}, "December 2031 (anticipated)"),
        (None, ""),
    ],
)
def test_partial_date(date, expected):
    assert facts.partial_date(date) == expected


def test_dates_text():
    trial = {
        "dates": {
            "start": {"date": "2005-06", "type": "actual"},
            "primary_completion": None,
            "completion": {"date": "2012", "type": None},
        }
    }
    assert facts.dates_text(trial) == "Started June 2005; completed 2012"
    assert facts.dates_text({"dates": {}}) == ""
    assert facts.dates_text({}) == ""


@pytest.mark.parametrize(
    ("source", "text", "refs"),
    [
        ({"citation": "attal-2012", "page": "1785"}, "p. 1785", ["attal-2012"]),
        (
            {"registry": "NCT", "registry_id": "NCT00430365", "pointer": "/resultsSection"},
            "NCT00430365",
            [],
        ),
        ({"citation": "attal-2012", "quote": "median 41 months"}, "", ["attal-2012"]),
        (None, "", []),
    ],
)
def test_source(source, text, refs):
    assert fmt.source_text(source) == text
    assert fmt.source_refs(source) == refs


# --- scalar_text, safe_href, readable_time ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "(none)"),
        (True, "yes"),  # a bool is an int in Python: never "1" or "True"
        (False, "no"),
        (0, "0"),
        (53, "53"),
        (53.0, "53"),
        (0.48, "0.48"),
        (1e-05, "0.00001"),
        (-2.5, "-2.5"),
        ("open_label", "open_label"),
        ("", ""),
        ([], "(none)"),
        (["lenalidomide", "thalidomide"], "lenalidomide, thalidomide"),
        ([1, 2.50, None, True], "1, 2.5, (none), yes"),
    ],
)
def test_scalar_text(value, expected):
    assert fmt.scalar_text(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://doi.org/10.1056/NEJMoa1114138", "https://doi.org/10.1056/NEJMoa1114138"),
        ("http://example.org/a?b=c&d=e", "http://example.org/a?b=c&d=e"),
        ("HTTPS://EXAMPLE.ORG/", "HTTPS://EXAMPLE.ORG/"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("//evil.example/", None),
        ("ftp://example.org/file", None),
        (" https://example.org/", None),
        ("https:example.org", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_safe_href(url, expected):
    assert fmt.safe_href(url) == expected


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-11-23T19:47:45.459809Z", "23 Nov 2026, 19:47 UTC"),
        ("2026-01-05T03:04:00Z", "5 Jan 2026, 03:04 UTC"),  # no leading zero on the day
        ("2026-01-05T03:04:59.999999Z", "5 Jan 2026, 03:04 UTC"),  # minutes are not rounded
        ("2026-12-31T23:59:00+00:00", "31 Dec 2026, 23:59 UTC"),
        ("2024-02-29T00:00:00Z", "29 Feb 2024, 00:00 UTC"),
        (None, ""),
        ("", ""),
    ],
)
def test_readable_time(timestamp, expected):
    assert fmt.readable_time(timestamp) == expected


def test_readable_time_converts_an_offset_to_utc():
    assert fmt.readable_time("2026-01-05T03:04:00+01:00") == "5 Jan 2026, 02:04 UTC"


# --- labels: every value the document schema allows has reader words --------------------------


def literal_values(annotation) -> set[str]:
    """The strings of a ``Literal[...]`` (or ``Literal[...] | None``) annotation."""
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(literal_values(arg) for arg in typing.get_args(annotation)))
    return set()


@pytest.mark.parametrize(
    ("labels", "allowed"),
    [
        (fmt.QUALIFIERS, literal_values(documents.Qualifier)),
        (fmt.SETTINGS, literal_values(documents.TrialSetting)),
        (fmt.ROLES, literal_values(documents.Arm.model_fields["role"].annotation)),
        (fmt.MASKING, literal_values(documents.Design.model_fields["masking"].annotation)),
        (fmt.MASKED_ROLES, literal_values(documents.MaskedRole)),
        (fmt.MISSING, literal_values(documents.MissingReason)),
        (fmt.DISPERSIONS, literal_values(documents.DispersionKind)),
        (fmt.OUTCOME_TYPES, literal_values(documents.OutcomeType)),
        (fmt.MEASURES, literal_values(documents.Measure)),
        (fmt.COMPARISONS, literal_values(documents.ComparisonKind)),
        (fmt.PHASES, literal_values(documents.TreatmentPhase)),
        (fmt.CONDUCT, literal_values(documents.ConductNote.model_fields["kind"].annotation)),
        (documents.ENDPOINT_LABELS, literal_values(documents.Endpoint)),
    ],
    ids=[
        "qualifiers",
        "settings",
        "roles",
        "masking",
        "masked roles",
        "missing reasons",
        "dispersions",
        "outcome types",
        "measures",
        "comparisons",
        "phases",
        "conduct",
        "endpoints",
    ],
)
def test_every_schema_value_has_a_label(labels, allowed):
    assert allowed, "no Literal values found: the schema changed shape"
    assert set(labels) == allowed
    assert all(isinstance(words, str) and words.strip() for words in labels.values())
