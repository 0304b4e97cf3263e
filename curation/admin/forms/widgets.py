"""Widgets the proposal forms need beyond Django's own (no JavaScript anywhere)."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join


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
            # "Trials, section 2: box 1": the field and row (name_controls), and which box.
            named = attrs.get("aria-label", "")
            box_attrs = {**attrs, "aria-label": f"{named}: box {i + 1}" if named else f"{i + 1}."}
            if base_id:
                box_attrs["id"] = f"{base_id}_{i}"
            boxes.append((box.render(name, slug, box_attrs, renderer),))
        return format_html(
            '<ol class="ordered-selects">{}</ol>', format_html_join("", "<li>{}</li>", boxes)
        )

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_


class NotStatedYesNo(forms.NullBooleanSelect):
    """Yes / No / "Not stated". NullBooleanSelect, because it marks True as the "true"
    option when it renders (a plain Select would look for "True", select nothing, and the
    browser would send "Not stated")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "Not stated"), ("true", "Yes"), ("false", "No")]
