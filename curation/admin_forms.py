"""Plain Django forms for proposing a record in the admin, built from and back into documents.

Editors never type JSON. A record document is split into forms the admin renders:

- ``record``: the record's own fields (``design.blinding`` becomes ``design__blinding``);
- for trials, ``arms`` and ``outcomes`` formsets, a results grid of one small form per
  (outcome row, arm row) cell, and comparison forms beside each outcome row;
- ``proposal``: rationale, supporting citations and the hidden base version.

``document_to_initial`` turns a document into initial form data; ``ProposalForms.to_document``
turns submitted form data back into a document. Everything the forms do not edit (findings,
regimens, conduct notes, notes on single values, ...) is copied unchanged from the base
document, found by the item's original key, so saving a form never drops data.

``ProposalForms.add_errors`` puts the document validator's errors (paths such as
``document.outcomes[2].values[0].ci_low``) on the form field that holds that value; an error
no field holds is shown above the form, naming its path.
"""

from __future__ import annotations

import copy
import re
import typing
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from evidence import documents as docs
from evidence.models import Citation, Intervention

# --- Field helpers ------------------------------------------------------------------------------


def literal_values(model: type[docs.Document], field: str) -> list[str]:
    """The allowed strings of a Literal field in a document model (Optional unwrapped)."""
    found: list[str] = []

    def walk(annotation: Any) -> None:
        if typing.get_origin(annotation) is typing.Literal:
            found.extend(str(v) for v in typing.get_args(annotation))
        else:
            for arg in typing.get_args(annotation):
                walk(arg)

    walk(model.model_fields[field].annotation)
    return found


def humanise(value: str) -> str:
    return docs.ENDPOINT_LABELS.get(value) or value.replace("_", " ").capitalize()


def choice_field(model, field: str, *, required: bool = False, **kwargs) -> forms.ChoiceField:
    # A blank first choice even when required, so an unused extra row stays unchanged.
    choices = [("", "—"), *[(v, humanise(v)) for v in literal_values(model, field)]]
    return forms.ChoiceField(choices=choices, required=required, **kwargs)


class NumberField(forms.CharField):
    """A number as the source gives it: "53" stays the whole number 53, "0.52" a decimal."""

    default_error_messages = {"invalid": "Enter a number, such as 53 or 0.52."}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 6, "inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)

    def prepare_value(self, value):
        return "" if value is None else str(value)


class RecordChoiceField(forms.MultipleChoiceField):
    """Slugs of other records. Selected slugs come first, in the document's order, because
    browsers submit selected options in page order and the order of citations matters."""

    widget = forms.SelectMultiple(attrs={"size": 6})

    def __init__(self, model, *, label_field: str, **kwargs):
        self.model = model
        self.label_field = label_field
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Hold Ctrl (Cmd on a Mac) to select more than one.")
        super().__init__(**kwargs)

    def load_choices(self, selected: list[str]) -> None:
        labels = dict(self.model.objects.values_list("slug", self.label_field))
        ordered = list(dict.fromkeys([*selected, *sorted(labels, key=lambda s: labels[s])]))
        self.choices = [(slug, f"{_short(labels.get(slug) or slug)} ({slug})") for slug in ordered]


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _citations_field(**kwargs) -> RecordChoiceField:
    return RecordChoiceField(Citation, label_field="title", **kwargs)


def _interventions_field(**kwargs) -> RecordChoiceField:
    return RecordChoiceField(Intervention, label_field="name", **kwargs)


def _text(required: bool = False, rows: int | None = None, **kwargs) -> forms.CharField:
    widget = (
        forms.Textarea(attrs={"rows": rows, "cols": 80})
        if rows
        else forms.TextInput(attrs={"size": 60})
    )
    return forms.CharField(required=required, widget=widget, strip=False, **kwargs)


def _nullable_bool(**kwargs) -> forms.NullBooleanField:
    return forms.NullBooleanField(
        required=False,
        widget=forms.Select(choices=[("unknown", "Not stated"), ("true", "Yes"), ("false", "No")]),
        **kwargs,
    )


