"""Forms of list items (arms, outcomes, regimen parts, conduct notes, findings, sections)
and their formsets: a "Remove" box, a "Position" where order matters, and ``kept_forms``,
the rows that become the list."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from evidence import documents as docs
from evidence.models import Intervention, Trial

from .fields import (
    LabelCache,
    NumberField,
    OrderedRecordChoiceField,
    RecordChoiceField,
    RecordSelectField,
    TextField,
    blank_to_none,
    choice_field,
    citations_field,
    interventions_field,
    load_record_choices,
    name_controls,
    nest,
    sides_field,
    small_text,
)
from .sources import SOURCE_FIELDS, SourceFields


class RecordChoicesForm(forms.Form):
    """A form whose record fields (citations, interventions, trials) load their choices."""

    def __init__(self, *args, labels: LabelCache | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        load_record_choices(self, labels)
        name_controls(self)


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
        return {name: blank_to_none(data.get(name)) for name in ("key", *self.document_fields)}


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


class OutcomeForm(ItemForm, SourceFields):
    """An outcome row: what was measured (as the source words it), how, in what unit, how its
    values spread, and where it comes from. Nested document fields are named
    ``group__field`` (``timepoint__value``, ``dispersion__kind``, ``source__citation``)."""

    title = TextField(
        required=True, max_length=500, size=28, label="Title", help_text="As the source words it."
    )
    description = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 1, "cols": 30}),
        label="Description",
    )
    endpoint = choice_field(docs.Outcome, "endpoint", label="Endpoint")
    endpoint_label = small_text(
        14,
        "Endpoint label",
        help_text="What it is, for 'other'.",
        widget_attrs={"placeholder": "label, for 'other'"},
    )
    type = choice_field(docs.Outcome, "type", label="Type")
    time_frame = small_text(
        20, "Time frame", max_length=20_000, help_text="As the source words it."
    )
    timepoint__value = NumberField(
        label="Timepoint", widget=forms.TextInput(attrs={"size": 4, "inputmode": "decimal"})
    )
    timepoint__unit = choice_field(docs.Timepoint, "unit", label="Timepoint unit")
    subgroup = small_text(14, "Subgroup")
    treatment_phase = choice_field(docs.Outcome, "treatment_phase", label="Treatment phase")
    measure = choice_field(docs.Outcome, "measure", required=True, label="Measure")
    unit = choice_field(docs.Outcome, "unit", required=True, label="Unit")
    unit_text = small_text(
        10,
        "Unit as given",
        help_text="e.g. mg/dL; needed for 'other'.",
        widget_attrs={"placeholder": "as given, e.g. mg/dL"},
    )
    dispersion__kind = choice_field(docs.Dispersion, "kind", label="Dispersion")
    dispersion__level = NumberField(
        label="Confidence level %",
        widget=forms.TextInput(attrs={"size": 3, "inputmode": "decimal"}),
    )
    dispersion__sides = sides_field(docs.Dispersion, "sides", label="Interval sides")
    citations = citations_field(label="Citations", help_text="")
    note = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 1, "cols": 24}),
        label="Note",
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
        "title",
        "description",
        "endpoint",
        "endpoint_label",
        "type",
        "time_frame",
        "timepoint__value",
        "timepoint__unit",
        "subgroup",
        "treatment_phase",
        "measure",
        "unit",
        "unit_text",
        "dispersion__kind",
        "dispersion__level",
        "dispersion__sides",
        "citations",
        *SOURCE_FIELDS,
        "note",
    )

    def document_values(self) -> dict[str, Any]:
        return nest(super().document_values())


REGIMEN_FIELDS = ("intervention", "description", "phase")


class RegimenPartForm(RecordChoicesForm):
    """One part of an arm's regimen (regimen parts have no key: the list is one value)."""

    intervention = RecordSelectField(Intervention, label_field="name")
    description = TextField(required=True, max_length=500, size=36)
    phase = choice_field(docs.RegimenComponent, "phase", label="Phase")

    def document_values(self) -> dict[str, Any]:
        return {name: blank_to_none(self.cleaned_data.get(name)) for name in REGIMEN_FIELDS}


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
    citations = citations_field()
    note = TextField(rows=2)
    document_fields = ("statement", "kind", "citations", "note")


class TrialFindingForm(FindingForm):
    """A trial's finding rests on outcomes of the same trial, chosen by their outcome row."""

    outcomes = forms.MultipleChoiceField(
        required=False,
        # Check boxes: a click never drops the outcomes already chosen.
        widget=forms.CheckboxSelectMultiple(attrs={"class": "record-choices"}),
        help_text="Outcomes of this trial the statement rests on; tick each one.",
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
        Trial, label_field="name", help_text="Trials the statement is about; tick each one."
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
    interventions = interventions_field()
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
            field.widget.attrs.update({"size": 3, "style": "width: 4em", "aria-label": "Position"})
        if forms.formsets.DELETION_FIELD_NAME in form.fields:
            form.fields[forms.formsets.DELETION_FIELD_NAME].label = "Remove"
            form.fields[forms.formsets.DELETION_FIELD_NAME].widget.attrs["aria-label"] = "Remove"


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
