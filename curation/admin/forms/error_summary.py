"""Every error of a submitted proposal, listed at the top of the page with a link to its
field, so an editor sees all that is wrong at once instead of scrolling 9,000 px to find
the one error the banner does not name."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.forms.forms import NON_FIELD_ERRORS


@dataclass(frozen=True)
class ErrorLink:
    """One error: what is wrong, where (the field's name with its row and column), and the
    id of the element to jump to ("" when it belongs to no field)."""

    where: str
    message: str
    anchor: str = ""


def error_summary(proposal) -> list[ErrorLink]:
    """The errors of every form of ``proposal`` (``ProposalForms`` or ``RationaleForms``),
    in page order: errors without a field first, then each form's fields."""
    found = [ErrorLink("", message) for message in proposal.non_field_errors()]
    for formset in getattr(proposal, "formsets", []):
        for message in formset.non_form_errors():
            found.append(ErrorLink(_formset_title(formset), message, formset.prefix))
    for form in proposal.all_forms():
        found += _form_errors(form)
    return found


def _form_errors(form: forms.Form) -> list[ErrorLink]:
    found = []
    if not form.is_bound:
        return found
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS:
            anchor = _first_control_id(form)
            where = _row_name(form)
        else:
            bound = form[name]
            anchor = bound.id_for_label or bound.auto_id or ""
            where = bound.field.widget.attrs.get("aria-label") or str(bound.label or name)
        found += [ErrorLink(where, str(message), anchor) for message in errors]
    return found


def _first_control_id(form: forms.Form) -> str:
    for bound in form.visible_fields():
        if bound.id_for_label:
            return bound.id_for_label
    return ""


def _row_name(form: forms.Form) -> str:
    """The row a form's own errors belong to, from its controls' names ("arm 2 (...)")."""
    for bound in form.visible_fields():
        name = bound.field.widget.attrs.get("aria-label", "")
        if ", " in name:
            return name.split(", ", 1)[1]
    return ""


def _formset_title(formset: forms.BaseFormSet) -> str:
    return formset.prefix.replace("_", " ").replace("-", " ")
