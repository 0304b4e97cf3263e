"""What a browser would POST for a proposal's forms as shown, built from the form objects.

Tests only: the admin never encodes its own forms. ``html_form.submitted_data`` reads the
same from the rendered page instead (and so also catches a field the template forgets).
"""

from __future__ import annotations

from typing import Any

from django import forms

from curation.admin.forms import ProposalForms, RationaleForms


def form_post_data(forms_: ProposalForms | RationaleForms) -> dict[str, Any]:
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
            elif isinstance(widget, forms.SelectMultiple | forms.CheckboxSelectMultiple):
                data[bound.html_name] = list(value or [])
            else:
                formatted = bound.field.prepare_value(value)
                data[bound.html_name] = "" if formatted is None else str(formatted)
    return data
