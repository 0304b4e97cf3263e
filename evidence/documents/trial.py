"""The trial document: design, arms and their regimens, outcomes with each arm's values and
the comparisons between arms, conduct notes and findings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .choices import (
    ArmRole,
    Blinding,
    ComparisonKind,
    ComparisonUnit,
    ConductNoteKind,
    Endpoint,
    Measure,
    OutcomeUnit,
    PValueQualifier,
    Qualifier,
    Registry,
    TreatmentPhase,
    TrialPhase,
    TrialSetting,
)
from .common import Document, Finding
from .limits import (
    MAX_ARMS,
    MAX_COMPARISONS,
    MAX_CONDUCT_NOTES,
    MAX_FINDINGS,
    MAX_LINKS,
    MAX_OUTCOMES,
    MAX_REGIMEN_PARTS,
    MAX_REGISTRY_IDS,
    REGISTRY_ID_MAX_LENGTH,
    AnyShortText,
    AnyText,
    Count,
    Key,
    Number,
    ShortText,
    Slug,
    Text,
    items,
)


class RegistryId(Document):
    registry: Registry
    id: Annotated[str, Field(min_length=1, max_length=REGISTRY_ID_MAX_LENGTH)]


class Design(Document):
    """What the source says about the design; null means the source does not say."""

    randomised: bool | None = None
    blinding: Blinding | None = None
    placebo_controlled: bool | None = None
    multicentre: bool | None = None
    international: bool | None = None


class ConductNote(Document):
    key: Key
    kind: ConductNoteKind
    text: Text
    at_months: Number | None = Field(default=None, description="Median follow-up when it happened.")
    patients: Count | None = None


class RegimenComponent(Document):
    intervention: Slug | None = Field(default=None, description="Slug of an intervention record.")
    description: ShortText
    phase: TreatmentPhase | None = None


class Arm(Document):
    key: Key
    label: ShortText
    role: ArmRole
    regimen: list[RegimenComponent] = items(MAX_REGIMEN_PARTS)
    n: Count | None = Field(default=None, description="Number of patients assigned to the arm.")
    description: AnyText | None = None


class ArmValue(Document):
    """One arm's result for an outcome: a number, or "not reached", never both."""

    arm: Key
    value: Number | None = None
    not_reached: bool = False
    qualifier: Qualifier | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    ci_level: Number | None = Field(
        default=None, description="Confidence level in percent, e.g. 95."
    )
    note: AnyText | None = None


class Comparison(Document):
    """An effect estimate between two arms of the same outcome."""

    key: Key
    kind: ComparisonKind
    arm: Key = Field(description="The arm compared (usually experimental).")
    reference_arm: Key
    estimate: Number | None = None
    unit: ComparisonUnit = "ratio"
    qualifier: Qualifier | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    ci_level: Number | None = None
    p_value: Number | None = None
    p_value_qualifier: PValueQualifier | None = None
    significant: bool | None = Field(
        default=None,
        description="Whether the source calls the difference statistically significant.",
    )
    note: AnyText | None = None


class Outcome(Document):
    key: Key
    endpoint: Endpoint
    label: ShortText = Field(description="The endpoint as the source words it.")
    measure: Measure = Field(
        description=(
            "duration_unspecified: a duration the source gives without saying median or mean."
        )
    )
    unit: OutcomeUnit
    timepoint_months: Number | None = None
    subgroup: AnyShortText | None = None
    treatment_phase: TreatmentPhase | None = None
    values: list[ArmValue] = items(MAX_ARMS, description="At most one value per arm.")
    comparisons: list[Comparison] = items(MAX_COMPARISONS)
    citations: list[Slug] = items(MAX_LINKS)
    note: AnyText | None = None


class TrialDocument(Document):
    slug: Slug
    name: ShortText = Field(description="The name editors use, e.g. 'Myeloma XI'.")
    full_title: AnyText | None = None
    registry_ids: list[RegistryId] = items(MAX_REGISTRY_IDS)
    phase: TrialPhase | None = None
    design: Design = Field(default_factory=Design)
    setting: TrialSetting
    population: Text
    enrollment: Count | None = None
    enrollment_qualifier: Qualifier | None = None
    median_follow_up_months: Number | None = None
    conduct_notes: list[ConductNote] = items(MAX_CONDUCT_NOTES)
    interventions: list[Slug] = items(MAX_LINKS)
    arms: list[Arm] = items(MAX_ARMS)
    outcomes: list[Outcome] = items(MAX_OUTCOMES)
    findings: list[Finding] = items(MAX_FINDINGS)
    summary: AnyText | None = Field(default=None, description="Plain-language summary.")
    citations: list[Slug] = items(MAX_LINKS)
    notes: AnyText | None = Field(
        default=None, description="Editorial notes: ambiguities in the source, corrections."
    )
