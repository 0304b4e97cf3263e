"""Bytes in and out: the JSON encodings of published files, writing a file, and comparing two
snapshot directories."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def dumps_compact(value: Any) -> bytes:
    """For the large files (evidence.json): no indentation, a third smaller and faster."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + b"\n"


def write_file(target: Path, data: bytes) -> None:
    """Path.write_bytes without the buffered-file layer: a build writes 20,000 files and
    the layer cost a tenth of the time it takes to write them."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def compare_directories(expected: Path, actual: Path) -> list[str]:
    """Differences between two snapshot directories, file by file (empty when identical)."""

    def listing(root: Path) -> dict[str, Path]:
        return {
            str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file() or p.is_symlink()
        }

    left, right = listing(expected), listing(actual)
    problems = [f"missing from the rebuild: {p}" for p in sorted(left.keys() - right.keys())]
    problems += [f"only in the rebuild: {p}" for p in sorted(right.keys() - left.keys())]
    for path in sorted(left.keys() & right.keys()):
        if left[path].read_bytes() != right[path].read_bytes():
            problems.append(f"differs: {path}")
    return problems
