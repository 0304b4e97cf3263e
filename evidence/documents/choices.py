"""The controlled vocabularies of documents (``Literal`` types) and ``literal_values``, the
one way to read the allowed values back out of a ``Literal``.

Filters, forms and published pages take their choices from here, so they accept and show
exactly what documents may hold; what each value is called is in ``vocabulary``. The values
are stored in documents and published: renaming one is a data migration, not a refactoring.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

# --- Shared -----------------------------------------------------------------------------------

# How the source qualifies a number: "more than 500 patients", "nearly doubled".
Qualifier = Literal["more_than", "less_than", "at_least", "at_most", "about", "nearly"]

FindingKind = Literal[
    "efficacy",
    "survival",
    "safety",
    "cost",
    "conduct",
    "regulatory",
    "conclusion",
    "background",
]

# --- Trials -----------------------------------------------------------------------------------

# Schema version 1 only (kept for the upcaster and its tests): the design's blinding and the
# p-value qualifier became the masking and the p-value comparator in version 2.
Blinding = Literal["open_label", "single_blind", "double_blind"]
PValueQualifier = Literal["less_than", "equal"]

Registry = Literal["NCT", "ISRCTN", "EudraCT", "other"]
TrialPhase = Literal["early_1", "1", "1/2", "2", "2/3", "3", "4", "not_applicable"]
Allocation = Literal["randomised", "non_randomised", "not_applicable"]
Masking = Literal["none", "single", "double", "triple", "quadruple"]
MaskedRole = Literal["participant", "care_provider", "investigator", "outcomes_assessor"]
DesignModel = Literal["parallel", "crossover", "factorial", "single_group", "sequential", "other"]
CodingSystem = Literal["MeSH", "ICD-10", "ICD-11", "SNOMED-CT", "MedDRA", "other"]
DateType = Literal["actual", "anticipated"]
ConductNoteKind = Literal["unblinding", "crossover", "early_stop", "follow_up", "other"]
TreatmentPhase = Literal["induction", "transplant", "consolidation", "maintenance", "continuous"]
ArmRole = Literal[
    "experimental",
    "control",
    "placebo",
    "observation",
    "active_comparator",
    "sham_comparator",
    "no_intervention",
    "other",
]

# Outcomes: what was measured, how, in what unit, and how the values spread.
OutcomeType = Literal["primary", "secondary", "other"]
Endpoint = Literal[
    "pfs",
    "os",
    "ttp",
    "cr",
    "orr",
    "mrd_conversion",
    "second_primary_malignancy",
    "treatment_related_death",
    "adverse_events",
    "progression",
    "other",
]
Measure = Literal[
    "median",
    "mean",
    "least_squares_mean",
    "geometric_mean",
    "number",
    "count_of_participants",
    "event_count",
    "proportion",
    "rate_at_timepoint",
    "duration_unspecified",
]
TimeUnit = Literal["days", "weeks", "months", "years"]
TIME_UNITS = ("days", "weeks", "months", "years")
OutcomeUnit = Literal["percent", "count", "days", "weeks", "months", "years", "other"]
DispersionKind = Literal[
    "standard_deviation",
    "standard_error",
    "interquartile_range",
    "full_range",
    "confidence_interval",
]
# Why an arm has no number: the source's wording goes beside it, in ``missing_text``.
MissingReason = Literal[
    "not_reached", "not_estimable", "below_limit_of_quantification", "not_reported", "other"
]
# A one- or two-sided interval or test.
Sides = Literal[1, 2]

ComparisonKind = Literal[
    "hazard_ratio",
    "odds_ratio",
    "risk_ratio",
    "relative_risk_reduction",
    "absolute_difference",
    "difference_in_means",
    "difference_in_medians",
    "not_stated",
    "other",
]
ComparisonUnit = Literal[
    "ratio", "percent", "percentage_points", "days", "weeks", "months", "years", "other"
]
# As a p-value is written: "p < 0.001", "p = 0.04".
PValueComparator = Literal["<", "<=", "=", ">", ">="]

TrialSetting = Literal[
    "post_autologous_transplant",
    "post_allogeneic_transplant",
    "transplant_ineligible",
    "newly_diagnosed_mixed",
    "induction_and_maintenance",
    "relapsed",
    "other",
]

# --- Citations --------------------------------------------------------------------------------

CitationKind = Literal[
    "article", "abstract", "editorial", "regulatory_notice", "presentation", "web_page", "other"
]


# --- Reading choices back ---------------------------------------------------------------------


def literal_values(source: Any, field: str | None = None) -> list[str]:
    """The allowed strings of a ``Literal`` type, in the order it declares them.

    ``source`` is a ``Literal`` (also inside a union such as ``Literal[...] | None``, which is
    unwrapped), or, with ``field``, a document model whose field's annotation is read:
    ``literal_values(TrialSetting)``, ``literal_values(TrialDocument, "phase")``.
    """
    annotation = source.model_fields[field].annotation if field is not None else source
    found: list[str] = []

    def walk(annotation: Any) -> None:
        if typing.get_origin(annotation) is typing.Literal:
            found.extend(str(v) for v in typing.get_args(annotation))
        else:
            for arg in typing.get_args(annotation):
                walk(arg)

    walk(annotation)
    return found
