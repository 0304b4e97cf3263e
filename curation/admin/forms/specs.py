"""The record's own fields, per record type: which document field each form field edits
(``RECORD_FIELDS``), how its value maps between document and form, and ``RecordForm``."""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from evidence import documents as docs
from evidence.documents import literal_values

from .fields import (
    LabelCache,
    NumberField,
    char_field,
    choice_field,
    choices_field,
    citations_field,
    flag,
    interventions_field,
    load_record_choices,
    nullable_bool,
)


@dataclass(frozen=True)
class DocField:
    """One document field edited by one form field. ``path`` may be dotted (``design.x``)."""

    path: str
    make: typing.Callable[[], forms.Field]
    # how the form value maps to the document:
    # value | lines | registry_ids | conditions | choices (several values of a vocabulary)
    kind: str = "value"

    @property
    def form_name(self) -> str:
        return self.path.replace(".", "__")


T, C = docs.TrialDocument, docs.CitationDocument
LINES_HELP = "One per line."
# A registry id the source does not give: "NCT: NCT00114101 (editorial)".
EDITORIAL_MARK = "(editorial)"
CONDITION_SEPARATOR = "|"
ESCAPED_SEPARATOR = "\\|"
UNESCAPED_SEPARATOR = re.compile(r"(?<!\\)\|")
TRIAL_DATES = (
    ("start", "Start date"),
    ("primary_completion", "Primary completion date"),
    ("completion", "Completion date"),
)

RECORD_FIELDS: dict[str, list[DocField]] = {
    "trial": [
        DocField("slug", lambda: forms.SlugField(help_text="Short name in URLs; fixed later.")),
        DocField(
            "name", lambda: char_field(True, help_text="The name editors use, e.g. Myeloma XI.")
        ),
        DocField(
            "name_editorial",
            lambda: flag(
                "Name is editorial",
                help_text="The source does not name the trial: editors identified it.",
            ),
        ),
        DocField("full_title", lambda: char_field()),
        DocField(
            "registry_ids",
            lambda: char_field(
                rows=2,
                help_text=(
                    "One per line: the registry, a colon, the id, e.g. NCT: NCT00114101. "
                    f"End the line with {EDITORIAL_MARK} when the source does not give the id "
                    "and editors identified it."
                ),
            ),
            "registry_ids",
        ),
        DocField(
            "conditions",
            lambda: char_field(
                rows=2,
                help_text=(
                    "One per line, as the source names it; a code after a bar, then its "
                    "coding system: Multiple myeloma | C90.0 | ICD-10. A bar that is part "
                    "of the name is written \\|."
                ),
            ),
            "conditions",
        ),
        DocField("phases", lambda: choices_field(T, "phases", label="Phases"), "choices"),
        DocField(
            "design.allocation", lambda: choice_field(docs.Design, "allocation", label="Allocation")
        ),
        DocField(
            "design.masking",
            lambda: choice_field(
                docs.Design, "masking", label="Masking", help_text="None: open label."
            ),
        ),
        DocField(
            "design.masked_roles",
            lambda: choices_field(docs.Design, "masked_roles", label="Who is masked"),
            "choices",
        ),
        DocField("design.model", lambda: choice_field(docs.Design, "model", label="Design model")),
        DocField("design.placebo_controlled", lambda: nullable_bool(label="Placebo-controlled")),
        DocField("design.multicentre", lambda: nullable_bool(label="Multicentre")),
        DocField("design.international", lambda: nullable_bool(label="International")),
        DocField(
            "setting",
            lambda: choice_field(
                T, "setting", help_text="A controlled setting; give it, the words below, or both."
            ),
        ),
        DocField(
            "setting_text",
            lambda: char_field(rows=2, label="Setting in words", help_text="As the source says."),
        ),
        DocField("population", lambda: char_field(True, rows=3)),
        DocField("enrollment", lambda: forms.IntegerField(required=False, min_value=0)),
        DocField("enrollment_qualifier", lambda: choice_field(T, "enrollment_qualifier")),
        DocField(
            "enrollment_type",
            lambda: choice_field(T, "enrollment_type", help_text="Actual or anticipated."),
        ),
        *[
            field
            for name, label in TRIAL_DATES
            for field in (
                DocField(
                    f"dates.{name}.date",
                    lambda label=label: char_field(
                        label=label, help_text="YYYY, YYYY-MM or YYYY-MM-DD, as precise as given."
                    ),
                ),
                DocField(
                    f"dates.{name}.type",
                    lambda label=label: choice_field(
                        docs.PartialDate, "type", label=f"{label}: actual or anticipated"
                    ),
                ),
            )
        ],
        DocField("median_follow_up_months", lambda: NumberField(label="Median follow-up (months)")),
        DocField("interventions", interventions_field),
        DocField("summary", lambda: char_field(rows=5, help_text="Plain-language summary.")),
        DocField("citations", citations_field),
        DocField("notes", lambda: char_field(rows=3, help_text="Editorial notes on the source.")),
    ],
    "citation": [
        DocField("slug", lambda: forms.SlugField()),
        DocField("kind", lambda: choice_field(C, "kind", required=True)),
        DocField("title", lambda: char_field(True, rows=2)),
        DocField("authors", lambda: char_field(rows=3, help_text=LINES_HELP), "lines"),
        DocField("authors_et_al", lambda: forms.BooleanField(required=False, label="et al.")),
        DocField("journal", lambda: char_field()),
        DocField("year", lambda: forms.IntegerField(required=False)),
        DocField("volume", lambda: char_field()),
        DocField("issue", lambda: char_field()),
        DocField("pages", lambda: char_field()),
        DocField("published_on", lambda: char_field(help_text="Date as the source gives it.")),
        DocField("doi", lambda: char_field(label="DOI")),
        DocField("pmid", lambda: char_field(label="PMID")),
        DocField("url", lambda: char_field(label="URL")),
        DocField("note", lambda: char_field(rows=2)),
    ],
    "intervention": [
        DocField("slug", lambda: forms.SlugField()),
        DocField("name", lambda: char_field(True)),
        DocField("generic_name", lambda: char_field(True)),
        DocField("brand_names", lambda: char_field(rows=2, help_text=LINES_HELP), "lines"),
        DocField("drug_class", lambda: char_field()),
        DocField("route", lambda: char_field()),
        DocField("description", lambda: char_field(rows=3)),
        DocField("note", lambda: char_field(rows=2)),
    ],
    "topic": [
        DocField("slug", lambda: forms.SlugField()),
        DocField("title", lambda: char_field(True)),
        DocField("condition", lambda: char_field(True)),
        DocField("summary", lambda: char_field(True, rows=5)),
        DocField("byline", lambda: char_field()),
        DocField("source_updated", lambda: char_field()),
        DocField("citations", citations_field),
        DocField("notes", lambda: char_field(rows=3)),
    ],
}


