"""``ProposalForms``: every form of one proposal, bound to POST data or showing a document.

It builds the forms (from ``document_to_initial``), grows a list by one blank row for the
"Add ..." buttons, and validates. Turning the forms back into a document is
``DocumentAssembly`` (assembly.py); putting the service's errors on fields is
``ErrorPlacement`` (placement.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.http import QueryDict

from evidence import documents as docs

from .assembly import DocumentAssembly
from .error_summary import error_summary
from .fields import LabelCache, name_controls
from .grid import ComparisonForm, ResultCellForm
from .initial import document_to_initial
from .items import (
    ArmForm,
    ConductNoteForm,
    ItemFormSet,
    OutcomeForm,
    RegimenPartForm,
    SectionForm,
    TopicFindingForm,
    TrialFindingForm,
    kept_forms,
)
from .limits import formset_limit, oversized_formsets, too_many_rows
from .placement import ErrorPlacement
from .rationale import ProposalMeta, proposal_meta_form
from .specs import RecordForm


class ProposalForms(ProposalMeta, DocumentAssembly, ErrorPlacement):
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
        reviewer_note: str = "",
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
        self.meta = proposal_meta_form(data, base_version, rationale, citations, reviewer_note)
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
        self._name_controls()

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
                    labels=self.labels,
                )
            for k in range(self._comparison_slots(o, outcome_form)):
                self.comparisons[(o, k)] = ComparisonForm(
                    self.data,
                    prefix=f"cmp-{o}-{k}",
                    initial=initial["comparisons"].get((o, k)),
                    arm_choices=arm_choices,
                    use_required_attribute=False,
                    labels=self.labels,
                )
                if self.adding_rows and initial["comparisons"].get((o, k)) is None:
                    self._prefill(self.comparisons[(o, k)])
        self.conduct_notes = self._formset(
            ConductNoteForm, "conduct_notes", initial["conduct_notes"]
        )
        # Only outcome rows that have a title: a blank row is no outcome to rest on.
        outcome_choices = [
            (str(o), title)
            for o, form in enumerate(self.outcomes.forms)
            if (title := self._row_label(form, "title", ""))
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

    def _unit_label(self, form: OutcomeForm) -> str:
        """The outcome's unit as the grid's row header says it ("months", "mg/dL")."""
        unit_text = form.initial.get("unit_text")
        if unit_text:
            return unit_text
        unit = form.initial.get("unit")
        return docs.labels_of(docs.Outcome, "unit").get(unit, unit) if unit else ""

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

    def _name_controls(self) -> None:
        """Every control's accessible name says where it is: its arm and outcome in the
        results grid, its row in a list ("Key, arm 2 (Thalidomide)")."""
        if self.is_trial:
            arms = self.arm_headers()
            outcomes = [row["label"] for row in self.grid_rows()]
            for (o, a), cell in self.cells.items():
                name_controls(cell, f"{arms[a]}, {outcomes[o]}")
            for (o, k), cmp in self.comparisons.items():
                name_controls(cmp, f"comparison {k + 1}, {outcomes[o]}")
            for a, form in enumerate(self.arms.forms):
                name_controls(form, f"arm {a + 1} ({arms[a]})")
                for p, part in enumerate(self.regimens[a].forms):
                    name_controls(part, f"regimen part {p + 1} of arm {a + 1} ({arms[a]})")
            for o, form in enumerate(self.outcomes.forms):
                name_controls(form, f"outcome {o + 1} ({outcomes[o]})")
            items = {"conduct note": self.conduct_notes, "finding": self.findings}
        elif self.is_topic:
            items = {"section": self.sections, "finding": self.findings}
        else:
            items = {}
        for noun, formset in items.items():
            for i, form in enumerate(formset.forms):
                name_controls(form, f"{noun} {i + 1}")

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
                    "label": self._row_label(form, "title", f"New outcome {o + 1}"),
                    "unit": self._unit_label(form),
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

    def add_document_errors(self, check) -> None:
        """After ``is_valid()`` failed: the document as far as the forms could read it,
        checked by ``check`` (``services.document_errors``), its errors placed beside the
        forms' own, so that one round shows every error (a CI error with a missing title)."""
        if self.adding_rows or self.refused or not self.is_bound:
            return
        try:
            document = self.to_document()
        except (KeyError, TypeError, ValueError, AttributeError):
            # Forms with errors may leave too little to build a document from; their own
            # errors come first, and the rest shows once they are fixed.
            return
        self.add_errors(check(self.record_type, document), beside_form_errors=True)

    def error_summary(self):
        """Every error of the page, with the id of its field, for the list at the top."""
        return error_summary(self)

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


def _mutable(data) -> QueryDict:
    if isinstance(data, QueryDict):
        return data.copy()
    query = QueryDict(mutable=True)
    for name, value in dict(data).items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query
