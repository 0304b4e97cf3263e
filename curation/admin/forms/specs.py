"""The record's own fields, per record type: which document field each form field edits
(``RECORD_FIELDS``), how its value maps between document and form, and ``RecordForm``."""

from __future__ import annotations

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
    citations_field,
    interventions_field,
    load_record_choices,
    nullable_bool,
)


@dataclass(frozen=True)
class DocField:
    """One document field edited by one form field. ``path`` may be dotted (``design.x``)."""

    path: str
    make: typing.Callable[[], forms.Field]
    # how the form value maps to the document: value | lines | registry_ids
    kind: str = "value"

    @property
    def form_name(self) -> str:
        return self.path.replace(".", "__")


T, C = docs.TrialDocument, docs.CitationDocument
LINES_HELP = "One per line."

RECORD_FIELDS: dict[str, list[DocField]] = {
    "trial": [
        DocField("slug", lambda: forms.SlugField(help_text="Short name in URLs; fixed later.")),
        DocField(
            "name", lambda: char_field(True, help_text="The name editors use, e.g. Myeloma XI.")
        ),
        DocField("full_title", lambda: char_field()),
        DocField(
            "registry_ids",
            lambda: char_field(rows=2, help_text="One per line, e.g. NCT: NCT00114101."),
            "registry_ids",
        ),
        DocField("setting_text", lambda: char_field(rows=2)),
        DocField("setting", lambda: choice_field(T, "setting")),
        DocField("population", lambda: char_field(True, rows=3)),
        DocField("enrollment", lambda: forms.IntegerField(required=False, min_value=0)),
        DocField("enrollment_qualifier", lambda: choice_field(T, "enrollment_qualifier")),
        DocField("median_follow_up_months", lambda: NumberField(label="Median follow-up (months)")),
        DocField(
            "design.allocation", lambda: choice_field(docs.Design, "allocation", label="Allocation")
        ),
        DocField("design.masking", lambda: choice_field(docs.Design, "masking", label="Masking")),
        DocField("design.placebo_controlled", lambda: nullable_bool(label="Placebo-controlled")),
        DocField("design.multicentre", lambda: nullable_bool(label="Multicentre")),
        DocField("design.international", lambda: nullable_bool(label="International")),
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
        return "\n".join(f"{r.get('registry')}: {r.get('id')}" for r in value or [])
    return value


def document_value(spec: DocField, value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    if spec.kind == "lines":
        return [line.strip() for line in (value or "").splitlines() if line.strip()]
    if spec.kind == "registry_ids":
        return [_registry_id(line) for line in (value or "").splitlines() if line.strip()]
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _registry_id(line: str) -> dict[str, str]:
    registry, _, ident = line.partition(":")
    return {"registry": registry.strip(), "id": ident.strip()}


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
