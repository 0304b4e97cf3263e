"""What readers and editors call each value of a controlled vocabulary: one table per
``Literal`` type of ``choices``, value -> the words the published pages use for it.

Pages print a label as it is ("open-label", "number of events", "Progression-free
survival"); the admin's drop-downs show the same words with a capital first letter
(``capitalised``). No other module spells a value out, so a value reads the same everywhere.
``VOCABULARIES`` pairs each ``Literal`` with its table (a test checks that every value has
exactly one label) and ``labels_of`` finds the table of a document field.

The labels are published: changing one changes published pages, which is a deliberate change
to the output (the frozen snapshot's expected hashes are updated, with the reason), not a
refactoring. Renaming a value is a data migration.
"""

from __future__ import annotations

from typing import Any

from . import choices as c

# --- Shared -----------------------------------------------------------------------------------

QUALIFIER_LABELS = {
    "more_than": "more than",
    "less_than": "less than",
    "at_least": "at least",
    "at_most": "at most",
    "about": "about",
    "nearly": "nearly",
}
FINDING_KIND_LABELS = {
    "efficacy": "efficacy",
    "survival": "survival",
    "safety": "safety",
    "cost": "cost",
    "conduct": "conduct",
    "regulatory": "regulatory",
    "conclusion": "conclusion",
    "background": "background",
}

# --- Trials -----------------------------------------------------------------------------------

REGISTRY_LABELS = {"NCT": "NCT", "ISRCTN": "ISRCTN", "EudraCT": "EudraCT", "other": "other"}
# Schema version 1's blinding, as the masking it became: "open-label".
BLINDING_LABELS = {
    "open_label": "open-label",
    "single_blind": "single-blind",
    "double_blind": "double-blind",
}
P_VALUE_QUALIFIER_LABELS = {"less_than": "<", "equal": "="}
TRIAL_PHASE_LABELS = {
    "early_1": "early phase 1",
    "1": "phase 1",
    "1/2": "phase 1/2",
    "2": "phase 2",
    "2/3": "phase 2/3",
    "3": "phase 3",
    "4": "phase 4",
    "not_applicable": "phase not applicable",
}
ALLOCATION_LABELS = {
    "randomised": "randomised",
    "non_randomised": "non-randomised",
    "not_applicable": "allocation not applicable",
}
MASKING_LABELS = {
    "none": "open-label",
    "single": "single-blind",
    "double": "double-blind",
    "triple": "triple-blind",
    "quadruple": "quadruple-blind",
}
MASKED_ROLE_LABELS = {
    "participant": "participants",
    "care_provider": "care providers",
    "investigator": "investigators",
    "outcomes_assessor": "outcome assessors",
}
DESIGN_MODEL_LABELS = {
    "parallel": "parallel groups",
    "crossover": "crossover",
    "factorial": "factorial",
    "single_group": "single group",
    "sequential": "sequential",
    "other": "other design",
}
CODING_SYSTEM_LABELS = {
    "MeSH": "MeSH",
    "ICD-10": "ICD-10",
    "ICD-11": "ICD-11",
    "SNOMED-CT": "SNOMED CT",
    "MedDRA": "MedDRA",
    "other": "other",
}
DATE_TYPE_LABELS = {"actual": "actual", "anticipated": "anticipated"}
CONDUCT_NOTE_LABELS = {
    "unblinding": "Unblinding",
    "crossover": "Crossover",
    "early_stop": "Early stop",
    "follow_up": "Follow-up",
    "other": "Note",
}
TREATMENT_PHASE_LABELS = {
    "induction": "induction",
    "transplant": "transplant",
    "consolidation": "consolidation",
    "maintenance": "maintenance",
    "continuous": "continuous treatment",
}
ARM_ROLE_LABELS = {
    "experimental": "Experimental",
    "control": "Control",
    "placebo": "Placebo",
    "observation": "Observation (no maintenance)",
    "active_comparator": "Active comparator",
    "sham_comparator": "Sham comparator",
    "no_intervention": "No intervention",
    "other": "Other",
}
COMPARISON_LABELS = {
    "hazard_ratio": "Hazard ratio",
    "odds_ratio": "Odds ratio",
    "risk_ratio": "Risk ratio",
    "relative_risk_reduction": "Relative risk reduction",
    "absolute_difference": "Absolute difference",
    "difference_in_means": "Difference in means",
    "difference_in_medians": "Difference in medians",
    "not_stated": "Difference (measure not stated)",
    "other": "Other measure",
}
COMPARISON_UNIT_LABELS = {
    "ratio": "ratio",
    "percent": "percent",
    "percentage_points": "percentage points",
    "days": "days",
    "weeks": "weeks",
    "months": "months",
    "years": "years",
    "other": "other unit",
}
# As a p-value is written: "p < 0.001", "p = 0.04".
P_VALUE_COMPARATOR_LABELS = {"<": "<", "<=": "≤", "=": "=", ">": ">", ">=": "≥"}
OUTCOME_TYPE_LABELS = {"primary": "primary", "secondary": "secondary", "other": "other"}
ENDPOINT_LABELS = {
    "pfs": "Progression-free survival",
    "os": "Overall survival",
    "ttp": "Time to progression",
    "cr": "Complete response",
    "orr": "Overall response",
    "mrd_conversion": "MRD conversion",
    "second_primary_malignancy": "Second primary malignancies",
    "treatment_related_death": "Treatment-related deaths",
    "adverse_events": "Adverse events",
    "progression": "Disease progression",
    "other": "Other endpoint",
}
MEASURE_LABELS = {
    "median": "median",
    "mean": "mean",
    "least_squares_mean": "least-squares mean",
    "geometric_mean": "geometric mean",
    "number": "number",
    "count_of_participants": "number of participants",
    "event_count": "number of events",
    "proportion": "proportion",
    "rate_at_timepoint": "rate",
    "duration_unspecified": "duration",
}
TIME_UNIT_LABELS = {"days": "days", "weeks": "weeks", "months": "months", "years": "years"}
OUTCOME_UNIT_LABELS = {
    "percent": "percent",
    "count": "count",
    "days": "days",
    "weeks": "weeks",
    "months": "months",
    "years": "years",
    "other": "other unit",
}
DISPERSION_LABELS = {
    "standard_deviation": "SD",
    "standard_error": "SE",
    "interquartile_range": "IQR",
    "full_range": "range",
    "confidence_interval": "CI",
}
MISSING_REASON_LABELS = {
    "not_reached": "not reached",
    "not_estimable": "not estimable",
    "below_limit_of_quantification": "below the limit of quantification",
    "not_reported": "not reported",
    "other": "not available",
}
SIDES_LABELS = {"1": "one-sided", "2": "two-sided"}
SETTING_LABELS = {
    "post_autologous_transplant": "After autologous stem-cell transplant",
    "post_allogeneic_transplant": "After allogeneic stem-cell transplant",
    "transplant_ineligible": "Patients not eligible for a transplant",
    "newly_diagnosed_mixed": "Newly diagnosed patients",
    "induction_and_maintenance": "Induction and maintenance",
    "relapsed": "Relapsed disease",
    "other": "Other setting",
}

