"""Schema evolution without rewriting history: upcasters.

Events keep the documents they were recorded with (their hashes cover them), so a document in
the log may be written in any schema version there has been. Every place that reads documents
(the event store's reads, the change requests' documents, the write path) passes them through
``upcast``, which applies one small pure function per version step until the document is in
``CURRENT_SCHEMA_VERSION``. A document without ``schema_version`` is version 1: the versions
began with version 2.

To change the schema: write the new shape, bump ``CURRENT_SCHEMA_VERSION`` (and the
``schema_version`` literal of ``common.RecordDocument``), add ``UPCASTERS[old]`` turning a
valid document of the old version into a valid document of the new one, and test it with the
frozen logs in ``tests/data/``. An upcaster never changes what a document says: where the new
shape cannot hold an old document, it raises ``UpcastError`` and the event is named by
``verify_events --upcast``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from . import record_types
from .paths import format_path

CURRENT_SCHEMA_VERSION = 2


class UpcastError(ValueError):
    """An old document that cannot be turned into the current shape."""


def schema_version_of(document: dict[str, Any]) -> int:
    version = document.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise UpcastError(f"schema_version must be a whole number, not {version!r}")
    return version


def upcast(record_type: str, document: Any) -> Any:
    """``document`` in the current schema version and canonical form (a new object when it
    was older; the argument is never changed). ``None`` (a retraction) passes through."""
    converted = convert(record_type, document)
    if converted is document:
        return document
    return canonical(record_type, converted)


def convert(record_type: str, document: Any) -> Any:
    """The version steps alone, without canonical form: what the write path validates, so a
    proposal in an older version gets every problem reported by path. Anything that is not a
    JSON object passes through unchanged, for validation to report."""
    if not isinstance(document, dict):
        return document
    version = schema_version_of(document)
    if version == CURRENT_SCHEMA_VERSION:
        return document
    if version > CURRENT_SCHEMA_VERSION or version < 1:
        raise UpcastError(
            f"schema_version {version} is not known: this service reads versions 1 to "
            f"{CURRENT_SCHEMA_VERSION}"
        )
    document = copy.deepcopy(document)
    while version < CURRENT_SCHEMA_VERSION:
        document = UPCASTERS[version](record_type, document)
        version += 1
        document["schema_version"] = version
    return document


def canonical(record_type: str, document: dict[str, Any]) -> dict[str, Any]:
    """The upcast document in canonical form (every field listed, in the model's order), so
    it compares equal to the same content proposed in the current version. Structure only:
    the semantic checks judge proposals, not history."""
    model = record_types.get(record_type).document_model
    try:
        return model.model_validate(document).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(
            f"{format_path(e['loc']) or '(document)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        raise UpcastError(
            f"does not fit schema version {CURRENT_SCHEMA_VERSION}: {problems}"
        ) from None


# --- Version 1 -> 2: the general results model ------------------------------------------------

_MASKING_OF_BLINDING = {"open_label": "none", "single_blind": "single", "double_blind": "double"}
_COMPARATOR_OF_QUALIFIER = {"less_than": "<", "equal": "="}
_V1_COMPARISON_KINDS = (
    "hazard_ratio",
    "odds_ratio",
    "risk_ratio",
    "relative_risk_reduction",
    "absolute_difference",
)


def _v1_design(design: Any) -> Any:
    if not isinstance(design, dict):
        return design
    design = dict(design)
    randomised = design.pop("randomised", None)
    blinding = design.pop("blinding", None)
    allocation = {True: "randomised", False: "non_randomised"}.get(randomised)
    return {
        "allocation": allocation if randomised is not None else None,
        "masking": _MASKING_OF_BLINDING.get(blinding, blinding),
        **design,
    }


def _v1_value(value: Any) -> tuple[Any, Any]:
    """A v1 arm value in v2 shape, and its confidence level (moved to the outcome)."""
    if not isinstance(value, dict):
        return value, None
    value = dict(value)
    not_reached = value.pop("not_reached", False)
    level = value.pop("ci_level", None)
    converted = {
        "arm": value.pop("arm", None),
        "value": value.pop("value", None),
        "missing": "not_reached" if not_reached is True else None,
    }
    if "qualifier" in value:
        converted["qualifier"] = value.pop("qualifier")
    converted["low"] = value.pop("ci_low", None)
    converted["high"] = value.pop("ci_high", None)
    converted.update(value)  # note, and anything unknown for validation to refuse
    return converted, level


def _v1_comparison(comparison: Any) -> Any:
    if not isinstance(comparison, dict):
        return comparison
    comparison = dict(comparison)
    if "p_value_qualifier" in comparison:
        qualifier = comparison.pop("p_value_qualifier")
        comparison["p_value_comparator"] = _COMPARATOR_OF_QUALIFIER.get(qualifier, qualifier)
    # Version 1's unit defaulted to "ratio" (for every kind it had); version 2 states it.
    if comparison.get("kind") in _V1_COMPARISON_KINDS:
        comparison.setdefault("unit", "ratio")
    return comparison


def _v1_outcome(outcome: Any) -> Any:
    if not isinstance(outcome, dict):
        return outcome
    outcome = dict(outcome)
    converted: dict[str, Any] = {"key": outcome.pop("key", None)}
    if "label" in outcome:
        converted["title"] = outcome.pop("label")
    converted["endpoint"] = outcome.pop("endpoint", None)
    months = outcome.pop("timepoint_months", None)
    converted["timepoint"] = {"value": months, "unit": "months"} if months is not None else None
    values = outcome.pop("values", [])
    levels: set[Any] = set()
    has_interval = False
    if isinstance(values, list):
        new_values = []
        for value in values:
            new_value, level = _v1_value(value)
            if isinstance(new_value, dict):
                has_interval |= (
                    new_value.get("low") is not None or new_value.get("high") is not None
                )
                if level is not None:
                    levels.add(level)
            new_values.append(new_value)
        values = new_values
    if len(levels) > 1:
        raise UpcastError(
            f"outcome {converted['key']!r} gives its arms confidence intervals of different "
            f"levels ({', '.join(str(level) for level in sorted(levels))}); version 2 has one "
            "level per outcome"
        )
    if has_interval or levels:
        converted["dispersion"] = {
            "kind": "confidence_interval",
            "level": next(iter(levels)) if levels else None,
        }
    converted.update(outcome)
    converted["values"] = values
    comparisons = converted.get("comparisons")
    if isinstance(comparisons, list):
        converted["comparisons"] = [_v1_comparison(c) for c in comparisons]
    return converted


def _v1_trial(document: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for field, value in document.items():
        if field == "phase":
            converted["phases"] = [value] if value is not None else []
        elif field == "design":
            converted["design"] = _v1_design(value)
        elif field == "outcomes" and isinstance(value, list):
            converted["outcomes"] = [_v1_outcome(outcome) for outcome in value]
        else:
            converted[field] = value
    return converted


def v1_to_v2(record_type: str, document: dict[str, Any]) -> dict[str, Any]:
    """Version 2 generalised the trial's results; the other record types only gained
    ``schema_version``."""
    if record_type == "trial":
        document = _v1_trial(document)
    return document


UPCASTERS: dict[int, Callable[[str, dict[str, Any]], dict[str, Any]]] = {1: v1_to_v2}


# --- Changes -----------------------------------------------------------------------------------
# An event also records its changes as leaf paths of the documents it was diffed from
# (``evidence.diff``); a change upcaster renames an old version's paths and converts their
# values, so the changes of an old event read like the changes of a new one.


def upcast_changes(
    record_type: str, version: int, changes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``changes`` (recorded between documents of schema ``version``) as paths and values of
    the current version. The argument is never changed."""
    if version > CURRENT_SCHEMA_VERSION or version < 1:
        raise UpcastError(f"schema_version {version} is not known")
    while version < CURRENT_SCHEMA_VERSION:
        changes = [
            converted
            for change in changes
            if (converted := CHANGE_UPCASTERS[version](record_type, change)) is not None
        ]
        version += 1
    return changes


_V1_RENAMED_LEAVES = {
    # (suffix of a v1 path, its v2 name, the value conversion)
    "label": ("title", None),
    "timepoint_months": ("timepoint.value", None),
    "not_reached": ("missing", lambda reached: "not_reached" if reached is True else None),
    "ci_low": ("low", None),
    "ci_high": ("high", None),
    "p_value_qualifier": ("p_value_comparator", _COMPARATOR_OF_QUALIFIER.get),
}


def _v1_change(record_type: str, change: dict[str, Any]) -> dict[str, Any] | None:
    if record_type != "trial":
        return change
    path, old, new = change["path"], change.get("old"), change.get("new")

    def renamed(new_path: str, convert: Callable[[Any], Any] | None = None) -> dict | None:
        if convert is not None:
            old_value, new_value = convert(old), convert(new)
        else:
            old_value, new_value = old, new
        if old_value == new_value:
            return None
        return {"path": new_path, "old": old_value, "new": new_value}

    if path == "phase":
        return renamed("phases", lambda phase: [phase] if phase is not None else [])
    if path == "design.randomised":
        return renamed("design.allocation", {True: "randomised", False: "non_randomised"}.get)
    if path == "design.blinding":
        return renamed("design.masking", lambda b: _MASKING_OF_BLINDING.get(b, b))
    if not path.startswith("outcomes["):
        return change
    head, _, leaf = path.rpartition(".")
    in_value = ".values[" in head and head.endswith("]") and head.rfind(".values[") > 0
    if leaf == "ci_level" and in_value:
        # The level moved from each value to the outcome's dispersion.
        return renamed(f"{head[: head.rfind('.values[')]}.dispersion.level")
    if leaf in ("ci_low", "ci_high", "not_reached") and not in_value:
        return change  # a comparison's ci_low and ci_high keep their names
    if leaf == "label" and head.count(".") > 0:
        return change  # only the outcome's own label became its title
    if leaf in _V1_RENAMED_LEAVES:
        new_leaf, convert = _V1_RENAMED_LEAVES[leaf]
        return renamed(f"{head}.{new_leaf}", convert)
    return change


CHANGE_UPCASTERS: dict[int, Callable[[str, dict[str, Any]], dict[str, Any] | None]] = {
    1: _v1_change
}