# --- Record fields, per record type -------------------------------------------------------------


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
        DocField("name", lambda: _text(True, help_text="The name editors use, e.g. Myeloma XI.")),
        DocField("full_title", lambda: _text()),
        DocField(
            "registry_ids",
            lambda: _text(rows=2, help_text="One per line, e.g. NCT: NCT00114101."),
            "registry_ids",
        ),
        DocField("phase", lambda: choice_field(T, "phase")),
        DocField("setting", lambda: choice_field(T, "setting", required=True)),
        DocField("population", lambda: _text(True, rows=3)),
        DocField("enrollment", lambda: forms.IntegerField(required=False, min_value=0)),
        DocField("enrollment_qualifier", lambda: choice_field(T, "enrollment_qualifier")),
        DocField("median_follow_up_months", lambda: NumberField(label="Median follow-up (months)")),
        DocField("design.randomised", lambda: _nullable_bool(label="Randomised")),
        DocField(
            "design.blinding", lambda: choice_field(docs.Design, "blinding", label="Blinding")
        ),
        DocField("design.placebo_controlled", lambda: _nullable_bool(label="Placebo-controlled")),
        DocField("design.multicentre", lambda: _nullable_bool(label="Multicentre")),
        DocField("design.international", lambda: _nullable_bool(label="International")),
        DocField("interventions", _interventions_field),
        DocField("summary", lambda: _text(rows=5, help_text="Plain-language summary.")),
        DocField("citations", _citations_field),
        DocField("notes", lambda: _text(rows=3, help_text="Editorial notes on the source.")),
    ],
    "citation": [
        DocField("slug", lambda: forms.SlugField()),
        DocField("kind", lambda: choice_field(C, "kind", required=True)),
        DocField("title", lambda: _text(True, rows=2)),
        DocField("authors", lambda: _text(rows=3, help_text=LINES_HELP), "lines"),
        DocField("authors_et_al", lambda: forms.BooleanField(required=False, label="et al.")),
        DocField("journal", lambda: _text()),
        DocField("year", lambda: forms.IntegerField(required=False)),
        DocField("volume", lambda: _text()),
        DocField("issue", lambda: _text()),
        DocField("pages", lambda: _text()),
        DocField("published_on", lambda: _text(help_text="Date as the source gives it.")),
        DocField("doi", lambda: _text(label="DOI")),
        DocField("pmid", lambda: _text(label="PMID")),
        DocField("url", lambda: _text(label="URL")),
        DocField("note", lambda: _text(rows=2)),
    ],
    "intervention": [
        DocField("slug", lambda: forms.SlugField()),
        DocField("name", lambda: _text(True)),
        DocField("generic_name", lambda: _text(True)),
        DocField("brand_names", lambda: _text(rows=2, help_text=LINES_HELP), "lines"),
        DocField("drug_class", lambda: _text()),
        DocField("route", lambda: _text()),
        DocField("description", lambda: _text(rows=3)),
        DocField("note", lambda: _text(rows=2)),
    ],
    "topic": [
        DocField("slug", lambda: forms.SlugField()),
        DocField("title", lambda: _text(True)),
        DocField("condition", lambda: _text(True)),
        DocField("summary", lambda: _text(True, rows=5)),
        DocField("byline", lambda: _text()),
        DocField("source_updated", lambda: _text()),
        DocField("citations", _citations_field),
        DocField("notes", lambda: _text(rows=3)),
    ],
}


def _get(document: dict[str, Any], path: str) -> Any:
    node: Any = document
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = document
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value


def _field_initial(spec: DocField, value: Any) -> Any:
    if spec.kind == "lines":
        return "\n".join(value or [])
    if spec.kind == "registry_ids":
        return "\n".join(f"{r.get('registry')}: {r.get('id')}" for r in value or [])
    return value


