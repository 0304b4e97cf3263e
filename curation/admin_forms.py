"""Plain Django forms for proposing a record in the admin, built from and back into documents.

Editors never type JSON. A record document is split into forms the admin renders:

- ``record``: the record's own fields (``design.blinding`` becomes ``design__blinding``);
- for trials: ``arms`` (each with a small ``regimen`` formset of its regimen parts) and
  ``outcomes`` formsets, a results grid of one small form per (outcome row, arm row) cell
  (value, interval and the note on that single value), comparison forms beside each outcome
  row, ``conduct_notes`` and ``findings`` formsets;
- for topics: ``sections`` (heading, body paragraphs, setting, interventions and the trials
  the section lists, in order) and ``findings`` formsets;
- ``proposal``: rationale, supporting citations and the hidden base version.

Items with a ``key`` (arms, outcomes, comparisons, findings, conduct notes, sections) are
found in the base document by their original key, so a saved form starts from the base item
and changes only what the form edits; diffs and merges stay per item. Lists whose order
matters to readers (findings, conduct notes, sections, regimen parts) have a "Position"
column; the trials of a section are numbered drop-downs, first box first.

``document_to_initial`` turns a document into initial form data; ``ProposalForms.to_document``
turns submitted form data back into a document. Loading a record's forms and saving them
unchanged gives back the same document.

``ProposalForms(..., add_row_to=...)`` re-renders submitted data with one more blank row in
one list (the "Add ..." buttons), keeping what was typed and showing no errors.

``ProposalForms.add_errors`` puts the document validator's errors (paths such as
``document.outcomes[2].values[0].ci_low`` or ``document.sections[0].trials[2]``) on the form
field that holds that value; an error no field holds is shown above the form, naming its path.
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
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.html import format_html, format_html_join

from evidence import documents as docs
from evidence.documents import literal_values
from evidence.models import Citation, Intervention, Trial

# --- Field helpers ------------------------------------------------------------------------------


def humanise(value: str) -> str:
    label = docs.ENDPOINT_LABELS.get(value) or docs.SETTING_LABELS.get(value)
    return label or value.replace("_", " ").capitalize()


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


class LabelCache:
    """Labels of other records (slug -> title or name), read once per page for all its forms."""

    def __init__(self):
        self._labels: dict[tuple[Any, str], dict[str, str]] = {}

    def get(self, model, label_field: str) -> dict[str, str]:
        key = (model, label_field)
        if key not in self._labels:
            self._labels[key] = dict(model.objects.values_list("slug", label_field))
        return self._labels[key]


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

    def load_choices(self, selected: list[str], labels: LabelCache | None = None) -> None:
        labels_ = (labels or LabelCache()).get(self.model, self.label_field)
        ordered = list(dict.fromkeys([*selected, *sorted(labels_, key=lambda s: labels_[s])]))
        self.choices = [(slug, _record_label(labels_, slug)) for slug in ordered]


def _record_label(labels: dict[str, str], slug: str) -> str:
    return f"{_short(labels.get(slug) or slug)} ({slug})"


class OrderedSelects(forms.SelectMultiple):
    """A list as numbered drop-downs: one per chosen item, then ``spare`` empty ones.

    Every box has the same name, so the browser sends the chosen values in the order of the
    boxes; empty boxes are dropped. The order is the order of the boxes, which an editor sets
    by choosing the items box by box. No JavaScript needed.
    """

    def __init__(self, attrs=None, choices=(), spare: int = 1):
        super().__init__(attrs, choices)
        self.spare = spare

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
        if isinstance(values, str):
            values = [values]
        return [value for value in values if value]

    def render(self, name, value, attrs=None, renderer=None):
        chosen = [v for v in self.format_value(value) if v]
        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.pop("id", None)
        box = forms.Select(choices=[("", "—"), *self.choices])
        boxes = []
        for i, slug in enumerate([*chosen, *[""] * self.spare]):
            box_attrs = {**attrs, "aria-label": f"{i + 1}."}
            if base_id:
                box_attrs["id"] = f"{base_id}_{i}"
            boxes.append((box.render(name, slug, box_attrs, renderer),))
        return format_html(
            '<ol class="ordered-selects">{}</ol>', format_html_join("", "<li>{}</li>", boxes)
        )

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


class OrderedRecordChoiceField(RecordChoiceField):
    """Slugs of other records in an order the editor sets: numbered drop-downs."""

    widget = OrderedSelects

    def load_choices(self, selected: list[str], labels: LabelCache | None = None) -> None:
        labels_ = (labels or LabelCache()).get(self.model, self.label_field)
        # Every box lists the same records; a slug the database does not know (yet) stays
        # choosable so the document round-trips and the validator names it.
        ordered = sorted(labels_, key=lambda s: labels_[s])
        ordered += [slug for slug in dict.fromkeys(selected) if slug not in labels_]
        self.choices = [(slug, _record_label(labels_, slug)) for slug in ordered]

    def validate(self, value):
        super().validate(value)
        twice = [slug for i, slug in enumerate(value) if slug in value[:i]]
        if twice:
            raise ValidationError(f"{twice[0]} is chosen twice; choose each one once.")


class RecordSelectField(forms.ChoiceField):
    """The slug of one other record, or none."""

    def __init__(self, model, *, label_field: str, **kwargs):
        self.model = model
        self.label_field = label_field
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def load_choices(self, selected: list[str], labels: LabelCache | None = None) -> None:
        labels_ = (labels or LabelCache()).get(self.model, self.label_field)
        ordered = sorted(labels_, key=lambda s: labels_[s])
        ordered += [slug for slug in selected if slug and slug not in labels_]
        self.choices = [("", "—"), *[(slug, _record_label(labels_, slug)) for slug in ordered]]


def load_record_choices(form: forms.Form, labels: LabelCache | None) -> None:
    """Fill the choices of a form's record fields, keeping what is selected (or submitted)."""
    for name, field in form.fields.items():
        if not isinstance(field, RecordChoiceField | RecordSelectField):
            continue
        if form.is_bound:
            selected = field.widget.value_from_datadict(
                form.data, form.files, form.add_prefix(name)
            )
        else:
            selected = form.initial.get(name)
        if isinstance(selected, str | type(None)):
            selected = [selected] if selected else []
        field.load_choices(list(selected), labels)


