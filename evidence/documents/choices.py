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

Registry = Literal["NCT", "ISRCTN", "EudraCT", "other"]
Blinding = Literal["open_label", "single_blind", "double_blind"]
TrialPhase = Literal["1", "1/2", "2", "2/3", "3", "4"]
ConductNoteKind = Literal["unblinding", "crossover", "early_stop", "follow_up", "other"]
TreatmentPhase = Literal["induction", "transplant", "consolidation", "maintenance", "continuous"]
ArmRole = Literal["experimental", "control", "placebo", "observation", "active_comparator"]

ComparisonKind = Literal[
    "hazard_ratio",
    "odds_ratio",
    "risk_ratio",
    "relative_risk_reduction",
    "absolute_difference",
]
ComparisonUnit = Literal["ratio", "percent", "percentage_points", "months"]
PValueQualifier = Literal["less_than", "equal"]

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
]
Measure = Literal[
    "median",
    "mean",
    "duration_unspecified",
    "rate_at_timepoint",
    "proportion",
    "event_count",
]
OutcomeUnit = Literal["months", "percent", "count"]

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