def _document_value(spec: DocField, value: Any) -> Any:
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

    def __init__(self, record_type: str, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.specs = RECORD_FIELDS[record_type]
        for spec in self.specs:
            self.fields[spec.form_name] = spec.make()
        if not creating:
            # A record's slug never changes; the service would refuse it anyway.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "A record's slug never changes."
        for spec in self.specs:
            field = self.fields[spec.form_name]
            if isinstance(field, RecordChoiceField):
                selected = self.initial.get(spec.form_name) or []
                if self.is_bound:
                    selected = self.data.getlist(self.add_prefix(spec.form_name), selected)
                field.load_choices(list(selected))

    def clean_registry_ids(self):
        text = self.cleaned_data.get("registry_ids") or ""
        allowed = literal_values(docs.RegistryId, "registry")
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and _registry_id(line)["registry"] not in allowed:
                raise ValidationError(
                    f"Line {number}: write the registry ({', '.join(allowed)}), a colon, the id."
                )
        return text


# --- Trial parts: arms, outcomes, results grid, comparisons -------------------------------------


class ItemForm(forms.Form):
    """A list item with a stable key; ``original_key`` finds the item in the base document."""

    original_key = forms.CharField(required=False, widget=forms.HiddenInput)
    key = forms.SlugField(
        max_length=64,
        widget=forms.TextInput(attrs={"size": 12}),
        help_text="Short id, e.g. len.",
    )


class ArmForm(ItemForm):
    label = forms.CharField(max_length=500, widget=forms.TextInput(attrs={"size": 24}))
    role = choice_field(docs.Arm, "role", required=True)
    n = forms.IntegerField(
        required=False, min_value=0, label="Patients", widget=forms.NumberInput(attrs={"size": 6})
    )
    description = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 1, "cols": 30})
    )


class OutcomeForm(ItemForm):
    endpoint = choice_field(docs.Outcome, "endpoint", required=True)
    label = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"size": 28}),
        help_text="As the source words it.",
    )
    measure = choice_field(docs.Outcome, "measure", required=True)
    unit = choice_field(docs.Outcome, "unit", required=True)
    timepoint_months = NumberField(label="At (months)")
    subgroup = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 14}))
    treatment_phase = choice_field(docs.Outcome, "treatment_phase")
    note = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 1, "cols": 24})
    )
    # How many comparison forms this outcome row has (its comparisons plus one blank).
    comparison_slots = forms.IntegerField(
        required=False, initial=1, min_value=1, max_value=20, widget=forms.HiddenInput
    )


CELL_FIELDS = ("value", "not_reached", "qualifier", "ci_low", "ci_high", "ci_level")


class ResultCellForm(forms.Form):
    """One arm's result for one outcome: a cell of the results grid."""

    value = NumberField(label="Value")
    not_reached = forms.BooleanField(required=False, label="Not reached")
    qualifier = choice_field(docs.ArmValue, "qualifier", label="Qualifier")
    ci_low = NumberField(label="CI low", widget=forms.TextInput(attrs={"size": 4}))
    ci_high = NumberField(label="CI high", widget=forms.TextInput(attrs={"size": 4}))
    ci_level = NumberField(label="CI level %", widget=forms.TextInput(attrs={"size": 3}))

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(data.get(name) not in (None, "", False) for name in CELL_FIELDS)


COMPARISON_FIELDS = (
    "kind",
    "arm",
    "reference_arm",
    "estimate",
    "unit",
    "qualifier",
    "ci_low",
    "ci_high",
    "ci_level",
    "p_value",
    "p_value_qualifier",
    "significant",
)


