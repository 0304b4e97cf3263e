"""Paths of values inside a document, as errors name them: ``outcomes[2].values[0].ci_low``."""

from __future__ import annotations

from collections.abc import Iterable


def format_path(loc: Iterable[str | int]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
