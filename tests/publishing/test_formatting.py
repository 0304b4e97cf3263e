"""Unit tests of ``publishing.formatting``: the exact words and numbers readers see.

Pure functions, no database. Expected strings are what a medical reader should read.
"""

from __future__ import annotations

import types
import typing

import pytest

from evidence import documents
from publishing import formatting as fmt

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
    ],
)
def test_with_unit(value, unit, expected):
    assert fmt.with_unit(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1, "months", "1 month"),
        (1.0, "months", "1 month"),
        (1, "percentage_points", "1 percentage point"),
    ],
)
def test_with_unit_singular(value, unit, expected):
    assert fmt.with_unit(value, unit) == expected


# --- interval -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "unit", "expected"),
    [
        ({"ci_low": 0.36, "ci_high": 0.63, "ci_level": 95}, "ratio", "95% CI 0.36 to 0.63"),
        ({"ci_low": 0.36, "ci_high": 0.63}, "ratio", "CI 0.36 to 0.63"),
        ({"ci_low": 0.36, "ci_high": 0.63, "ci_level": None}, "ratio", "CI 0.36 to 0.63"),
        ({"ci_low": 0.4, "ci_high": 1.0, "ci_level": 95.0}, "ratio", "95% CI 0.4 to 1"),
        ({"ci_low": 0.5, "ci_high": 2, "ci_level": 97.5}, "ratio", "97.5% CI 0.5 to 2"),
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
def test_interval(item, unit, expected):
    assert fmt.interval(item, unit) == expected


# --- arm_value ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ({"value": 53}, "months", "53 months"),
        ({"value": 53.0, "not_reached": False}, "months", "53 months"),
        ({"value": 38.9}, "months", "38.9 months"),
        ({"value": 0}, "months", "0 months"),
        ({"value": 45.5}, "percent", "45.5%"),
        ({"value": 0.5}, "percent", "0.5%"),
        ({"value": 12}, "count", "12"),
        ({"value": None, "not_reached": True}, "months", "not reached"),
        ({"not_reached": True}, "months", "not reached"),
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
    text = fmt.arm_value({"not_reached": True, "qualifier": qualifier}, "months")
    assert text == "not reached"


# --- p_value, significance, comparison_estimate ---------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ({"p_value": 0.001, "p_value_qualifier": "less_than"}, "p < 0.001"),
        ({"p_value": 0.03, "p_value_qualifier": "equal"}, "p = 0.03"),
        ({"p_value": 0.03, "p_value_qualifier": None}, "p = 0.03"),
        ({"p_value": 0.03}, "p = 0.03"),
        ({"p_value": 0.050}, "p = 0.05"),
        ({"p_value": 1}, "p = 1"),
        ({"p_value": 1.0}, "p = 1"),
        ({"p_value": 1e-05, "p_value_qualifier": "less_than"}, "p < 0.00001"),  # never 1e-05
        ({"p_value": 1e-10}, "p = 0.0000000001"),
        ({"p_value": 3.2e-7, "p_value_qualifier": "equal"}, "p = 0.00000032"),
        ({"p_value": None, "p_value_qualifier": "less_than"}, ""),
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
    ],
)
def test_comparison_estimate(comparison, expected):
    assert fmt.comparison_estimate(comparison) == expected


# --- outcome_heading, design_summary, enrollment ----------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ({"endpoint": "pfs"}, "Progression-free survival"),
        ({"endpoint": "ttp", "timepoint_months": None}, "Time to progression"),
        ({"endpoint": "os", "timepoint_months": 36}, "Overall survival at 36 months"),
        ({"endpoint": "os", "timepoint_months": 36.0}, "Overall survival at 36 months"),
        ({"endpoint": "pfs", "timepoint_months": 0.5}, "Progression-free survival at 0.5 months"),
        ({"endpoint": "cr", "treatment_phase": "maintenance"}, "Complete response (maintenance)"),
        (
            {"endpoint": "pfs", "timepoint_months": 24, "treatment_phase": "continuous"},
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
    assert fmt.outcome_heading({"endpoint": "os", "timepoint_months": 1}) == (
        "Overall survival at 1 month"
    )


@pytest.mark.parametrize(
    ("trial", "expected"),
    [
        (
            {
                "phase": "3",
                "design": {
                    "randomised": True,
                    "blinding": "open_label",
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
                    "randomised": True,
                    "blinding": "double_blind",
                    "placebo_controlled": True,
                    "multicentre": True,
                    "international": True,
                }
            },
            "Randomised, double-blind, placebo-controlled, multicentre, international",
        ),
        ({"phase": "1/2"}, "Phase 1/2"),
        ({"phase": "2", "design": {"randomised": False}}, "Phase 2, not randomised"),
        ({"design": {"randomised": False}}, "Not randomised"),
        ({"design": {"blinding": "single_blind"}}, "Single-blind"),
        ({"design": {"international": True}}, "International"),
        ({"phase": None, "design": {"randomised": None, "blinding": None}}, None),
        ({"design": None}, None),
        ({"design": {}}, None),
        ({}, None),
    ],
)
def test_design_summary(trial, expected):
    assert fmt.design_summary(trial) == (expected or "Design not stated in the source")


@pytest.mark.parametrize(
    ("trial", "expected"),
    [
        ({"enrollment": 614}, "614 patients"),
        ({"enrollment": 1917, "enrollment_qualifier": None}, "1917 patients"),
        ({"enrollment": 500, "enrollment_qualifier": "more_than"}, "more than 500 patients"),
        ({"enrollment": 460, "enrollment_qualifier": "about"}, "about 460 patients"),
        ({"enrollment": 0}, "0 patients"),
        ({"enrollment": None, "enrollment_qualifier": "more_than"}, ""),
        ({}, ""),
    ],
)
def test_enrollment(trial, expected):
    assert fmt.enrollment(trial) == expected


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
        (fmt.BLINDING, literal_values(documents.Design.model_fields["blinding"].annotation)),
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
        "blinding",
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