class ComparisonForm(forms.Form):
    """An effect estimate between two arms of an outcome; arms are chosen by grid column."""

    original_key = forms.CharField(required=False, widget=forms.HiddenInput)
    kind = choice_field(docs.Comparison, "kind")
    arm = forms.ChoiceField(required=False, label="Arm")
    reference_arm = forms.ChoiceField(required=False, label="versus")
    estimate = NumberField()
    unit = choice_field(docs.Comparison, "unit", required=True, initial="ratio")
    qualifier = choice_field(docs.Comparison, "qualifier")
    ci_low = NumberField(label="CI low", widget=forms.TextInput(attrs={"size": 4}))
    ci_high = NumberField(label="CI high", widget=forms.TextInput(attrs={"size": 4}))
    ci_level = NumberField(label="CI level %", widget=forms.TextInput(attrs={"size": 3}))
    p_value = NumberField(label="p-value")
    p_value_qualifier = forms.ChoiceField(
        required=False, choices=[("", "—"), ("equal", "="), ("less_than", "<")], label="p"
    )
    significant = _nullable_bool(label="Significant")

    def __init__(self, *args, arm_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["arm"].choices = [("", "—"), *arm_choices]
        self.fields["reference_arm"].choices = [("", "—"), *arm_choices]

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("kind")


ArmFormSet = forms.formset_factory(ArmForm, extra=0, can_delete=True)
OutcomeFormSet = forms.formset_factory(OutcomeForm, extra=0, can_delete=True)


class ProposalMetaForm(forms.Form):
    """Why the change is made, and what supports it."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Why this change is needed, and where it comes from. Reviewers read this.",
    )
    citations = _citations_field(label="Supporting citations")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            selected = self.data.getlist(self.add_prefix("citations"))
        else:
            selected = list(self.initial.get("citations") or [])
        self.fields["citations"].load_choices(selected)


# --- document -> initial form data --------------------------------------------------------------


def _item_initial(item: dict[str, Any], fields) -> dict[str, Any]:
    initial = {name: item.get(name) for name in fields}
    initial["original_key"] = item.get("key")
    return initial


def document_to_initial(record_type: str, document: dict[str, Any] | None) -> dict[str, Any]:
    """Initial data for every form of a proposal, from a record document (None: a new record).

    Returns {"record": {...}, "arms": [...], "outcomes": [...], "cells": {(o, a): {...}},
    "comparisons": {(o, k): {...}}}; grid positions are indexes into the arms and outcomes.
    """
    document = document or {}
    record = {
        spec.form_name: _field_initial(spec, _get(document, spec.path))
        for spec in RECORD_FIELDS[record_type]
    }
    initial: dict[str, Any] = {"record": record}
    if record_type != "trial":
        return initial
    arms = document.get("arms") or []
    outcomes = document.get("outcomes") or []
    arm_index = {arm["key"]: a for a, arm in enumerate(arms)}
    initial["arms"] = [_item_initial(arm, ArmForm.base_fields) for arm in arms]
    initial["outcomes"] = []
    initial["cells"] = {}
    initial["comparisons"] = {}
    for o, outcome in enumerate(outcomes):
        row = _item_initial(outcome, OutcomeForm.base_fields)
        row["comparison_slots"] = len(outcome.get("comparisons") or []) + 1
        initial["outcomes"].append(row)
        for value in outcome.get("values") or []:
            if value.get("arm") in arm_index:
                cell = {name: value.get(name) for name in CELL_FIELDS}
                initial["cells"][(o, arm_index[value["arm"]])] = cell
        for k, comparison in enumerate(outcome.get("comparisons") or []):
            data = {name: comparison.get(name) for name in COMPARISON_FIELDS}
            data["original_key"] = comparison.get("key")
            for side in ("arm", "reference_arm"):
                position = arm_index.get(comparison.get(side))
                data[side] = "" if position is None else str(position)
            initial["comparisons"][(o, k)] = data
    return initial


# --- The forms of one proposal, and form data -> document ---------------------------------------

_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """'outcomes[2].values[0].ci_low' -> ['outcomes', 2, 'values', 0, 'ci_low']."""
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def proposal_meta_form(data, base_version: int, rationale: str, citations) -> ProposalMetaForm:
    """The "why" part every proposal form has: base version, rationale, citations."""
    return ProposalMetaForm(
        data,
        prefix="proposal",
        initial={
            "base_version": base_version,
            "rationale": rationale,
            "citations": list(citations or []),
        },
    )


class ProposalForms:
    """Every form of one proposal, bound to POST data or showing a document."""

    def __init__(
        self,
        record_type: str,
        *,
        base_document: dict[str, Any] | None,
        base_version: int,
        data=None,
        extra_rows: int | None = None,
        creating: bool | None = None,
        rationale: str = "",
        citations: list[str] | None = None,
    ):
        """``base_document`` is what the forms show and what saving starts from (None: a blank
        new record). ``creating`` (default: no base document) leaves the slug editable, as
        when the author edits their own proposal of a new record. ``rationale`` and
        ``citations`` pre-fill the proposal's "why" (editing a proposal already made)."""
        self.record_type = record_type
        self.base_document = base_document
        self.creating = base_document is None if creating is None else creating
        self.is_bound = data is not None
        self.errors_without_field: list[str] = []
        initial = document_to_initial(record_type, base_document)
        self.meta = proposal_meta_form(data, base_version, rationale, citations)
        self.record = RecordForm(
            record_type, data, prefix="record", initial=initial["record"], creating=self.creating
        )
        self.is_trial = record_type == "trial"
        if not self.is_trial:
            return
        extra = extra_rows if extra_rows is not None else (3 if self.creating else 1)
        self.arms = forms.formset_factory(ArmForm, extra=extra, can_delete=True)(
            data, prefix="arms", initial=initial["arms"]
        )
        self.outcomes = forms.formset_factory(OutcomeForm, extra=extra, can_delete=True)(
            data, prefix="outcomes", initial=initial["outcomes"]
        )
        arm_choices = [(str(a), self._arm_label(a, form)) for a, form in enumerate(self.arms.forms)]
        self.cells: dict[tuple[int, int], ResultCellForm] = {}
        self.comparisons: dict[tuple[int, int], ComparisonForm] = {}
        for o, outcome_form in enumerate(self.outcomes.forms):
            for a in range(len(self.arms.forms)):
                self.cells[(o, a)] = ResultCellForm(
                    data,
                    prefix=f"cell-{o}-{a}",
                    initial=initial["cells"].get((o, a)),
                    use_required_attribute=False,
                )
            for k in range(self._comparison_slots(o, outcome_form)):
                self.comparisons[(o, k)] = ComparisonForm(
                    data,
                    prefix=f"cmp-{o}-{k}",
                    initial=initial["comparisons"].get((o, k)),
                    arm_choices=arm_choices,
                    use_required_attribute=False,
                )

    def _arm_label(self, a: int, form: ArmForm) -> str:
        label = form.data.get(form.add_prefix("label")) if self.is_bound else None
        label = label or form.initial.get("label")
        return label or f"New arm {a + 1}"

    def _comparison_slots(self, o: int, form: OutcomeForm) -> int:
        slots = form.initial.get("comparison_slots") or 1
        if self.is_bound:
            try:
                slots = int(form.data.get(form.add_prefix("comparison_slots")) or 1)
            except ValueError:
                slots = 1
        return max(1, min(slots, 20))

    # Rendering helpers ---------------------------------------------------------------------

    def arm_headers(self) -> list[str]:
        return [self._arm_label(a, form) for a, form in enumerate(self.arms.forms)]

    def grid_rows(self) -> list[dict[str, Any]]:
        rows = []
        for o, form in enumerate(self.outcomes.forms):
            label = form.data.get(form.add_prefix("label")) if self.is_bound else None
            rows.append(
                {
                    "label": label or form.initial.get("label") or f"New outcome {o + 1}",
                    "unit": form.initial.get("unit") or "",
                    "cells": [self.cells[(o, a)] for a in range(len(self.arms.forms))],
                    "comparisons": [
                        form for (row, _), form in self.comparisons.items() if row == o
                    ],
                }
            )
        return rows

    def all_forms(self) -> list[forms.Form]:
        found: list[forms.Form] = [self.meta, self.record]
        if self.is_trial:
            found += [*self.arms.forms, *self.outcomes.forms]
            found += [*self.cells.values(), *self.comparisons.values()]
        return found

    # Validation and conversion ---------------------------------------------------------------

    def is_valid(self) -> bool:
        valid = self.meta.is_valid() & self.record.is_valid()
        if self.is_trial:
            valid &= self.arms.is_valid() & self.outcomes.is_valid()
            valid &= all([form.is_valid() for form in self.cells.values()])
            valid &= all([form.is_valid() for form in self.comparisons.values()])
        return bool(valid) and not self.errors_without_field

    @property
    def base_version(self) -> int:
        return self.meta.cleaned_data["base_version"]

    @property
    def rationale(self) -> str:
        return self.meta.cleaned_data["rationale"]

    @property
    def citations(self) -> list[str]:
        return list(self.meta.cleaned_data.get("citations") or [])

    def to_document(self) -> dict[str, Any]:
        """The proposed document: the base document with the forms' values written into it."""
        document = copy.deepcopy(self.base_document or {})
        for spec in self.record.specs:
            if self.record.fields[spec.form_name].disabled:
                continue
            value = self.record.cleaned_data.get(spec.form_name)
            _set(document, spec.path, _document_value(spec, value))
        if self.is_trial:
            self._trial_parts(document)
        return document

    def _kept(self, formset, form) -> bool:
        if formset.can_delete and formset._should_delete_form(form):
            return False
        return form in formset.initial_forms or form.has_changed()

    def _trial_parts(self, document: dict[str, Any]) -> None:
        base = self.base_document or {}
        base_arms = {arm["key"]: arm for arm in base.get("arms") or []}
        base_outcomes = {outcome["key"]: outcome for outcome in base.get("outcomes") or []}
        # Where each document item came from, so validation errors find their form field.
        self.arm_at: dict[int, forms.Form] = {}
        self.outcome_at: dict[int, forms.Form] = {}
        self.cell_at: dict[tuple[int, int], forms.Form] = {}
        self.comparison_at: dict[tuple[int, int], forms.Form] = {}

        arms, arm_keys, renamed = [], {}, {}
        for a, form in enumerate(self.arms.forms):
            if not self._kept(self.arms, form):
                continue
            data = form.cleaned_data
            arm = copy.deepcopy(base_arms.get(data.get("original_key") or "", {}))
            for name in ("key", "label", "role", "n", "description"):
                arm[name] = _blank_to_none(data.get(name))
            arm.setdefault("regimen", [])
            self.arm_at[len(arms)] = form
            arm_keys[a] = arm["key"]
            if data.get("original_key"):
                renamed[data["original_key"]] = arm["key"]
            arms.append(arm)
        document["arms"] = arms

        outcomes = []
        for o, form in enumerate(self.outcomes.forms):
            if not self._kept(self.outcomes, form):
                continue
            data = form.cleaned_data
            base_outcome = base_outcomes.get(data.get("original_key") or "", {})
            outcome = copy.deepcopy(base_outcome)
            for name in (
                "key",
                "endpoint",
                "label",
                "measure",
                "unit",
                "timepoint_months",
                "subgroup",
                "treatment_phase",
                "note",
            ):
                outcome[name] = _blank_to_none(data.get(name))
            outcome.setdefault("citations", [])
            i = len(outcomes)
            self.outcome_at[i] = form
            outcome["values"] = self._values(i, o, base_outcome, arm_keys, renamed)
            outcome["comparisons"] = self._comparisons(i, o, base_outcome, arm_keys)
            outcomes.append(outcome)
        document["outcomes"] = outcomes

    def _values(self, i, o, base_outcome, arm_keys, renamed) -> list[dict[str, Any]]:
        base_values = {
            renamed.get(v.get("arm"), v.get("arm")): v for v in base_outcome.get("values") or []
        }
        cells = {}
        for a, arm_key in arm_keys.items():
            form = self.cells[(o, a)]
            base_value = base_values.get(arm_key)
            if form.is_blank() and not (base_value and base_value.get("note")):
                continue
            value = copy.deepcopy(base_value or {})
            value["arm"] = arm_key
            for name in CELL_FIELDS:
                value[name] = _blank_to_none(form.cleaned_data.get(name))
            value["not_reached"] = bool(value["not_reached"])
            cells[arm_key] = (value, form)
        # Keep the base document's order of values; new ones follow in arm order.
        order = [key for key in base_values if key in cells]
        order += [key for key in cells if key not in order]
        values = []
        for j, key in enumerate(order):
            value, form = cells[key]
            self.cell_at[(i, j)] = form
            values.append(value)
        return values

    def _comparisons(self, i, o, base_outcome, arm_keys) -> list[dict[str, Any]]:
        base_comparisons = {c["key"]: c for c in base_outcome.get("comparisons") or []}
        comparisons = []
        for (row, _), form in self.comparisons.items():
            if row != o or form.is_blank():
                continue
            data = form.cleaned_data
            comparison = copy.deepcopy(base_comparisons.get(data.get("original_key") or "", {}))
            for name in COMPARISON_FIELDS:
                comparison[name] = _blank_to_none(data.get(name))
            for side in ("arm", "reference_arm"):
                position = data.get(side)
                comparison[side] = arm_keys.get(int(position)) if position else None
            if not comparison.get("key"):
                comparison["key"] = _comparison_key(comparison, comparisons)
            self.comparison_at[(i, len(comparisons))] = form
            comparisons.append(comparison)
        return comparisons

    # Errors from the service -----------------------------------------------------------------

    def add_errors(self, errors: list[dict[str, str]]) -> None:
        """Put each service error ({path, message}) on the field that holds the value."""
        for error in errors:
            path, message = error.get("path") or "", error.get("message") or ""
            if not self._place(path, message):
                self.errors_without_field.append(f"{path or 'document'}: {message}")

    def _place(self, path: str, message: str) -> bool:
        parts = parse_path(path)
        if parts[:1] in (["rationale"], ["citations"]):
            self.meta.add_error(parts[0], message)
            return True
        if parts[:1] != ["document"] or len(parts) < 2:
            return False
        parts = parts[1:]
        name = "__".join(str(p) for p in parts if isinstance(p, str))
        if name in self.record.fields and not self.record.fields[name].disabled:
            self.record.add_error(name, _with_item(parts, message))
            return True
        is_item = len(parts) >= 2 and isinstance(parts[1], int)
        if not (self.is_trial and is_item and parts[0] in ("arms", "outcomes")):
            return self._on_record_field(parts, message)
        top, i, rest = parts[0], parts[1], parts[2:]
        if top == "arms" and i in getattr(self, "arm_at", {}):
            return _on_form(self.arm_at[i], rest, path, message)
        if top != "outcomes" or i not in getattr(self, "outcome_at", {}):
            return False
        if rest[:1] == ["values"] and len(rest) >= 2 and (i, rest[1]) in self.cell_at:
            return _on_form(self.cell_at[(i, rest[1])], rest[2:], path, message)
        if rest[:1] == ["comparisons"] and len(rest) >= 2 and (i, rest[1]) in self.comparison_at:
            return _on_form(self.comparison_at[(i, rest[1])], rest[2:], path, message)
        return _on_form(self.outcome_at[i], rest, path, message)

    def _on_record_field(self, parts, message) -> bool:
        name = str(parts[0])
        if name in self.record.fields and not self.record.fields[name].disabled:
            self.record.add_error(name, _with_item(parts, message))
            return True
        return False

    def non_field_errors(self) -> list[str]:
        return list(self.errors_without_field)


def _on_form(form: forms.Form, rest: list[str | int], path: str, message: str) -> bool:
    field = rest[0] if rest and isinstance(rest[0], str) else None
    if field in form.fields and len(rest) == 1:
        form.add_error(field, message)
    else:
        form.add_error(None, f"{path}: {message}")
    return True


def _with_item(parts: list[str | int], message: str) -> str:
    indexes = [p for p in parts if isinstance(p, int)]
    return f"item {indexes[0] + 1}: {message}" if indexes else message


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
        return value if value.strip() else None
    return value


def _comparison_key(comparison: dict[str, Any], siblings: list[dict[str, Any]]) -> str:
    key = f"{comparison.get('arm') or 'arm'}_vs_{comparison.get('reference_arm') or 'reference'}"
    taken = {c.get("key") for c in siblings}
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}_{n}", n + 1
    return candidate


