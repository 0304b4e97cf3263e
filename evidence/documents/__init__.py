"""The record documents: one validated JSON document per record.

A record's full state is one document. The same shape is what the API returns, what a change
request proposes, what an event carries and what a snapshot publishes, so a client can GET a
record, change a field and propose it back.

Validation happens in two passes that report together:

1. structure and types (pydantic, strict: no silent coercion, unknown fields refused);
2. meaning: ranges, confidence intervals that contain their estimate, arm sizes within
   enrollment, references to arms, outcomes and other records that exist.

Every problem is reported with its path inside the document, e.g.
``outcomes[2].values[0].ci_low``, and all problems are reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)

RECORD_TYPES = ("topic", "intervention", "citation", "trial")

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KEY_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


# --- Limits -----------------------------------------------------------------------------------
# The one definition of how large a document and its parts may be. The read-model columns
# (``evidence.models``) take their sizes from here, so whatever validates can be projected on
# SQLite and PostgreSQL alike; the admin forms refuse more rows than a list may hold before
# building them. Generous for real trials (the seed's largest trial has 3 arms and 5 outcomes).

SLUG_MAX_LENGTH = 100
KEY_MAX_LENGTH = 64
SHORT_TEXT_MAX_LENGTH = 500  # names, labels, headings: CharField(500) columns
TEXT_MAX_LENGTH = 20_000  # paragraphs, statements, notes
URL_MAX_LENGTH = 2_000
DOI_MAX_LENGTH = 200
REGISTRY_ID_MAX_LENGTH = 80  # NCT00430365, ISRCTN..., EudraCT 2005-000384-10: 11 to 20
REGISTRY_IDS_TEXT_MAX_LENGTH = 1_000  # the registry ids joined by spaces, one column
# PositiveIntegerField is a 4-byte integer on PostgreSQL.
COUNT_MAX = 2**31 - 1
# Number columns are double precision: a larger whole number would not be stored exactly.
EXACT_INTEGER_MAX = 2**53

MAX_ARMS = 20
MAX_OUTCOMES = 200
MAX_COMPARISONS = 20  # per outcome
MAX_REGIMEN_PARTS = 20  # per arm
MAX_CONDUCT_NOTES = 50
MAX_FINDINGS = 200
MAX_REGISTRY_IDS = 12
MAX_SECTIONS = 100
MAX_PARAGRAPHS = 200  # per section
MAX_AUTHORS = 200
MAX_BRAND_NAMES = 50
MAX_LINKS = 200  # slugs of other records in one list (citations, interventions, trials)
MAX_TOPIC_CITATIONS = 500  # a topic's numbered reference list

# Twelve ids of 80 characters and their spaces fit the registry_ids_text column by construction.
if MAX_REGISTRY_IDS * (REGISTRY_ID_MAX_LENGTH + 1) - 1 > REGISTRY_IDS_TEXT_MAX_LENGTH:
    raise ImportError("registry ids could outgrow Trial.registry_ids_text")

# Characters no document or free text may hold: C0 controls but tab and newline (carriage
# return included: the admin turns a browser's CRLF into LF), DEL, C1 controls, and lone
# surrogates. PostgreSQL cannot store NUL at all (a 500 instead of a 400); the others are
# invisible in published pages or cannot be encoded as UTF-8.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CHARACTER_NAMES = {"\x00": "NUL", "\r": "carriage return", "\x7f": "DEL"}


def forbidden_character(text: str) -> str | None:
    """What is wrong with ``text`` (which character, at which offset), or None."""
    match = FORBIDDEN_CHARACTERS.search(text)
    if match is None:
        return None
    char = match.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    name = _CHARACTER_NAMES.get(char)
    named = f"{kind} (U+{ord(char):04X}{' ' + name if name else ''})"
    return f"contains {named} at offset {match.start()}; remove it"


def forbidden_character_errors(data: Any) -> list[dict[str, str]]:
    """Every string anywhere in ``data`` (a JSON value) holding a forbidden character, by path.

    Iterative, so a deeply nested value cannot exhaust the stack here."""
    errors = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, str):
            problem = forbidden_character(value)
            if problem:
                errors.append({"path": format_path(loc), "message": problem})
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if isinstance(key, str) and (problem := forbidden_character(key)):
                    errors.append(
                        {
                            "path": format_path(loc),
                            "message": f"a field name {problem}",
                        }
                    )
                stack.append((item, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((item, (*loc, i)) for i, item in reversed(list(enumerate(value))))
    return errors


# --- Scalars ----------------------------------------------------------------------------------


def _number(value: Any) -> int | float:
    # bool is an int in Python; a JSON true is never a number here.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and value != value:  # NaN
        raise ValueError("must be a number, not NaN")
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and abs(value) > EXACT_INTEGER_MAX:
        raise ValueError(f"must be between -{EXACT_INTEGER_MAX} and {EXACT_INTEGER_MAX}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    if value < 0:
        raise ValueError("must not be negative")
    if value > COUNT_MAX:
        raise ValueError(f"must be at most {COUNT_MAX}")
    return value


Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
Count = Annotated[
    int,
    PlainValidator(_count),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": COUNT_MAX}),
]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=SLUG_MAX_LENGTH)]
Key = Annotated[str, Field(pattern=KEY_PATTERN, min_length=1, max_length=KEY_MAX_LENGTH)]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX_LENGTH)]
ShortText = Annotated[str, Field(min_length=1, max_length=SHORT_TEXT_MAX_LENGTH)]
# Optional free text may be empty, as before; only its length is bounded.
AnyText = Annotated[str, Field(max_length=TEXT_MAX_LENGTH)]
AnyShortText = Annotated[str, Field(max_length=SHORT_TEXT_MAX_LENGTH)]


def items(limit: int, **kwargs: Any) -> Any:
    """A list field of at most ``limit`` items (stated in the JSON Schema as maxItems)."""
    return Field(default_factory=list, max_length=limit, **kwargs)


# How the source qualifies a number: "more than 500 patients", "nearly doubled".
Qualifier = Literal["more_than", "less_than", "at_least", "at_most", "about", "nearly"]


class Document(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=False)


# --- Shared parts -----------------------------------------------------------------------------


class Finding(Document):
    """A curated statement, with the results and sources it rests on."""

    key: Key
    statement: Text
    kind: Literal[
        "efficacy",
        "survival",
        "safety",
        "cost",
        "conduct",
        "regulatory",
        "conclusion",
        "background",
    ]
    outcomes: list[Key] = items(
        MAX_OUTCOMES, description="Keys of outcomes in the same trial (trial findings)."
    )
    trials: list[Slug] = items(
        MAX_LINKS, description="Slugs of trials the statement is about (topic findings)."
    )
    citations: list[Slug] = items(MAX_LINKS)
    note: AnyText | None = None


# --- Trial ------------------------------------------------------------------------------------


class RegistryId(Document):
    registry: Literal["NCT", "ISRCTN", "EudraCT", "other"]
    id: Annotated[str, Field(min_length=1, max_length=REGISTRY_ID_MAX_LENGTH)]


class Design(Document):
    """What the source says about the design; null means the source does not say."""

    randomised: bool | None = None
    blinding: Literal["open_label", "single_blind", "double_blind"] | None = None
    placebo_controlled: bool | None = None
    multicentre: bool | None = None
    international: bool | None = None


class ConductNote(Document):
    key: Key
    kind: Literal["unblinding", "crossover", "early_stop", "follow_up", "other"]
    text: Text
    at_months: Number | None = Field(default=None, description="Median follow-up when it happened.")
    patients: Count | None = None


TreatmentPhase = Literal["induction", "transplant", "consolidation", "maintenance", "continuous"]


class RegimenComponent(Document):
    intervention: Slug | None = Field(default=None, description="Slug of an intervention record.")
    description: ShortText
    phase: TreatmentPhase | None = None


class Arm(Document):
    key: Key
    label: ShortText
    role: Literal["experimental", "control", "placebo", "observation", "active_comparator"]
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


ComparisonKind = Literal[
    "hazard_ratio",
    "odds_ratio",
    "risk_ratio",
    "relative_risk_reduction",
    "absolute_difference",
]


class Comparison(Document):
    """An effect estimate between two arms of the same outcome."""

    key: Key
    kind: ComparisonKind
    arm: Key = Field(description="The arm compared (usually experimental).")
    reference_arm: Key
    estimate: Number | None = None
    unit: Literal["ratio", "percent", "percentage_points", "months"] = "ratio"
    qualifier: Qualifier | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    ci_level: Number | None = None
    p_value: Number | None = None
    p_value_qualifier: Literal["less_than", "equal"] | None = None
    significant: bool | None = Field(
        default=None,
        description="Whether the source calls the difference statistically significant.",
    )
    note: AnyText | None = None


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
Measure = Literal[
    "median",
    "mean",
    "duration_unspecified",
    "rate_at_timepoint",
    "proportion",
    "event_count",
]


class Outcome(Document):
    key: Key
    endpoint: Endpoint
    label: ShortText = Field(description="The endpoint as the source words it.")
    measure: Measure = Field(
        description=(
            "duration_unspecified: a duration the source gives without saying median or mean."
        )
    )
    unit: Literal["months", "percent", "count"]
    timepoint_months: Number | None = None
    subgroup: AnyShortText | None = None
    treatment_phase: TreatmentPhase | None = None
    values: list[ArmValue] = items(MAX_ARMS, description="At most one value per arm.")
    comparisons: list[Comparison] = items(MAX_COMPARISONS)
    citations: list[Slug] = items(MAX_LINKS)
    note: AnyText | None = None


TrialSetting = Literal[
    "post_autologous_transplant",
    "post_allogeneic_transplant",
    "transplant_ineligible",
    "newly_diagnosed_mixed",
    "induction_and_maintenance",
    "relapsed",
    "other",
]
# How readers and editors see a setting (the published pages and the admin).
SETTING_LABELS = {
    "post_autologous_transplant": "After autologous stem-cell transplant",
    "post_allogeneic_transplant": "After allogeneic stem-cell transplant",
    "transplant_ineligible": "Patients not eligible for a transplant",
    "newly_diagnosed_mixed": "Newly diagnosed patients",
    "induction_and_maintenance": "Induction and maintenance",
    "relapsed": "Relapsed disease",
    "other": "Other setting",
}


class TrialDocument(Document):
    slug: Slug
    name: ShortText = Field(description="The name editors use, e.g. 'Myeloma XI'.")
    full_title: AnyText | None = None
    registry_ids: list[RegistryId] = items(MAX_REGISTRY_IDS)
    phase: Literal["1", "1/2", "2", "2/3", "3", "4"] | None = None
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


# --- Other record types -----------------------------------------------------------------------


class CitationDocument(Document):
    slug: Slug
    kind: Literal[
        "article", "abstract", "editorial", "regulatory_notice", "presentation", "web_page", "other"
    ]
    title: Text
    authors: list[ShortText] = items(MAX_AUTHORS)
    authors_et_al: bool = False
    journal: AnyShortText | None = None
    year: Count | None = None
    volume: AnyShortText | None = None
    issue: AnyShortText | None = None
    pages: AnyShortText | None = None
    published_on: AnyShortText | None = Field(
        default=None, description="Date as the source gives it."
    )
    doi: str | None = Field(default=None, pattern=r"^10\.\S+/\S+$", max_length=DOI_MAX_LENGTH)
    pmid: str | None = Field(default=None, pattern=r"^[0-9]{1,9}$")
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=URL_MAX_LENGTH)
    note: AnyText | None = None


class InterventionDocument(Document):
    slug: Slug
    name: ShortText = Field(description="Display name, e.g. 'Revlimid (lenalidomide)'.")
    generic_name: ShortText
    brand_names: list[ShortText] = items(MAX_BRAND_NAMES)
    drug_class: AnyShortText | None = None
    route: AnyShortText | None = None
    description: AnyText | None = None
    note: AnyText | None = None


class TopicSection(Document):
    key: Key
    heading: ShortText
    body: list[Text] = items(MAX_PARAGRAPHS, description="Paragraphs of plain text.")
    interventions: list[Slug] = items(MAX_LINKS)
    setting: TrialSetting | None = None
    trials: list[Slug] = items(MAX_LINKS)


class TopicDocument(Document):
    slug: Slug
    title: ShortText
    condition: ShortText
    summary: Text
    byline: AnyShortText | None = None
    source_updated: AnyShortText | None = Field(
        default=None, description="When the source was updated."
    )
    sections: list[TopicSection] = items(MAX_SECTIONS)
    findings: list[Finding] = items(MAX_FINDINGS)
    citations: list[Slug] = items(
        MAX_TOPIC_CITATIONS, description="The numbered reference list, in order."
    )
    notes: AnyText | None = None


DOCUMENT_MODELS: dict[str, type[Document]] = {
    "topic": TopicDocument,
    "intervention": InterventionDocument,
    "citation": CitationDocument,
    "trial": TrialDocument,
}


# --- Validation -------------------------------------------------------------------------------

# exists(record_type, slug) -> bool; supplied by the caller so this module needs no database.
ReferenceChecker = Callable[[str, str], bool]


class DocumentInvalid(Exception):
    """A document failed validation. ``errors`` lists every problem as {path, message}."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        summary = "; ".join(f"{e['path'] or '(document)'}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"invalid document: {summary}{more}")