class TextField(forms.CharField):
    """Text kept exactly as typed (no stripping, so documents round-trip), where a required
    text made only of spaces still counts as missing."""

    def __init__(self, *, rows: int | None = None, size: int = 60, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        kwargs.setdefault(
            "widget",
            forms.Textarea(attrs={"rows": rows, "cols": 80})
            if rows
            else forms.TextInput(attrs={"size": size}),
        )
        super().__init__(**kwargs)

    def validate(self, value):
        if self.required and not (value or "").strip():
            raise ValidationError(self.error_messages["required"], code="required")
        super().validate(value)


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


class NotStatedYesNo(forms.NullBooleanSelect):
    """Yes / No / "Not stated". NullBooleanSelect, because it marks True as the "true"
    option when it renders (a plain Select would look for "True", select nothing, and the
    browser would send "Not stated")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "Not stated"), ("true", "Yes"), ("false", "No")]


def _nullable_bool(**kwargs) -> forms.NullBooleanField:
    return forms.NullBooleanField(required=False, widget=NotStatedYesNo, **kwargs)


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


# --- List items: arms, outcomes, regimen parts, findings, conduct notes, sections ---------------


class RecordChoicesForm(forms.Form):
    """A form whose record fields (citations, interventions, trials) load their choices."""

    def __init__(self, *args, labels: LabelCache | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        load_record_choices(self, labels)


class ItemForm(RecordChoicesForm):
    """A list item with a stable key; ``original_key`` finds the item in the base document."""

    original_key = forms.CharField(required=False, widget=forms.HiddenInput)
    key = forms.SlugField(
        max_length=64,
        widget=forms.TextInput(attrs={"size": 12}),
        help_text="Short id, e.g. len.",
    )
    # Document fields this form edits besides the key; the rest is kept from the base item.
    document_fields: tuple[str, ...] = ()
    # Fields a new item gets when the form does not edit them (the document's defaults).
    new_item_defaults: dict[str, Any] = {}

    def document_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: _blank_to_none(data.get(name)) for name in ("key", *self.document_fields)}


class ArmForm(ItemForm):
    label = forms.CharField(max_length=500, widget=forms.TextInput(attrs={"size": 24}))
    role = choice_field(docs.Arm, "role", required=True)
    n = forms.IntegerField(
        required=False, min_value=0, label="Patients", widget=forms.NumberInput(attrs={"size": 6})
    )
    description = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 1, "cols": 30})
    )
    document_fields = ("label", "role", "n", "description")


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
        required=False,
        initial=1,
        min_value=1,
        max_value=docs.MAX_COMPARISONS,
        widget=forms.HiddenInput,
    )
    document_fields = (
        "endpoint",
        "label",
        "measure",
        "unit",
        "timepoint_months",
        "subgroup",
        "treatment_phase",
        "note",
    )


REGIMEN_FIELDS = ("intervention", "description", "phase")


class RegimenPartForm(RecordChoicesForm):
    """One part of an arm's regimen (regimen parts have no key: the list is one value)."""

    intervention = RecordSelectField(Intervention, label_field="name")
    description = TextField(required=True, max_length=500, size=36)
    phase = choice_field(docs.RegimenComponent, "phase", label="Phase")

    def document_values(self) -> dict[str, Any]:
        return {name: _blank_to_none(self.cleaned_data.get(name)) for name in REGIMEN_FIELDS}


class ConductNoteForm(ItemForm):
    kind = choice_field(docs.ConductNote, "kind", required=True)
    text = TextField(required=True, rows=2, max_length=20_000)
    at_months = NumberField(label="At (months)", help_text="Median follow-up when it happened.")
    patients = forms.IntegerField(
        required=False, min_value=0, widget=forms.NumberInput(attrs={"size": 6})
    )
    document_fields = ("kind", "text", "at_months", "patients")


class FindingForm(ItemForm):
    statement = TextField(required=True, rows=3, max_length=20_000)
    kind = choice_field(docs.Finding, "kind", required=True)
    citations = _citations_field()
    note = TextField(rows=2)
    document_fields = ("statement", "kind", "citations", "note")


class TrialFindingForm(FindingForm):
    """A trial's finding rests on outcomes of the same trial, chosen by their outcome row."""

    outcomes = forms.MultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="Outcomes of this trial the statement rests on (Ctrl or Cmd for several).",
    )
    field_order = ["key", "statement", "kind", "outcomes", "citations", "note"]
    new_item_defaults = {"trials": []}

    def __init__(self, *args, outcome_choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["outcomes"]
        if self.is_bound:
            selected = field.widget.value_from_datadict(
                self.data, self.files, self.add_prefix("outcomes")
            )
        else:
            selected = self.initial.get("outcomes") or []
        # Chosen outcomes first, in the finding's order (browsers send page order).
        labels = dict(outcome_choices)
        ordered = list(dict.fromkeys([*[s for s in selected if s in labels], *labels]))
        field.choices = [(position, labels[position]) for position in ordered]


class TopicFindingForm(FindingForm):
    trials = RecordChoiceField(
        Trial, label_field="name", help_text="Trials the statement is about (Ctrl or Cmd)."
    )
    field_order = ["key", "statement", "kind", "trials", "citations", "note"]
    document_fields = ("statement", "kind", "trials", "citations", "note")
    new_item_defaults = {"outcomes": []}


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def paragraphs(text: str | None) -> list[str]:
    """Body text -> paragraphs: a blank line separates two paragraphs."""
    parts = PARAGRAPH_BREAK.split((text or "").replace("\r\n", "\n"))
    return [part.strip("\n") for part in parts if part.strip()]


class SectionForm(ItemForm):
    heading = TextField(required=True, max_length=500)
    body = TextField(
        rows=6,
        max_length=200_000,
        help_text="Paragraphs of plain text; leave a blank line between two paragraphs.",
    )
    setting = choice_field(docs.TopicSection, "setting")
    interventions = _interventions_field()
    trials = OrderedRecordChoiceField(
        Trial,
        label_field="name",
        help_text=(
            "The trials this section shows, in the order the topic page lists them: box 1 "
            "first. To change the order, choose the trials again box by box; empty a box to "
            "remove its trial."
        ),
    )
    document_fields = ("heading", "body", "setting", "interventions", "trials")

    def __init__(self, *args, more_trial_boxes_for: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if more_trial_boxes_for == self.add_prefix("trials"):
            self.fields["trials"].widget.spare = 2

    def document_values(self) -> dict[str, Any]:
        values = super().document_values()
        values["body"] = paragraphs(self.cleaned_data.get("body"))
        return values


class ItemFormSet(forms.BaseFormSet):
    """Formsets of list items: a "Remove" box, and a "Position" where order matters."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if forms.formsets.ORDERING_FIELD_NAME in form.fields:
            field = form.fields[forms.formsets.ORDERING_FIELD_NAME]
            field.label = "Position"
            field.help_text = (
                "To move a row, type the position it should have: the others make room. "
                "To reorder several rows, number them all. A new row goes last unless numbered."
            )
            field.widget.attrs.update({"size": 3, "style": "width: 4em"})
        if forms.formsets.DELETION_FIELD_NAME in form.fields:
            form.fields[forms.formsets.DELETION_FIELD_NAME].label = "Remove"


def kept_forms(formset: forms.BaseFormSet) -> list[forms.Form]:
    """The forms that become list items, in the list's order (by Position where there is one).

    A row is kept when it showed an item of the base document or was filled in, and its
    "Remove" box is not ticked.
    """
    kept = [
        form
        for i, form in enumerate(formset.forms)
        if not (formset.can_delete and formset._should_delete_form(form))
        and (i < formset.initial_form_count() or form.has_changed())
    ]
    if formset.can_order:
        kept.sort(key=_position)
    return kept


def _position(form: forms.Form) -> tuple:
    """Where a row goes. A row takes the position typed in it and the others make room: a
    new row or a row moved up goes before the row that had that position, a row moved down
    after it. Unnumbered rows go last; otherwise the page order holds (the sort is stable)."""
    name = forms.formsets.ORDERING_FIELD_NAME
    position, shown = form.cleaned_data.get(name), form.fields[name].initial
    if position is None:
        return (1, 0, 0)
    moved = 0 if position == shown else 1 if shown is not None and position > shown else -1
    return (0, position, moved)


CELL_FIELDS = ("value", "not_reached", "qualifier", "ci_low", "ci_high", "ci_level", "note")


class ResultCellForm(forms.Form):
    """One arm's result for one outcome: a cell of the results grid."""

    value = NumberField(label="Value")
    not_reached = forms.BooleanField(required=False, label="Not reached")
    qualifier = choice_field(docs.ArmValue, "qualifier", label="Qualifier")
    ci_low = NumberField(label="CI low", widget=forms.TextInput(attrs={"size": 4}))
    ci_high = NumberField(label="CI high", widget=forms.TextInput(attrs={"size": 4}))
    ci_level = NumberField(label="CI level %", widget=forms.TextInput(attrs={"size": 3}))
    note = forms.CharField(
        required=False,
        strip=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 1, "cols": 22}),
        help_text="A note on this single value, e.g. where the source gives it.",
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(_blank_to_none(data.get(name)) not in (None, False) for name in CELL_FIELDS)


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


def _items_initial(items: list[dict[str, Any]] | None, form_class) -> list[dict[str, Any]]:
    return [_item_initial(item, form_class.base_fields) for item in items or []]


def document_to_initial(record_type: str, document: dict[str, Any] | None) -> dict[str, Any]:
    """Initial data for every form of a proposal, from a record document (None: a new record).

    Returns {"record": {...}} and, for trials, {"arms": [...], "regimens": [[...] per arm],
    "outcomes": [...], "cells": {(o, a): {...}}, "comparisons": {(o, k): {...}},
    "conduct_notes": [...], "findings": [...]}, for topics {"sections": [...],
    "findings": [...]}; grid positions and a finding's outcomes are indexes into the arms and
    outcomes.
    """
    document = document or {}
    record = {
        spec.form_name: _field_initial(spec, _get(document, spec.path))
        for spec in RECORD_FIELDS[record_type]
    }
    initial: dict[str, Any] = {"record": record}
    if record_type == "topic":
        initial["sections"] = _items_initial(document.get("sections"), SectionForm)
        for section in initial["sections"]:
            section["body"] = "\n\n".join(section["body"] or [])
        initial["findings"] = _items_initial(document.get("findings"), TopicFindingForm)
    if record_type != "trial":
        return initial
    arms = document.get("arms") or []
    outcomes = document.get("outcomes") or []
    arm_index = {arm["key"]: a for a, arm in enumerate(arms)}
    outcome_index = {outcome["key"]: o for o, outcome in enumerate(outcomes)}
    initial["arms"] = _items_initial(arms, ArmForm)
    initial["regimens"] = [
        [{name: part.get(name) for name in REGIMEN_FIELDS} for part in arm.get("regimen") or []]
        for arm in arms
    ]
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
    initial["conduct_notes"] = _items_initial(document.get("conduct_notes"), ConductNoteForm)
    initial["findings"] = _items_initial(document.get("findings"), TrialFindingForm)
    for finding in initial["findings"]:
        finding["outcomes"] = [
            str(outcome_index[key]) for key in finding["outcomes"] or [] if key in outcome_index
        ]
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


# Lists of keyed items a validator path can start with, by record type.
ITEM_LISTS = {
    "trial": ("arms", "outcomes", "conduct_notes", "findings"),
    "topic": ("sections", "findings"),
}


# How many rows each list of the proposal form may have: the document's limits. The results
# grid is one form per (outcome, arm) and a regimen formset per arm, so what one request may
# make the server build grows with their product; the limits keep it to what a real trial has.
FORMSET_LIMITS = {
    "arms": docs.MAX_ARMS,
    "outcomes": docs.MAX_OUTCOMES,
    "conduct_notes": docs.MAX_CONDUCT_NOTES,
    "findings": docs.MAX_FINDINGS,
    "sections": docs.MAX_SECTIONS,
    "regimen": docs.MAX_REGIMEN_PARTS,  # regimen-<arm row>
}
_REGIMEN_PREFIX = re.compile(r"regimen-\d+")


def formset_limit(prefix: str) -> int | None:
    """The most rows the formset ``prefix`` may have, or None for no formset of ours."""
    if _REGIMEN_PREFIX.fullmatch(prefix):
        return FORMSET_LIMITS["regimen"]
    return FORMSET_LIMITS.get(prefix)


def too_many_rows(prefix: str, limit: int, sent: int | None = None) -> str:
    told = f"; the form sent {sent}" if sent is not None else ""
    return f"{prefix}: at most {limit} rows{told}"


def oversized_formsets(data) -> list[str]:
    """Formsets whose management data claims more rows than their list may hold.

    Read from the TOTAL_FORMS counts alone, before any form is built: refusing 100,000 arms
    by 100,000 outcomes must not first build the 10^10 forms of their grid."""
    problems = []
    for name in list(data.keys()):
        prefix, _, field = name.rpartition("-")
        limit = formset_limit(prefix) if field == forms.formsets.TOTAL_FORM_COUNT else None
        if limit is None:
            continue
        try:
            sent = int(data.get(name))
        except (TypeError, ValueError):
            continue  # the formset's management form reports it
        if sent > limit:
            problems.append(too_many_rows(prefix, limit, sent))
    return problems


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
        add_row_to: str | None = None,
        creating: bool | None = None,
        rationale: str = "",
        citations: list[str] | None = None,
    ):
        """``base_document`` is what the forms show and what saving starts from (None: a blank
        new record). ``creating`` (default: no base document) leaves the slug editable, as
        when the author edits their own proposal of a new record. ``rationale`` and
        ``citations`` pre-fill the proposal's "why" (editing a proposal already made).

        ``add_row_to`` (with ``data``): re-show the submitted data with one more blank row in
        the list it names (a formset prefix such as ``findings`` or ``regimen-1``,
        ``outcomes-2-comparisons`` or ``sections-0-trials``), without validating: nothing is
        proposed. ``extra_rows`` sets how many blank rows the arms and outcomes show."""
        self.record_type = record_type
        self.base_document = base_document
        self.creating = base_document is None if creating is None else creating
        # A submission with more rows than a list may hold is refused before any form is
        # built: the page shows the forms as they were, unbound, with the refusal above them.
        self.refused = oversized_formsets(data) if data is not None else []
        if self.refused:
            data, add_row_to = None, None
        self.row_limit_reached = ""
        self.limits = {"regimen": docs.MAX_REGIMEN_PARTS, "comparisons": docs.MAX_COMPARISONS}
        self.is_bound = data is not None
        self.adding_rows = self.is_bound and add_row_to is not None
        self.add_row_to = add_row_to if self.adding_rows else None
        if self.adding_rows:
            data = _mutable(data)  # new rows get their management data and initial values
        self.data = data
        self.errors_without_field: list[str] = list(self.refused)
        self.labels = LabelCache()
        self.formsets: list[forms.BaseFormSet] = []
        initial = document_to_initial(record_type, base_document)
        self.meta = proposal_meta_form(data, base_version, rationale, citations)
        self.record = RecordForm(
            record_type,
            data,
            prefix="record",
            initial=initial["record"],
            creating=self.creating,
            labels=self.labels,
        )
        self.is_trial = record_type == "trial"
        self.is_topic = record_type == "topic"
        if self.is_trial:
            extra = extra_rows if extra_rows is not None else (3 if self.creating else 1)
            self._trial_forms(initial, extra)
        elif self.is_topic:
            self._topic_forms(initial)
        if self.adding_rows:
            self._show_no_errors()

    # Building the forms ------------------------------------------------------------------------

    def _formset(self, form_class, prefix: str, initial, *, extra: int = 1, ordered=True, **kw):
        new_from = self._grow(prefix, extra) if self.adding_rows else None
        limit = formset_limit(prefix)
        formset = forms.formset_factory(
            form_class,
            formset=ItemFormSet,
            extra=extra,
            can_delete=True,
            can_order=ordered,
            # Never more forms than the list may hold, whatever TOTAL_FORMS says (Django's
            # default is 1,000 more than max_num); checked up front in __init__ as well.
            max_num=limit,
            absolute_max=limit,
            validate_max=True,
        )(self.data, prefix=prefix, initial=initial, form_kwargs={"labels": self.labels, **kw})
        if new_from is not None:
            for form in formset.forms[new_from:]:
                self._prefill(form)
        self.formsets.append(formset)
        return formset

    def _grow(self, prefix: str, extra: int) -> int | None:
        """Add a blank row to the list ``add_row_to`` names; give lists the page did not show
        yet (the regimen of an arm row just added) their blank rows. Returns the index of the
        first new row, or None."""
        total_name = f"{prefix}-{forms.formsets.TOTAL_FORM_COUNT}"
        if total_name not in self.data:
            self.data[total_name] = str(extra)
            self.data[f"{prefix}-{forms.formsets.INITIAL_FORM_COUNT}"] = "0"
            return 0
        if self.add_row_to != prefix:
            return None
        try:
            total = int(self.data[total_name])
        except ValueError:
            return None
        if total >= formset_limit(prefix):
            self.row_limit_reached = too_many_rows(prefix, formset_limit(prefix))
            return None
        self.data[total_name] = str(total + 1)
        return total

    def _prefill(self, form: forms.Form) -> None:
        """A new row shows its fields' initial values (e.g. a comparison's unit "ratio")."""
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            value = form.get_initial_for_field(field, name)
            if key not in self.data and value not in (None, "", [], False):
                self.data[key] = str(field.prepare_value(value))

    def _show_no_errors(self) -> None:
        """Adding a row only re-shows what was typed: nothing was checked, nothing is wrong."""
        for form in self.all_forms():
            form._errors = ErrorDict(renderer=form.renderer)
            form.cleaned_data = {}
        for formset in self.formsets:
            formset._errors = []
            formset._non_form_errors = formset.error_class(
                error_class="nonform", renderer=formset.renderer
            )

    def _trial_forms(self, initial: dict[str, Any], extra: int) -> None:
        self.arms = self._formset(ArmForm, "arms", initial["arms"], extra=extra, ordered=False)
        regimens = initial["regimens"]
        self.regimens = [
            self._formset(RegimenPartForm, f"regimen-{a}", regimens[a] if a < len(regimens) else [])
            for a in range(len(self.arms.forms))
        ]
        self.outcomes = self._formset(
            OutcomeForm, "outcomes", initial["outcomes"], extra=extra, ordered=False
        )
        arm_choices = [(str(a), self._arm_label(a, form)) for a, form in enumerate(self.arms.forms)]
        self.cells: dict[tuple[int, int], ResultCellForm] = {}
        self.comparisons: dict[tuple[int, int], ComparisonForm] = {}
        for o, outcome_form in enumerate(self.outcomes.forms):
            for a in range(len(self.arms.forms)):
                self.cells[(o, a)] = ResultCellForm(
                    self.data,
                    prefix=f"cell-{o}-{a}",
                    initial=initial["cells"].get((o, a)),
                    use_required_attribute=False,
                )
            for k in range(self._comparison_slots(o, outcome_form)):
                self.comparisons[(o, k)] = ComparisonForm(
                    self.data,
                    prefix=f"cmp-{o}-{k}",
                    initial=initial["comparisons"].get((o, k)),
                    arm_choices=arm_choices,
                    use_required_attribute=False,
                )
                if self.adding_rows and initial["comparisons"].get((o, k)) is None:
                    self._prefill(self.comparisons[(o, k)])
        self.conduct_notes = self._formset(
            ConductNoteForm, "conduct_notes", initial["conduct_notes"]
        )
        outcome_choices = [
            (str(o), self._row_label(form, "label", f"New outcome {o + 1}"))
            for o, form in enumerate(self.outcomes.forms)
        ]
        self.findings = self._formset(
            TrialFindingForm, "findings", initial["findings"], outcome_choices=outcome_choices
        )

    def _topic_forms(self, initial: dict[str, Any]) -> None:
        self.sections = self._formset(
            SectionForm, "sections", initial["sections"], more_trial_boxes_for=self.add_row_to
        )
        self.findings = self._formset(TopicFindingForm, "findings", initial["findings"])

    def _row_label(self, form: forms.Form, field: str, default: str) -> str:
        label = form.data.get(form.add_prefix(field)) if self.is_bound else None
        return label or form.initial.get(field) or default

    def _arm_label(self, a: int, form: ArmForm) -> str:
        return self._row_label(form, "label", f"New arm {a + 1}")

    def _comparison_slots(self, o: int, form: OutcomeForm) -> int:
        slots = form.initial.get("comparison_slots") or 1
        if self.is_bound:
            try:
                slots = int(form.data.get(form.add_prefix("comparison_slots")) or 1)
            except ValueError:
                slots = 1
            if self.adding_rows and self.add_row_to == form.add_prefix("comparisons"):
                slots += 1
                self.data[form.add_prefix("comparison_slots")] = str(
                    min(slots, docs.MAX_COMPARISONS)
                )
        return max(1, min(slots, docs.MAX_COMPARISONS))

    # Rendering helpers ---------------------------------------------------------------------

    def arm_headers(self) -> list[str]:
        return [self._arm_label(a, form) for a, form in enumerate(self.arms.forms)]

    def arm_rows(self) -> list[tuple[ArmForm, forms.BaseFormSet]]:
        """Each arm row with the formset of its regimen parts."""
        return list(zip(self.arms.forms, self.regimens, strict=True))

    def grid_rows(self) -> list[dict[str, Any]]:
        rows = []
        for o, form in enumerate(self.outcomes.forms):
            rows.append(
                {
                    "label": self._row_label(form, "label", f"New outcome {o + 1}"),
                    "unit": form.initial.get("unit") or "",
                    "add_comparison": form.add_prefix("comparisons"),
                    "cells": [self.cells[(o, a)] for a in range(len(self.arms.forms))],
                    "comparisons": [
                        form for (row, _), form in self.comparisons.items() if row == o
                    ],
                }
            )
        return rows

    def all_forms(self) -> list[forms.Form]:
        found: list[forms.Form] = [self.meta, self.record]
        for formset in self.formsets:
            found += formset.forms
        if self.is_trial:
            found += [*self.cells.values(), *self.comparisons.values()]
        return found

    # Validation and conversion ---------------------------------------------------------------

    def is_valid(self) -> bool:
        if self.adding_rows or self.refused:
            return False  # adding a row never proposes; an oversized submission is refused
        valid = self.meta.is_valid() & self.record.is_valid()
        for formset in self.formsets:
            valid &= formset.is_valid()
        if self.is_trial:
            valid &= all([form.is_valid() for form in self.cells.values()])
            valid &= all([form.is_valid() for form in self.comparisons.values()])
            valid = valid and self._finding_outcomes_are_kept()
        return bool(valid) and not self.errors_without_field

    def _finding_outcomes_are_kept(self) -> bool:
        """A finding may only rest on an outcome row that stays (filled in, not removed)."""
        kept = {self.outcomes.forms.index(form) for form in kept_forms(self.outcomes)}
        valid = True
        for form in kept_forms(self.findings):
            for position in form.cleaned_data.get("outcomes") or []:
                if int(position) not in kept:
                    label = dict(form.fields["outcomes"].choices).get(position, position)
                    form.add_error(
                        "outcomes",
                        f"the outcome “{label}” is removed or empty above; "
                        "choose another outcome or none",
                    )
                    valid = False
        return valid

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
        # Where each document item came from, so validation errors find their form field.
        self.item_at: dict[str, dict[int, forms.Form]] = {}
        if self.is_trial:
            self._trial_parts(document)
        if self.is_topic:
            document["sections"] = self._items(self.sections, "sections")
            document["findings"] = self._items(self.findings, "findings")
        return document

    def _items(self, formset, name: str, convert=None) -> list[dict[str, Any]]:
        """A keyed list from its formset: each item starts from the base item of the same
        original key (so fields the form does not edit are kept), then takes the form's
        values."""
        base = {item["key"]: item for item in (self.base_document or {}).get(name) or []}
        items, self.item_at[name] = [], {}
        for form in kept_forms(formset):
            original = base.get(form.cleaned_data.get("original_key") or "")
            item = copy.deepcopy(original) if original else dict(form.new_item_defaults)
            item.update(form.document_values())
            if convert:
                convert(form, item)
            self.item_at[name][len(items)] = form
            items.append(item)
        return items

    def _trial_parts(self, document: dict[str, Any]) -> None:
        base = self.base_document or {}
        base_arms = {arm["key"]: arm for arm in base.get("arms") or []}
        base_outcomes = {outcome["key"]: outcome for outcome in base.get("outcomes") or []}
        self.item_at["arms"], self.item_at["outcomes"] = {}, {}
        self.regimen_at: dict[tuple[int, int], forms.Form] = {}
        self.cell_at: dict[tuple[int, int], forms.Form] = {}
        self.comparison_at: dict[tuple[int, int], forms.Form] = {}

        arms, arm_keys, renamed = [], {}, {}
        for a, form in enumerate(self.arms.forms):
            if not self._kept(self.arms, form):
                continue
            data = form.cleaned_data
            arm = copy.deepcopy(base_arms.get(data.get("original_key") or "", {}))
            arm.update(form.document_values())
            arm["regimen"] = []
            for part in kept_forms(self.regimens[a]):
                self.regimen_at[(len(arms), len(arm["regimen"]))] = part
                arm["regimen"].append(part.document_values())
            self.item_at["arms"][len(arms)] = form
            arm_keys[a] = arm["key"]
            if data.get("original_key"):
                renamed[data["original_key"]] = arm["key"]
            arms.append(arm)
        document["arms"] = arms

        outcomes, outcome_keys = [], {}
        for o, form in enumerate(self.outcomes.forms):
            if not self._kept(self.outcomes, form):
                continue
            data = form.cleaned_data
            base_outcome = base_outcomes.get(data.get("original_key") or "", {})
            outcome = copy.deepcopy(base_outcome)
            outcome.update(form.document_values())
            outcome.setdefault("citations", [])
            i = len(outcomes)
            self.item_at["outcomes"][i] = form
            outcome_keys[str(o)] = outcome["key"]
            outcome["values"] = self._values(i, o, base_outcome, arm_keys, renamed)
            outcome["comparisons"] = self._comparisons(i, o, base_outcome, arm_keys)
            outcomes.append(outcome)
        document["outcomes"] = outcomes
        document["conduct_notes"] = self._items(self.conduct_notes, "conduct_notes")

        def finding_outcomes(form, finding):
            # Outcome rows -> their (possibly renamed) keys, in the order chosen.
            chosen = form.cleaned_data.get("outcomes") or []
            finding["outcomes"] = [outcome_keys[p] for p in chosen if p in outcome_keys]

        document["findings"] = self._items(self.findings, "findings", finding_outcomes)

    def _kept(self, formset, form) -> bool:
        if formset.can_delete and formset._should_delete_form(form):
            return False
        return form in formset.initial_forms or form.has_changed()

    def _values(self, i, o, base_outcome, arm_keys, renamed) -> list[dict[str, Any]]:
        base_values = {
            renamed.get(v.get("arm"), v.get("arm")): v for v in base_outcome.get("values") or []
        }
        cells = {}
        for a, arm_key in arm_keys.items():
            form = self.cells[(o, a)]
            if form.is_blank():
                continue
            value = copy.deepcopy(base_values.get(arm_key) or {})
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
        top = parts[0]
        is_item = len(parts) >= 2 and isinstance(parts[1], int)
        item_at = getattr(self, "item_at", {}).get(top, {})
        if not (is_item and top in ITEM_LISTS.get(self.record_type, ()) and parts[1] in item_at):
            return self._on_record_field(parts, message)
        i, rest = parts[1], parts[2:]
        if top == "arms" and rest[:1] == ["regimen"] and (i, *rest[1:2]) in self.regimen_at:
            return _on_form(self.regimen_at[(i, rest[1])], rest[2:], path, message)
        if top == "outcomes":
            if rest[:1] == ["values"] and len(rest) >= 2 and (i, rest[1]) in self.cell_at:
                return _on_form(self.cell_at[(i, rest[1])], rest[2:], path, message)
            if (
                rest[:1] == ["comparisons"]
                and len(rest) >= 2
                and (i, rest[1]) in self.comparison_at
            ):
                return _on_form(self.comparison_at[(i, rest[1])], rest[2:], path, message)
        return _on_form(item_at[i], rest, path, message)

    def _on_record_field(self, parts, message) -> bool:
        name = str(parts[0])
        if name in self.record.fields and not self.record.fields[name].disabled:
            self.record.add_error(name, _with_item(parts, message))
            return True
        return False

    def non_field_errors(self) -> list[str]:
        return list(self.errors_without_field)


def _on_form(form: forms.Form, rest: list[str | int], path: str, message: str) -> bool:
    """Put an error on ``form``: on the field ``rest`` names (``["trials", 2]``: that field,
    naming item 3), or above the form's fields, naming the path."""
    field = rest[0] if rest and isinstance(rest[0], str) else None
    if field in form.fields and len(rest) == 1:
        form.add_error(field, message)
    elif field in form.fields and len(rest) == 2 and isinstance(rest[1], int):
        form.add_error(field, f"item {rest[1] + 1}: {message}")
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


def _mutable(data) -> QueryDict:
    if isinstance(data, QueryDict):
        return data.copy()
    query = QueryDict(mutable=True)
    for name, value in dict(data).items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query


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
    is_topic = False
    adding_rows = False
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
    for formset in getattr(forms_, "formsets", []):
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
