"""A record document -> the initial data of every form of a proposal."""

from __future__ import annotations

from typing import Any

from .fields import flatten
from .grid import CELL_FIELDS, COMPARISON_FIELDS
from .items import (
    REGIMEN_FIELDS,
    ArmForm,
    ConductNoteForm,
    OutcomeForm,
    SectionForm,
    TopicFindingForm,
    TrialFindingForm,
)
from .specs import RECORD_FIELDS, field_initial, get_path


def _item_initial(item: dict[str, Any], fields) -> dict[str, Any]:
    initial = flatten(item, fields)
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
        spec.form_name: field_initial(spec, get_path(document, spec.path))
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
                cell = flatten(value, CELL_FIELDS)
                initial["cells"][(o, arm_index[value["arm"]])] = cell
        for k, comparison in enumerate(outcome.get("comparisons") or []):
            data = flatten(comparison, COMPARISON_FIELDS)
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
