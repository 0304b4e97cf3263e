"""The results grid of a trial: one form per (outcome row, arm column) cell, and the
comparison forms beside each outcome row (arms chosen by grid column)."""

from __future__ import annotations

from django import forms

from evidence import documents as docs

from .fields import NumberField, blank_to_none, choice_field, nullable_bool

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
        return not any(blank_to_none(data.get(name)) not in (None, False) for name in CELL_FIELDS)


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
    "p_value_comparator",
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
    p_value_comparator = choice_field(docs.Comparison, "p_value_comparator", label="p")
    significant = nullable_bool(label="Significant")

    def __init__(self, *args, arm_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["arm"].choices = [("", "—"), *arm_choices]
        self.fields["reference_arm"].choices = [("", "—"), *arm_choices]

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("kind")