def get_path(document: dict[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = document
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value


def field_initial(spec: DocField, value: Any) -> Any:
    if spec.kind == "lines":
        return "\n".join(value or [])
    if spec.kind == "registry_ids":
        return "\n".join(_registry_id_line(r) for r in value or [])
    if spec.kind == "conditions":
        return "\n".join(_condition_line(c) for c in value or [])
    if spec.kind == "choices":
        return list(value or [])
    return value


def document_value(spec: DocField, value: Any, base: Any = None) -> Any:
    """The document's value of a form field; ``base`` is the value the record had (a list of
    choices keeps its order when the same values stay chosen)."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    if spec.kind == "lines":
        return [line.strip() for line in (value or "").splitlines() if line.strip()]
    if spec.kind == "registry_ids":
        return [_registry_id(line) for line in (value or "").splitlines() if line.strip()]
    if spec.kind == "conditions":
        return [_condition(line) for line in (value or "").splitlines() if line.strip()]
    if spec.kind == "choices":
        chosen = list(value or [])
        if isinstance(base, list) and sorted(map(str, base)) == sorted(chosen):
            return base
        return chosen
    if isinstance(value, str) and not value.strip():
        return None
    return value


def drop_empty_dates(document: dict[str, Any]) -> None:
    """A date the form leaves blank (no date, no type) is null in the document."""
    dates = document.get("dates")
    if not isinstance(dates, dict):
        return
    for name, _ in TRIAL_DATES:
        date = dates.get(name)
        if isinstance(date, dict) and all(value is None for value in date.values()):
            dates[name] = None


def _registry_id_line(registry_id: dict[str, Any]) -> str:
    line = f"{registry_id.get('registry')}: {registry_id.get('id')}"
    return f"{line} {EDITORIAL_MARK}" if registry_id.get("editorial") else line


def _registry_id(line: str) -> dict[str, Any]:
    registry, _, ident = line.partition(":")
    ident = ident.strip()
    editorial = ident.endswith(EDITORIAL_MARK)
    if editorial:
        ident = ident.removesuffix(EDITORIAL_MARK).strip()
    return {"registry": registry.strip(), "id": ident, "editorial": editorial}


def _condition_line(condition: dict[str, Any]) -> str:
    parts = [condition.get("text") or ""]
    if condition.get("code") is not None or condition.get("system") is not None:
        parts += [condition.get("code") or "", condition.get("system") or ""]
    # A bar inside a part is written "\|", so that it is not read as a separator.
    escaped = [part.replace(CONDITION_SEPARATOR, ESCAPED_SEPARATOR) for part in parts]
    return f" {CONDITION_SEPARATOR} ".join(escaped)


def _condition_parts(line: str) -> list[str]:
    r"""A condition line split at its bars, except a bar written "\|" (part of the text)."""
    parts = UNESCAPED_SEPARATOR.split(line)
    return [part.strip().replace(ESCAPED_SEPARATOR, CONDITION_SEPARATOR) for part in parts]


def _condition(line: str) -> dict[str, Any]:
    text, code, system = [*_condition_parts(line), "", ""][:3]
    return {"text": text, "code": code or None, "system": system or None}


class RecordForm(forms.Form):
    """The record's own fields; built per record type from RECORD_FIELDS."""

    def __init__(
        self, record_type: str, *args, creating: bool, labels: LabelCache | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.specs = RECORD_FIELDS[record_type]
        for spec in self.specs:
            self.fields[spec.form_name] = spec.make()
        if not creating:
            # A record's slug never changes; the service would refuse it anyway.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "A record's slug never changes."
        load_record_choices(self, labels)

    def clean_registry_ids(self):
        text = self.cleaned_data.get("registry_ids") or ""
        allowed = literal_values(docs.RegistryId, "registry")
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and _registry_id(line)["registry"] not in allowed:
                raise ValidationError(
                    f"Line {number}: write the registry ({', '.join(allowed)}), a colon, the id."
                )
        return text

    def clean_conditions(self):
        text = self.cleaned_data.get("conditions") or ""
        systems = literal_values(docs.Condition, "system")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            if len(_condition_parts(line)) > 3:
                raise ValidationError(
                    f"Line {number}: write the condition, then at most a code and its system, "
                    f"each after a {CONDITION_SEPARATOR}."
                )
            system = _condition(line)["system"]
            if system is not None and system not in systems:
                raise ValidationError(
                    f"Line {number}: the coding system is one of {', '.join(systems)}, "
                    f"not {system!r}."
                )
        return text