class RationaleForms:
    """The "why" of a retraction: a retraction proposes no document, so only the rationale
    and citations can be edited. Same interface as ``ProposalForms`` (``record`` is None)."""

    is_trial = False
    record = None

    def __init__(self, *, base_version: int, data=None, rationale="", citations=None):
        self.is_bound = data is not None
        self.errors_without_field: list[str] = []
        self.meta = proposal_meta_form(data, base_version, rationale, citations)

    def all_forms(self) -> list[forms.Form]:
        return [self.meta]

    @property
    def base_version(self) -> int:
        return self.meta.cleaned_data["base_version"]

    def is_valid(self) -> bool:
        return self.meta.is_valid() and not self.errors_without_field

    @property
    def rationale(self) -> str:
        return self.meta.cleaned_data["rationale"]

    @property
    def citations(self) -> list[str]:
        return list(self.meta.cleaned_data.get("citations") or [])

    def to_document(self) -> None:
        return None

    def add_errors(self, errors: list[dict[str, str]]) -> None:
        for error in errors:
            path, message = error.get("path") or "", error.get("message") or ""
            field = parse_path(path)[:1]
            if field in (["rationale"], ["citations"]):
                self.meta.add_error(field[0], message)
            else:
                self.errors_without_field.append(f"{path or 'request'}: {message}")

    def non_field_errors(self) -> list[str]:
        return list(self.errors_without_field)


# --- Encoding forms as POST data (tests, and re-rendering) ------------------------------------


def form_post_data(forms_: ProposalForms) -> dict[str, Any]:
    """The POST data a browser would send for the forms as shown (unbound, with initial data)."""
    data: dict[str, Any] = {}
    for formset in [forms_.arms, forms_.outcomes] if forms_.is_trial else []:
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = str(value)
    for form in forms_.all_forms():
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            widget = bound.field.widget
            if isinstance(bound.field, forms.NullBooleanField):
                data[bound.html_name] = {True: "true", False: "false"}.get(value, "unknown")
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(widget, forms.SelectMultiple):
                data[bound.html_name] = list(value or [])
            else:
                formatted = bound.field.prepare_value(value)
                data[bound.html_name] = "" if formatted is None else str(formatted)
    return data
