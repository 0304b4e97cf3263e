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
BLINDING_LABELS = {
    "open_label": "open-label",
    "single_blind": "single-blind",
    "double_blind": "double-blind",
}
TRIAL_PHASE_LABELS = {
    "1": "phase 1",
    "1/2": "phase 1/2",
    "2": "phase 2",
    "2/3": "phase 2/3",
    "3": "phase 3",
    "4": "phase 4",
}
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
}
COMPARISON_LABELS = {
    "hazard_ratio": "Hazard ratio",
    "odds_ratio": "Odds ratio",
    "risk_ratio": "Risk ratio",
    "relative_risk_reduction": "Relative risk reduction",
    "absolute_difference": "Absolute difference",
}
COMPARISON_UNIT_LABELS = {
    "ratio": "ratio",
    "percent": "percent",
    "percentage_points": "percentage points",
    "months": "months",
}
# As a p-value is written: "p < 0.001", "p = 0.04".
P_VALUE_QUALIFIER_LABELS = {"less_than": "<", "equal": "="}
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
}
MEASURE_LABELS = {
    "median": "median",
    "mean": "mean",
    "duration_unspecified": "duration",
    "rate_at_timepoint": "rate",
    "proportion": "proportion",
    "event_count": "number of events",
}
OUTCOME_UNIT_LABELS = {"months": "months", "percent": "percent", "count": "count"}
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
    c.TrialPhase: TRIAL_PHASE_LABELS,
    c.ConductNoteKind: CONDUCT_NOTE_LABELS,
    c.TreatmentPhase: TREATMENT_PHASE_LABELS,
    c.ArmRole: ARM_ROLE_LABELS,
    c.ComparisonKind: COMPARISON_LABELS,
    c.ComparisonUnit: COMPARISON_UNIT_LABELS,
    c.PValueQualifier: P_VALUE_QUALIFIER_LABELS,
    c.Endpoint: ENDPOINT_LABELS,
    c.Measure: MEASURE_LABELS,
    c.OutcomeUnit: OUTCOME_UNIT_LABELS,
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