# --- Citations --------------------------------------------------------------------------------

CITATION_KIND_LABELS = {
    "article": "article",
    "abstract": "abstract",
    "editorial": "editorial",
    "regulatory_notice": "regulatory notice",
    "presentation": "presentation",
    "web_page": "web page",
    "other": "other",
}

# Every controlled vocabulary of ``choices`` and its labels.
VOCABULARIES: dict[Any, dict[str, str]] = {
    c.Qualifier: QUALIFIER_LABELS,
    c.FindingKind: FINDING_KIND_LABELS,
    c.Registry: REGISTRY_LABELS,
    c.Blinding: BLINDING_LABELS,
    c.PValueQualifier: P_VALUE_QUALIFIER_LABELS,
    c.TrialPhase: TRIAL_PHASE_LABELS,
    c.Allocation: ALLOCATION_LABELS,
    c.Masking: MASKING_LABELS,
    c.MaskedRole: MASKED_ROLE_LABELS,
    c.DesignModel: DESIGN_MODEL_LABELS,
    c.CodingSystem: CODING_SYSTEM_LABELS,
    c.DateType: DATE_TYPE_LABELS,
    c.ConductNoteKind: CONDUCT_NOTE_LABELS,
    c.TreatmentPhase: TREATMENT_PHASE_LABELS,
    c.ArmRole: ARM_ROLE_LABELS,
    c.ComparisonKind: COMPARISON_LABELS,
    c.ComparisonUnit: COMPARISON_UNIT_LABELS,
    c.PValueComparator: P_VALUE_COMPARATOR_LABELS,
    c.OutcomeType: OUTCOME_TYPE_LABELS,
    c.Endpoint: ENDPOINT_LABELS,
    c.Measure: MEASURE_LABELS,
    c.TimeUnit: TIME_UNIT_LABELS,
    c.OutcomeUnit: OUTCOME_UNIT_LABELS,
    c.DispersionKind: DISPERSION_LABELS,
    c.MissingReason: MISSING_REASON_LABELS,
    c.Sides: SIDES_LABELS,
    c.TrialSetting: SETTING_LABELS,
    c.CitationKind: CITATION_KIND_LABELS,
}


def labels_of(source: Any, field: str | None = None) -> dict[str, str]:
    """value -> label of the vocabulary a ``Literal`` (or, with ``field``, a document model's
    field, as ``literal_values`` reads it) takes its values from, in the declared order."""
    values = c.literal_values(source, field)
    for vocabulary, labels in VOCABULARIES.items():
        if c.literal_values(vocabulary) == values:
            return {value: labels[value] for value in values}
    raise LookupError(f"no controlled vocabulary has the values {values}")


def capitalised(text: str) -> str:
    """The first letter in upper case, the rest as written: a label opening a sentence or
    shown alone as a drop-down option ("open-label" -> "Open-label")."""
    return text[:1].upper() + text[1:]
