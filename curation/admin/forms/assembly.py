"""Submitted forms -> the proposed document.

Each keyed item starts from the base document's item of the same original key, so fields
the forms do not edit are kept and diffs and merges stay per item. While building, it
records which form each document item came from (``item_at``, ``regimen_at``, ``cell_at``,
``comparison_at``) so that validation errors find their field (placement.py).
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms

from evidence.documents import CURRENT_SCHEMA_VERSION

from .items import kept_forms
from .specs import document_value, drop_empty_dates, get_path, set_path


class DocumentAssembly:
    """Mixed into ``ProposalForms`` (whose forms it reads): ``to_document`` and its parts."""

    def to_document(self) -> dict[str, Any]:
        """The proposed document: the base document with the forms' values written into it."""
        document = copy.deepcopy(self.base_document or {})
        # A new record is written in the current schema version (a document without one
        # would be read as version 1 and converted).
        document.setdefault("schema_version", CURRENT_SCHEMA_VERSION)
        for spec in self.record.specs:
            if self.record.fields[spec.form_name].disabled:
                continue
            value = self.record.cleaned_data.get(spec.form_name)
            base = get_path(document, spec.path)
            set_path(document, spec.path, document_value(spec, value, base))
        drop_empty_dates(document)
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
            value.update(form.document_values())
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
            comparison.update(form.document_values())
            for side in ("arm", "reference_arm"):
                position = data.get(side)
                comparison[side] = arm_keys.get(int(position)) if position else None
            if not comparison.get("key"):
                comparison["key"] = _comparison_key(comparison, comparisons)
            self.comparison_at[(i, len(comparisons))] = form
            comparisons.append(comparison)
        return comparisons


def _comparison_key(comparison: dict[str, Any], siblings: list[dict[str, Any]]) -> str:
    key = f"{comparison.get('arm') or 'arm'}_vs_{comparison.get('reference_arm') or 'reference'}"
    taken = {c.get("key") for c in siblings}
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}_{n}", n + 1
    return candidate