def format_path(loc: Iterable[str | int]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _pydantic_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors(include_url=False):
        if err["type"] == "string_unicode":
            continue  # a lone surrogate: forbidden_character_errors names it and its offset
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "too_long" and err.get("ctx", {}).get("field_type") == "List":
            ctx = err["ctx"]
            message = f"at most {ctx['max_length']} items allowed, not {ctx['actual_length']}"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        errors.append({"path": format_path(err["loc"]), "message": message})
    return errors


def validate_document(
    record_type: str,
    data: Any,
    exists: ReferenceChecker | None = None,
) -> dict[str, Any]:
    """Validate ``data`` as a ``record_type`` document and return its canonical form.

    The canonical form lists every field (absent optional fields as null or empty), so two
    documents with the same content compare equal and diffs are stable. Raises
    DocumentInvalid with every problem found.
    """
    if record_type not in DOCUMENT_MODELS:
        raise DocumentInvalid(
            [{"path": "record_type", "message": f"unknown record type {record_type!r}"}]
        )
    if not isinstance(data, dict):
        raise DocumentInvalid([{"path": "", "message": "the document must be a JSON object"}])
    # Every string anywhere, checked on the raw data: no field can be left out of this rule.
    errors = forbidden_character_errors(data)
    try:
        model = DOCUMENT_MODELS[record_type].model_validate(data)
    except ValidationError as exc:
        raise DocumentInvalid(errors + _pydantic_errors(exc)) from None
    if errors:
        raise DocumentInvalid(errors)
    errors = SemanticChecker(exists).check(record_type, model)
    if errors:
        raise DocumentInvalid(errors)
    return model.model_dump(mode="json")


class SemanticChecker:
    """Rules that span fields: ranges, intervals, references. Collects every error."""

    def __init__(self, exists: ReferenceChecker | None):
        self.exists = exists
        self.errors: list[dict[str, str]] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def check(self, record_type: str, doc: Document) -> list[dict[str, str]]:
        getattr(self, f"check_{record_type}")(doc)
        return self.errors

    # Records ----------------------------------------------------------------------------------

    def check_trial(self, doc: TrialDocument) -> None:
        self.unique_keys("arms", doc.arms)
        self.unique_keys("outcomes", doc.outcomes)
        self.unique_keys("findings", doc.findings)
        self.unique_keys("conduct_notes", doc.conduct_notes)
        arm_keys = {arm.key for arm in doc.arms}
        outcome_keys = {outcome.key for outcome in doc.outcomes}
        self.references("intervention", "interventions", doc.interventions)
        self.references("citation", "citations", doc.citations)
        for i, arm in enumerate(doc.arms):
            for j, part in enumerate(arm.regimen):
                if part.intervention:
                    self.references(
                        "intervention", f"arms[{i}].regimen[{j}].intervention", [part.intervention]
                    )
            if arm.n is not None and doc.enrollment is not None and arm.n > doc.enrollment:
                self.error(
                    f"arms[{i}].n", f"{arm.n} patients exceeds the enrollment of {doc.enrollment}"
                )
        sized = [arm.n for arm in doc.arms if arm.n is not None]
        exact_enrollment = doc.enrollment is not None and doc.enrollment_qualifier in (
            None,
            "at_least",
        )
        if exact_enrollment and sum(sized) > doc.enrollment:
            self.error(
                "arms",
                f"arm sizes add up to {sum(sized)}, more than the enrollment of {doc.enrollment}",
            )
        if doc.enrollment_qualifier and doc.enrollment is None:
            self.error("enrollment_qualifier", "a qualifier needs an enrollment number")
        if doc.median_follow_up_months is not None and doc.median_follow_up_months < 0:
            self.error("median_follow_up_months", "must not be negative")
        for i, note in enumerate(doc.conduct_notes):
            if note.at_months is not None and note.at_months < 0:
                self.error(f"conduct_notes[{i}].at_months", "must not be negative")
        for i, outcome in enumerate(doc.outcomes):
            self.check_outcome(f"outcomes[{i}]", outcome, arm_keys)
        self.findings("findings", doc.findings, outcome_keys=outcome_keys, allow_trials=False)

    def check_outcome(self, path: str, outcome: Outcome, arm_keys: set[str]) -> None:
        self.references("citation", f"{path}.citations", outcome.citations)
        if outcome.timepoint_months is not None and outcome.timepoint_months <= 0:
            self.error(f"{path}.timepoint_months", "must be greater than 0")
        if outcome.measure == "rate_at_timepoint" and outcome.timepoint_months is None:
            self.error(f"{path}.timepoint_months", "a rate at a timepoint needs the timepoint")
        if outcome.measure in ("rate_at_timepoint", "proportion") and outcome.unit != "percent":
            self.error(f"{path}.unit", f"a {outcome.measure} is given in percent")
        if outcome.measure == "event_count" and outcome.unit != "count":
            self.error(f"{path}.unit", "an event count is given as a count")
        seen_arms: set[str] = set()
        for j, value in enumerate(outcome.values):
            vpath = f"{path}.values[{j}]"
            if value.arm not in arm_keys:
                self.error(f"{vpath}.arm", f"no arm with key {value.arm!r} in this trial")
            elif value.arm in seen_arms:
                self.error(
                    f"{vpath}.arm", f"arm {value.arm!r} already has a value for this outcome"
                )
            seen_arms.add(value.arm)
            self.check_value(vpath, value, outcome)
        self.unique_keys(f"{path}.comparisons", outcome.comparisons)
        for j, comparison in enumerate(outcome.comparisons):
            self.check_comparison(f"{path}.comparisons[{j}]", comparison, arm_keys)

    def check_value(self, path: str, value: ArmValue, outcome: Outcome) -> None:
        if value.not_reached and value.value is not None:
            self.error(f"{path}.value", "give a value or not_reached, not both")
        if not value.not_reached and value.value is None:
            self.error(f"{path}.value", "give a value, or set not_reached")
        if value.not_reached and outcome.unit != "months":
            self.error(f"{path}.not_reached", "only a time (in months) can be not reached")
        if value.value is not None:
            self.in_unit_range(f"{path}.value", value.value, outcome.unit)
        self.interval(path, value.value, value.ci_low, value.ci_high, value.ci_level)

    def check_comparison(self, path: str, comparison: Comparison, arm_keys: set[str]) -> None:
        for field in ("arm", "reference_arm"):
            key = getattr(comparison, field)
            if key not in arm_keys:
                self.error(f"{path}.{field}", f"no arm with key {key!r} in this trial")
        if comparison.arm == comparison.reference_arm:
            self.error(f"{path}.reference_arm", "an arm cannot be compared with itself")
        ratio = comparison.kind in ("hazard_ratio", "odds_ratio", "risk_ratio")
        if ratio and comparison.unit != "ratio":
            self.error(f"{path}.unit", f"a {comparison.kind} is a ratio")
        if ratio and comparison.estimate is not None and comparison.estimate <= 0:
            self.error(f"{path}.estimate", "a ratio must be greater than 0")
        if comparison.kind == "relative_risk_reduction" and comparison.unit != "percent":
            self.error(f"{path}.unit", "a relative risk reduction is given in percent")
        estimate = comparison.estimate
        if comparison.unit == "percent" and estimate is not None and not -100 <= estimate <= 100:
            self.error(f"{path}.estimate", "a percentage must be between -100 and 100")
        if comparison.p_value is not None and not 0 < comparison.p_value <= 1:
            self.error(f"{path}.p_value", "a p-value must be greater than 0 and at most 1")
        if comparison.p_value_qualifier and comparison.p_value is None:
            self.error(f"{path}.p_value_qualifier", "a qualifier needs a p-value")
        if (
            comparison.estimate is None
            and comparison.significant is None
            and comparison.p_value is None
        ):
            self.error(f"{path}.estimate", "give an estimate, a p-value or the significance")
        self.interval(
            path, comparison.estimate, comparison.ci_low, comparison.ci_high, comparison.ci_level
        )

    def check_citation(self, doc: CitationDocument) -> None:
        if doc.year is not None and not 1800 <= doc.year <= 2100:
            self.error("year", "must be a year between 1800 and 2100")
        if not (doc.title or "").strip():
            self.error("title", "must not be blank")

    def check_intervention(self, doc: InterventionDocument) -> None:
        if len(set(doc.brand_names)) != len(doc.brand_names):
            self.error("brand_names", "lists a brand name twice")

    def check_topic(self, doc: TopicDocument) -> None:
        self.unique_keys("sections", doc.sections)
        self.unique_keys("findings", doc.findings)
        self.references("citation", "citations", doc.citations)
        for i, section in enumerate(doc.sections):
            self.references("intervention", f"sections[{i}].interventions", section.interventions)
            self.references("trial", f"sections[{i}].trials", section.trials)
        self.findings("findings", doc.findings, outcome_keys=set(), allow_trials=True)

    # Parts ------------------------------------------------------------------------------------

    def findings(
        self, path: str, findings: list[Finding], *, outcome_keys: set[str], allow_trials: bool
    ) -> None:
        for i, finding in enumerate(findings):
            fpath = f"{path}[{i}]"
            for j, key in enumerate(finding.outcomes):
                if key not in outcome_keys:
                    self.error(
                        f"{fpath}.outcomes[{j}]", f"no outcome with key {key!r} in this trial"
                    )
            if finding.trials and not allow_trials:
                self.error(
                    f"{fpath}.trials",
                    "a trial's finding is about that trial; list outcomes instead",
                )
            self.references("trial", f"{fpath}.trials", finding.trials)
            self.references("citation", f"{fpath}.citations", finding.citations)

    def unique_keys(self, path: str, items: list[Any]) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.key in seen:
                self.error(f"{path}[{i}].key", f"key {item.key!r} is used twice")
            seen.add(item.key)

    def references(self, record_type: str, path: str, slugs: list[str]) -> None:
        if self.exists is None:
            return
        for j, slug in enumerate(slugs):
            item_path = path if path.endswith("intervention") else f"{path}[{j}]"
            if not self.exists(record_type, slug):
                self.error(item_path, f"no {record_type} with slug {slug!r}")

    def in_unit_range(self, path: str, number: float, unit: str) -> None:
        if unit == "percent" and not 0 <= number <= 100:
            self.error(path, "a percentage must be between 0 and 100")
        elif unit == "count" and (number < 0 or number != int(number)):
            self.error(path, "a count must be a whole number, not negative")
        elif unit == "months" and number < 0:
            self.error(path, "a duration must not be negative")

    def interval(self, path: str, estimate, low, high, level) -> None:
        if (low is None) != (high is None):
            missing = "ci_high" if high is None else "ci_low"
            self.error(f"{path}.{missing}", "a confidence interval needs both bounds")
            return
        if low is None:
            if level is not None:
                self.error(f"{path}.ci_level", "a confidence level needs an interval")
            return
        if low > high:
            self.error(f"{path}.ci_low", f"lower bound {low} is above the upper bound {high}")
        elif estimate is not None and not low <= estimate <= high:
            self.error(
                f"{path}.ci_low",
                f"the interval {low} to {high} does not contain the estimate {estimate}",
            )
        if level is not None and not 0 < level < 100:
            self.error(f"{path}.ci_level", "a confidence level is a percentage between 0 and 100")


def document_json_schema(record_type: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one record type's document."""
    return DOCUMENT_MODELS[record_type].model_json_schema(mode="serialization")


def referenced_slugs(record_type: str, document: dict[str, Any]) -> dict[str, set[str]]:
    """Every other record a document refers to, by record type (for integrity checks)."""
    refs: dict[str, set[str]] = {t: set() for t in RECORD_TYPES}
    refs["citation"].update(document.get("citations", []))
    for finding in document.get("findings", []):
        refs["citation"].update(finding.get("citations", []))
        refs["trial"].update(finding.get("trials", []))
    if record_type == "trial":
        refs["intervention"].update(document.get("interventions", []))
        for arm in document.get("arms", []):
            refs["intervention"].update(
                part["intervention"] for part in arm.get("regimen", []) if part.get("intervention")
            )
        for outcome in document.get("outcomes", []):
            refs["citation"].update(outcome.get("citations", []))
    if record_type == "topic":
        for section in document.get("sections", []):
            refs["intervention"].update(section.get("interventions", []))
            refs["trial"].update(section.get("trials", []))
    return refs
