"""The trial document (schema version 2): what the trial is (conditions, setting, phases,
design, enrollment, dates, registry ids), its arms and their regimens, and its outcomes, each
with every arm's value and the comparisons between arms, as the source reports them.

The results model is general, after the registries' (ClinicalTrials.gov) and the journals'
way of reporting: an outcome has the source's own title, an optional controlled endpoint
code, a measure (median, mean, proportion...), a unit as the source gives it and, where the
source gives one, the kind of dispersion its values carry (SD, SE, IQR, range or a
confidence interval with its level and sidedness). A value is a number or a stated reason why
there is none, with the text the source printed kept beside it. Any value, comparison or
outcome may name its ``source``: a citation or a registry record, and where in it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .choices import (
    Allocation,
    ArmRole,
    CodingSystem,
    ComparisonKind,
    ComparisonUnit,
    ConductNoteKind,
    DateType,
    DesignModel,
    DispersionKind,
    Endpoint,
    MaskedRole,
    Masking,
    Measure,
    MissingReason,
    OutcomeType,
    OutcomeUnit,
    PValueComparator,
    Qualifier,
    Registry,
    Sides,
    TimeUnit,
    TreatmentPhase,
    TrialPhase,
    TrialSetting,
)
from .common import Document, Finding, RecordDocument
from .limits import (
    MAX_ARMS,
    MAX_COMPARISONS,
    MAX_CONDITIONS,
    MAX_CONDUCT_NOTES,
    MAX_FINDINGS,
    MAX_LINKS,
    MAX_OUTCOMES,
    MAX_PHASES,
    MAX_REGIMEN_PARTS,
    MAX_REGISTRY_IDS,
    REGISTRY_ID_MAX_LENGTH,
    AnyShortText,
    AnyText,
    Count,
    JsonPointer,
    Key,
    Number,
    PartialDateText,
    ShortText,
    Slug,
    Text,
    items,
)

RegistryIdText = Annotated[str, Field(min_length=1, max_length=REGISTRY_ID_MAX_LENGTH)]


class Source(Document):
    """Where a number comes from: a citation record or a registry record, and where in it (a
    quote, a page, or a JSON pointer into the registry's document)."""

    citation: Slug | None = Field(default=None, description="Slug of a citation record.")
    registry: Registry | None = None
    registry_id: RegistryIdText | None = None
    quote: AnyText | None = Field(default=None, description="The source's words, verbatim.")
    page: AnyShortText | None = None
    pointer: JsonPointer | None = Field(
        default=None,
        description="JSON pointer into the registry record, e.g. /resultsSection/...",
    )


class RegistryId(Document):
    registry: Registry
    id: RegistryIdText
    editorial: bool = Field(
        default=False,
        description="The source does not give this id: editors identified the trial.",
    )


class Condition(Document):
    """A condition studied, as the source names it, with an optional code."""

    text: ShortText
    code: AnyShortText | None = None
    system: CodingSystem | None = None


class Design(Document):
    """What the source says about the design; null means the source does not say."""

    allocation: Allocation | None = None
    masking: Masking | None = Field(default=None, description="none: open label.")
    masked_roles: list[MaskedRole] = items(4, description="Who is masked.")
    model: DesignModel | None = None
    placebo_controlled: bool | None = None
    multicentre: bool | None = None
    international: bool | None = None


class PartialDate(Document):
    date: PartialDateText = Field(description="YYYY, YYYY-MM or YYYY-MM-DD, as precise as given.")
    type: DateType | None = None


class TrialDates(Document):
    start: PartialDate | None = None
    primary_completion: PartialDate | None = None
    completion: PartialDate | None = None


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


class Timepoint(Document):
    value: Number
    unit: TimeUnit


class Dispersion(Document):
    """How the outcome's values spread; each value gives its ``spread`` (SD, SE) or its
    ``low`` and ``high`` (IQR, range, confidence interval)."""

    kind: DispersionKind
    level: Number | None = Field(
        default=None, description="A confidence interval's level in percent, e.g. 95."
    )
    sides: Sides | None = Field(default=None, description="A confidence interval's sides.")


class ArmValue(Document):
    """One arm's result for an outcome: a number, or the reason there is none, never both."""

    arm: Key
    value: Number | None = None
    missing: MissingReason | None = Field(default=None, description="Why there is no number.")
    missing_text: AnyShortText | None = Field(
        default=None, description="The source's own words for a missing value."
    )
    raw: AnyShortText | None = Field(
        default=None, description="The value as the source printed it, e.g. '<0.001' or 'NA'."
    )
    qualifier: Qualifier | None = None
    spread: Number | None = Field(default=None, description="The SD or SE.")
    low: Number | None = Field(default=None, description="Lower bound (IQR, range or CI).")
    high: Number | None = Field(default=None, description="Upper bound (IQR, range or CI).")
    bound_missing: MissingReason | None = Field(
        default=None, description="Why one bound of the interval is missing."
    )
    participants: Count | None = Field(default=None, description="Participants analysed.")
    estimate_outside_interval: bool = Field(
        default=False,
        description="The source gives an interval that excludes the value; say so in the note.",
    )
    source: Source | None = None
    note: AnyText | None = None


class Comparison(Document):
    """An effect estimate between two arms of the same outcome."""

    key: Key
    kind: ComparisonKind = Field(
        description="not_stated: the source compares the arms without naming a measure."
    )
    kind_label: AnyShortText | None = Field(
        default=None, description="The measure as the source names it (needed for 'other')."
    )
    arm: Key = Field(description="The arm compared (usually experimental).")
    reference_arm: Key
    estimate: Number | None = None
    unit: ComparisonUnit | None = None
    unit_text: AnyShortText | None = None
    qualifier: Qualifier | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    ci_level: Number | None = Field(default=None, description="In percent, e.g. 95.")
    ci_sides: Sides | None = None
    ci_bound_missing: MissingReason | None = Field(
        default=None, description="Why one bound of the interval is missing."
    )
    p_value: Number | None = None
    p_value_comparator: PValueComparator | None = None
    p_value_text: AnyShortText | None = Field(
        default=None, description="The p-value as the source printed it, e.g. '<0.001'."
    )
    method: AnyShortText | None = Field(default=None, description="e.g. Cox proportional hazards.")
    significant: bool | None = Field(
        default=None,
        description="Whether the source calls the difference statistically significant.",
    )
    estimate_outside_interval: bool = False
    source: Source | None = None
    note: AnyText | None = None


class Outcome(Document):
    key: Key
    title: ShortText = Field(description="The outcome as the source words it.")
    description: AnyText | None = None
    endpoint: Endpoint | None = Field(default=None, description="A controlled endpoint code.")
    endpoint_label: AnyShortText | None = Field(
        default=None, description="What the endpoint is, for 'other'."
    )
    type: OutcomeType | None = Field(default=None, description="null: the source does not say.")
    time_frame: AnyText | None = Field(default=None, description="As the source words it.")
    timepoint: Timepoint | None = None
    subgroup: AnyShortText | None = None
    treatment_phase: TreatmentPhase | None = None
    measure: Measure = Field(
        description=(
            "duration_unspecified: a duration the source gives without saying median or mean."
        )
    )
    unit: OutcomeUnit
    unit_text: AnyShortText | None = Field(
        default=None, description="The unit as the source gives it, e.g. 'mg/dL'."
    )
    dispersion: Dispersion | None = None
    values: list[ArmValue] = items(MAX_ARMS, description="At most one value per arm.")
    comparisons: list[Comparison] = items(MAX_COMPARISONS)
    citations: list[Slug] = items(MAX_LINKS)
    source: Source | None = None
    note: AnyText | None = None


class TrialDocument(RecordDocument):
    slug: Slug
    name: ShortText = Field(description="The name editors use, e.g. 'Myeloma XI'.")
    name_editorial: bool = Field(
        default=False, description="The source does not name the trial: editors identified it."
    )
    full_title: AnyText | None = None
    registry_ids: list[RegistryId] = items(MAX_REGISTRY_IDS)
    conditions: list[Condition] = items(MAX_CONDITIONS)
    phases: list[TrialPhase] = items(MAX_PHASES)
    design: Design = Field(default_factory=Design)
    setting: TrialSetting | None = Field(default=None, description="A controlled setting.")
    setting_text: AnyText | None = Field(default=None, description="The setting in words.")
    population: Text
    enrollment: Count | None = None
    enrollment_qualifier: Qualifier | None = None
    enrollment_type: DateType | None = None
    dates: TrialDates = Field(default_factory=TrialDates)
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
