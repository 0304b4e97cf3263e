"""The source value beside a proposed value: for the reviewer of an imported change request,
what the registry's document says at the JSON pointer each imported item names."""

from __future__ import annotations

from typing import Any

from evidence.diff import _split

from ..models import ChangeRequest, ImportedSource
from . import sources

MAX_SOURCE_TEXT = 400


def imported_source(cr: ChangeRequest) -> ImportedSource | None:
    try:
        return cr.imported_source
    except ImportedSource.DoesNotExist:
        return None


def resolve(document: Any, json_pointer: str) -> Any:
    """The value at an RFC 6901 pointer, or None where it leads nowhere."""
    node = document
    for token in json_pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


def pointer_for(document: dict[str, Any] | None, path: str) -> str | None:
    """The JSON pointer of the innermost item on a diff path that names its source:
    'outcomes[key=x].values[arm=a].value' -> that value's source pointer."""
    node: Any = document or {}
    found = None
    for part in _split(path):
        if part.startswith("[") and part.endswith("]"):
            field, _, ident = part[1:-1].partition("=")
            node = (
                next((i for i in node if isinstance(i, dict) and i.get(field) == ident), None)
                if isinstance(node, list)
                else None
            )
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
        if isinstance(node, dict) and isinstance(node.get("source"), dict):
            found = node["source"].get("pointer") or found
        if node is None:
            break
    return found


def describe(value: Any) -> str:
    """A source item in a line: its plain fields, as the registry wrote them."""
    if isinstance(value, dict):
        text = "; ".join(
            f"{name}: {field}"
            for name, field in value.items()
            if isinstance(field, str | int | float) and not isinstance(field, bool)
        )
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= MAX_SOURCE_TEXT else text[: MAX_SOURCE_TEXT - 1] + "…"


def source_beside(cr: ChangeRequest, paths: list[str]) -> dict[str, dict[str, str]] | None:
    """For each changed path of an imported request: {pointer, text} of the registry's
    value; None if the request was not imported."""
    link = imported_source(cr)
    if link is None:
        return None
    study = sources.document_of(link.source)
    found = {}
    for path in paths:
        json_pointer = pointer_for(cr.document, path)
        if json_pointer is not None:
            found[path] = {"pointer": json_pointer, "text": describe(resolve(study, json_pointer))}
    return found
