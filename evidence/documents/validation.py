"""Validating a document: ``validate_document``, ``DocumentInvalid`` and the semantic checks.

Validation happens in two passes that report together:

1. structure and types (pydantic, strict: no silent coercion, unknown fields refused), after
   every string has been checked for forbidden characters (``text``);
2. meaning (``SemanticChecker``): ranges, confidence intervals that contain their estimate, arm
   sizes within enrollment, references to arms, outcomes and other records that exist (the
   checks of a trial's results are in ``result_checks``).

Every problem is reported with its path inside the document, e.g.
``outcomes[2].values[0].low``, and all problems are reported at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from .citation import CitationDocument
from .common import Document, Finding
from .intervention import InterventionDocument
from .paths import format_path
from .record_types import DOCUMENT_MODELS
from .result_checks import ResultChecks
from .text import forbidden_character_errors
from .topic import TopicDocument
from .trial import TrialDocument
from .upcasting import UpcastError, convert

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
    # A proposal in an older schema version (no schema_version: version 1) is converted
    # first, so clients written for it keep working; it is stored in the current version.
    try:
        data = convert(record_type, data)
    except UpcastError as exc:
        raise DocumentInvalid([{"path": "schema_version", "message": str(exc)}]) from None
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


class SemanticChecker(ResultChecks):
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
        if doc.setting is None and not (doc.setting_text or "").strip():
            self.error("setting", "give the setting as a controlled value, in words, or both")
        if len(set(doc.phases)) != len(doc.phases):
            self.error("phases", "lists a phase twice")
        self.check_design(doc)
        for i, condition in enumerate(doc.conditions):
            if (condition.code is None) != (condition.system is None):
                missing = "system" if condition.system is None else "code"
                self.error(f"conditions[{i}].{missing}", "a code needs its coding system")
        for name in ("start", "primary_completion", "completion"):
            date = getattr(doc.dates, name)
            if date is not None and not _real_date(date.date):
                self.error(f"dates.{name}.date", f"{date.date!r} is not a date in the calendar")
        self.check_arms(doc)
        if doc.median_follow_up_months is not None and doc.median_follow_up_months < 0:
            self.error("median_follow_up_months", "must not be negative")
        for i, note in enumerate(doc.conduct_notes):
            if note.at_months is not None and note.at_months < 0:
                self.error(f"conduct_notes[{i}].at_months", "must not be negative")
        for i, outcome in enumerate(doc.outcomes):
            self.check_outcome(f"outcomes[{i}]", outcome, arm_keys)
        self.findings("findings", doc.findings, outcome_keys=outcome_keys, allow_trials=False)

    def check_design(self, doc: TrialDocument) -> None:
        design = doc.design
        if design.masking == "none" and design.masked_roles:
            self.error("design.masked_roles", "an open-label trial masks no one")
        if len(set(design.masked_roles)) != len(design.masked_roles):
            self.error("design.masked_roles", "lists a role twice")

    def check_arms(self, doc: TrialDocument) -> None:
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
        if doc.enrollment_type and doc.enrollment is None:
            self.error("enrollment_type", "an enrollment type needs an enrollment number")

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
            single = path.endswith(("intervention", "citation"))
            item_path = path if single else f"{path}[{j}]"
            if not self.exists(record_type, slug):
                self.error(item_path, f"no {record_type} with slug {slug!r}")


def _real_date(text: str) -> bool:
    parts = [int(part) for part in text.split("-")]
    try:
        datetime.date(
            parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1
        )
    except ValueError:
        return False
    return True
