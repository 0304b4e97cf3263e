"""Validating a document: ``validate_document``, ``DocumentInvalid`` and the semantic checks.

Validation happens in two passes that report together:

1. structure and types (pydantic, strict: no silent coercion, unknown fields refused), after
   every string has been checked for forbidden characters (``text``);
2. meaning (``SemanticChecker``): ranges, confidence intervals that contain their estimate, arm
   sizes within enrollment, references to arms, outcomes and other records that exist.

Every problem is reported with its path inside the document, e.g.
``outcomes[2].values[0].ci_low``, and all problems are reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from .citation import CitationDocument
from .common import Document, Finding
from .intervention import InterventionDocument
from .paths import format_path
from .record_types import DOCUMENT_MODELS
from .text import forbidden_character_errors
from .topic import TopicDocument
from .trial import ArmValue, Comparison, Outcome, TrialDocument

# exists(record_type, slug) -> bool; supplied by the caller so this module needs no database.
ReferenceChecker = Callable[[str, str], bool]


class DocumentInvalid(Exception):
    """A document failed validation. ``errors`` lists every problem as {path, message}."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        summary = "; ".join(f"{e['path'] or '(document)'}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"invalid document: {summary}{more}")


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
        # A type's own rules, if it has any beyond its model (``check_trial``, ...).
        check = getattr(self, f"check_{record_type}", None)
        if check is not None:
            check(doc)
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
