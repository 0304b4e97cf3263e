"""Values of the review page's diff in the reader's words: a controlled value shows its
label ("hazard ratio"), not its code ("hazard_ratio")."""

from __future__ import annotations

import re
import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel

from evidence.documents import labels_of, record_types

# "outcomes[key=pfs].comparisons[key=hr].kind" -> outcomes, comparisons, kind
_SEGMENT = re.compile(r"\[[^\]]*\]")


def value_labels(record_type: str, path: str) -> dict[str, str]:
    """value -> label for the field at ``path`` of a ``record_type`` document; {} when the
    field takes no controlled values."""
    names = [name for name in _SEGMENT.sub("", path).split(".") if name]
    if not names:
        return {}
    return _labels(record_type, tuple(names))


@cache
def _labels(record_type: str, names: tuple[str, ...]) -> dict[str, str]:
    if record_type not in record_types.REGISTRY:
        return {}
    model: Any = record_types.REGISTRY.get(record_type).document_model
    for name in names[:-1]:
        field = model.model_fields.get(name) if _is_model(model) else None
        model = _model_in(field.annotation) if field else None
        if model is None:
            return {}
    try:
        return labels_of(model, names[-1])
    except (LookupError, TypeError, AttributeError, KeyError, ValueError):
        return {}


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The document model inside ``list[Arm]``, ``Timepoint | None`` and the like."""
    if _is_model(annotation):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def registry_id_text(registry: str | None, ident: str | None) -> str:
    """A registry id as readers write it: "NCT00114101", not "NCT NCT00114101"; the
    registry's name only where the id does not already start with it."""
    registry, ident = registry or "", ident or ""
    if not registry or ident.upper().startswith(registry.upper()):
        return ident
    return f"{registry} {ident}".strip()


def labelled(value: Any, labels: dict[str, str]) -> Any:
    """``value`` with each controlled code replaced by its label (lists item by item)."""
    if not labels:
        return value
    if isinstance(value, list):
        return [labelled(item, labels) for item in value]
    if isinstance(value, str | int) and str(value) in labels:
        return labels[str(value)]
    return value
