"""Form fields for document values: choices from a document model's Literal types, numbers
as the source gives them, text kept exactly as typed, and other records chosen by slug.

Also the small helpers every form module shares (``blank_to_none``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

from evidence.documents import capitalised, labels_of
from evidence.models import Citation, Intervention

from .widgets import NotStatedYesNo, OrderedSelects


def vocabulary_choices(source, field: str | None = None) -> list[tuple[str, str]]:
    """The options of a controlled value (a ``Literal``, or a document model's field): the
    reader's label of each value (``evidence.documents.vocabulary``), first letter capitalised."""
    return [(value, capitalised(label)) for value, label in labels_of(source, field).items()]


def choice_field(model, field: str, *, required: bool = False, **kwargs) -> forms.ChoiceField:
    # A blank first choice even when required, so an unused extra row stays unchanged.
    choices = [("", "—"), *vocabulary_choices(model, field)]
    return forms.ChoiceField(choices=choices, required=required, **kwargs)


NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
MAX_NUMBER_LENGTH = 40


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
        # ASCII digits only ("١٢" and "²" are digits to Python, not to a reader of the
        # source), and few enough of them: int() refuses more than 4,300 digits with an
        # error, and no measured value has more than a handful.
        if NUMBER.fullmatch(text) is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(text) > MAX_NUMBER_LENGTH:
            raise ValidationError(
                f"Enter at most {MAX_NUMBER_LENGTH} characters for a number.", code="too_long"
            )
        if WHOLE_NUMBER.fullmatch(text):
            return int(text)
        number = float(text)
        if not math.isfinite(number):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number

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
    """Slugs of other records, as a list of check boxes: a click ticks or unticks one box
    and never drops the others (a multi-select drops every choice but the one clicked unless
    Ctrl is held). Selected slugs come first, in the document's order, because browsers
    submit ticked boxes in page order and the order of citations matters."""

    widget = forms.CheckboxSelectMultiple(attrs={"class": "record-choices"})

    def __init__(self, model, *, label_field: str, **kwargs):
        self.model = model
        self.label_field = label_field
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "Tick each one that applies; ticked ones are listed first.")
        super().__init__(**kwargs)

    def load_choices(self, selected: list[str], labels: LabelCache | None = None) -> None:
        labels_ = (labels or LabelCache()).get(self.model, self.label_field)
        ordered = list(dict.fromkeys([*selected, *sorted(labels_, key=lambda s: labels_[s])]))
        self.choices = [(slug, _record_label(labels_, slug)) for slug in ordered]


def _record_label(labels: dict[str, str], slug: str) -> str:
    """A record's title or name with its slug, unless the name already says the slug:
    "Revlimid (lenalidomide)", not "Revlimid (lenalidomide) (lenalidomide)"."""
    label = labels.get(slug) or slug
    if slug.replace("-", " ").casefold() in label.replace("-", " ").casefold():
        return _short(label)
    return f"{_short(label)} ({slug})"


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


def citations_field(**kwargs) -> RecordChoiceField:
    return RecordChoiceField(Citation, label_field="title", **kwargs)


def interventions_field(**kwargs) -> RecordChoiceField:
    return RecordChoiceField(Intervention, label_field="name", **kwargs)


def char_field(required: bool = False, rows: int | None = None, **kwargs) -> forms.CharField:
    widget = (
        forms.Textarea(attrs={"rows": rows, "cols": 80})
        if rows
        else forms.TextInput(attrs={"size": 60})
    )
    return forms.CharField(required=required, widget=widget, strip=False, **kwargs)


def nullable_bool(**kwargs) -> forms.NullBooleanField:
    return forms.NullBooleanField(required=False, widget=NotStatedYesNo, **kwargs)


def sides_field(model, field: str, **kwargs) -> forms.TypedChoiceField:
    """One- or two-sided: a drop-down whose value is the whole number the document holds."""
    choices = [("", "—"), *vocabulary_choices(model, field)]
    return forms.TypedChoiceField(
        choices=choices, coerce=int, empty_value=None, required=False, **kwargs
    )


def choices_field(model, field: str, **kwargs) -> forms.MultipleChoiceField:
    """Several controlled values of one list (a trial's phases, who is masked): check boxes."""
    return forms.MultipleChoiceField(
        choices=vocabulary_choices(model, field),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
        **kwargs,
    )


def flag(label: str, **kwargs) -> forms.BooleanField:
    """A yes/no of the document that defaults to no (``name_editorial``, ``editorial``)."""
    return forms.BooleanField(required=False, label=label, **kwargs)


def small_text(
    size: int, label: str, *, widget_attrs: dict[str, str] | None = None, **kwargs
) -> forms.CharField:
    """A short text kept exactly as typed, in a narrow box (cells of the results grid)."""
    kwargs.setdefault("max_length", 500)
    attrs = {"size": size, "class": "wide" if size >= 10 else "narrow", **(widget_attrs or {})}
    return forms.CharField(
        required=False, strip=False, label=label, widget=forms.TextInput(attrs=attrs), **kwargs
    )


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Form values named ``group__field`` -> ``{"group": {"field": ...}}``; a group whose
    values are all blank becomes None (``timepoint``, ``dispersion``, ``source``: the
    document says "not given" with null, never with an object of nulls)."""
    nested: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for name, value in flat.items():
        group, _, field = name.partition("__")
        if field:
            groups.setdefault(group, {})[field] = value
        else:
            nested[name] = value
    for group, values in groups.items():
        given = any(value not in (None, False) for value in values.values())
        nested[group] = values if given else None
    return nested


def flatten(item: dict[str, Any], names) -> dict[str, Any]:
    """The inverse of ``nest``, for initial data: ``source__page`` is the source's page."""
    flat = {}
    for name in names:
        group, _, field = name.partition("__")
        if field:
            flat[name] = (item.get(group) or {}).get(field)
        else:
            flat[name] = item.get(name)
    return flat


def name_controls(form: forms.Form, context: str = "") -> None:
    """Give every visible control of ``form`` an accessible name: tables and grid cells show
    their controls without a <label> of their own, so each says what it is (its field's
    label) and, with ``context``, where it is ("Value, Revlimid maintenance, Overall
    survival"), to screen readers; its help text is its tooltip. Check-box lists keep the
    labels of their boxes."""
    for name, field in form.fields.items():
        widget = field.widget
        if widget.is_hidden or isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        label = str(field.label or pretty_name(name))
        widget.attrs["aria-label"] = f"{label}, {context}" if context else label
        if field.help_text:
            widget.attrs.setdefault("title", str(field.help_text))


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
        return value if value.strip() else None
    return value
