"""The results grid of a trial: one form per (outcome row, arm column) cell, and the
comparison forms beside each outcome row (arms chosen by grid column).

A cell edits every field of one arm's value; a comparison every field of one comparison.
Both give their ``source`` as ``source__*`` fields (``sources``)."""

from __future__ import annotations

from typing import Any

from django import forms

from evidence import documents as docs

from .fields import (
    NumberField,
    blank_to_none,
    choice_field,
    nest,
    nullable_bool,
    sides_field,
    small_text,
)
from .items import RecordChoicesForm
from .sources import SOURCE_FIELDS, SourceFields


def _number(label: str, size: int = 4) -> NumberField:
    return NumberField(
        label=label, widget=forms.TextInput(attrs={"size": size, "inputmode": "decimal"})
    )


def _note(help_text: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 1, "cols": 22}),
        help_text=help_text,
    )


def _outside_interval() -> forms.BooleanField:
    return forms.BooleanField(
        required=False,
        label="Interval excludes the estimate",
        help_text="The source gives an interval that excludes the value; say so in the note.",
    )


CELL_FIELDS = (
    "value",
    "raw",
    "missing",
    "missing_text",
    "qualifier",
    "spread",
    "low",
    "high",
    "bound_missing",
    "participants",
    "estimate_outside_interval",
    "note",
    *SOURCE_FIELDS,
)


class ResultCellForm(RecordChoicesForm, SourceFields):
    """One arm's result for one outcome: a cell of the results grid."""

    value = _number("Value", size=5)
    raw = small_text(6, "As printed", help_text="The value as the source prints it: <0.001, NA.")
    missing = choice_field(docs.ArmValue, "missing", label="Missing because")
    missing_text = small_text(
        12,
        "Source's words",
        help_text="Why it is missing, as the source words it.",
        widget_attrs={"placeholder": "source's words"},
    )
    qualifier = choice_field(docs.ArmValue, "qualifier", label="Qualifier")
    spread = _number("SD or SE")
    low = _number("Lower bound")
    high = _number("Upper bound")
    bound_missing = choice_field(docs.ArmValue, "bound_missing", label="A bound is missing because")
    participants = forms.IntegerField(
        required=False,
        min_value=0,
        label="Participants analysed",
        widget=forms.NumberInput(attrs={"size": 5, "style": "width: 5em"}),
    )
    estimate_outside_interval = _outside_interval()
    note = _note("A note on this single value, e.g. where the source gives it.")

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(blank_to_none(data.get(name)) not in (None, False) for name in CELL_FIELDS)

    def document_values(self) -> dict[str, Any]:
        values = {name: blank_to_none(self.cleaned_data.get(name)) for name in CELL_FIELDS}
        values["estimate_outside_interval"] = bool(values["estimate_outside_interval"])
        return nest(values)


COMPARISON_FIELDS = (
    "kind",
    "kind_label",
    "arm",
    "reference_arm",
    "estimate",
    "unit",
    "unit_text",
    "qualifier",
    "ci_low",
    "ci_high",
    "ci_level",
    "ci_sides",
    "ci_bound_missing",
    "p_value",
    "p_value_comparator",
    "p_value_text",
    "method",
    "significant",
    "estimate_outside_interval",
    "note",
    *SOURCE_FIELDS,
)


class ComparisonForm(RecordChoicesForm, SourceFields):
    """An effect estimate between two arms of an outcome; arms are chosen by grid column."""

    original_key = forms.CharField(required=False, widget=forms.HiddenInput)
    kind = choice_field(docs.Comparison, "kind", label="Kind")
    kind_label = small_text(
        12,
        "Measure as named",
        help_text="The measure as the source names it; needed for 'other'.",
        widget_attrs={"placeholder": "as named"},
    )
    arm = forms.ChoiceField(required=False, label="Arm")
    reference_arm = forms.ChoiceField(required=False, label="versus")
    estimate = _number("Estimate", size=5)
    # A new comparison starts as a ratio, the unit of most; not required, because a
    # comparison whose measure is not stated has none (the validator says so at this field).
    unit = choice_field(docs.Comparison, "unit", initial="ratio", label="Unit")
    unit_text = small_text(
        8,
        "Unit as given",
        help_text="The unit as the source gives it; needed for 'other'.",
        widget_attrs={"placeholder": "unit"},
    )
    qualifier = choice_field(docs.Comparison, "qualifier", label="Qualifier")
    ci_low = _number("CI low")
    ci_high = _number("CI high")
    ci_level = _number("CI level %", size=3)
    ci_sides = sides_field(docs.Comparison, "ci_sides", label="CI sides")
    ci_bound_missing = choice_field(
        docs.Comparison, "ci_bound_missing", label="A CI bound is missing because"
    )
    p_value = _number("p-value", size=5)
    p_value_comparator = choice_field(docs.Comparison, "p_value_comparator", label="p comparator")
    p_value_text = small_text(7, "p as printed", help_text="As the source prints it: <0.001.")
    method = small_text(14, "Method", help_text="e.g. Cox proportional hazards.")
    significant = nullable_bool(label="Significant")
    estimate_outside_interval = _outside_interval()
    note = _note("A note on this comparison.")

    def __init__(self, *args, arm_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["arm"].choices = [("", "—"), *arm_choices]
        self.fields["reference_arm"].choices = [("", "—"), *arm_choices]

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("kind")

    def document_values(self) -> dict[str, Any]:
        """Every field but the arms (grid positions, which the assembly turns into keys)."""
        names = [name for name in COMPARISON_FIELDS if name not in ("arm", "reference_arm")]
        values = {name: blank_to_none(self.cleaned_data.get(name)) for name in names}
        values["estimate_outside_interval"] = bool(values["estimate_outside_interval"])
        return nest(values)
