"""``changes.json`` and ``changes.html``: what changed since the previous snapshot.

Both are stored as composites (``composite``) whose parts are written as the records are
read (``change_selectors.iter_changes``), so a first snapshot, which lists every record, never
holds its changes, its rows or either file whole. The bytes are those of the file made at
once: ``changes.json`` is ``files.dumps`` of the whole object (each row is serialised alone
and indented to its depth; JSON strings hold no raw newline, so indenting every line is
safe), ``changes.html`` the template's own output, generated in pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from .. import pages
from ..change_selectors import ChangesBetween
from ..selectors import EvidenceAsOf
from .composite import CompositeWriter
from .files import dumps

_EMPTY_RECORDS = b'"records": []'
_ROW_INDENT = b"\n    "  # a row is an item of "records", two levels down
_AS_DUMPS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2  # ``files.dumps``, without its newline


def write_changes_files(builder, evidence: EvidenceAsOf, meta: dict[str, Any]) -> int:
    """Write both files through ``builder`` (``SnapshotBuilder``); how many records changed.
    ``meta``: previous_seq, from_position and to_position."""
    changes = ChangesBetween(meta["from_position"], meta["to_position"])
    counted = [0, 0]  # records changed, records new
    writer = CompositeWriter(builder.sink, "changes.json")
    writer.stream(changes_json(meta, changes, counted))
    builder.add_composite(writer)
    writer = CompositeWriter(builder.sink, "changes.html")
    writer.stream(pages.changes_page(changes, meta, evidence, builder.seq, tuple(counted)))
    builder.add_composite(writer)
    return counted[0]


def changes_json(meta: dict[str, Any], changes, counted: list[int]) -> Iterator[bytes]:
    """``dumps({**meta, "records": rows})`` in pieces; counts the records changed and the
    records new into ``counted``."""
    whole = dumps({**meta, "records": []})
    at = whole.index(_EMPTY_RECORDS) + len(_EMPTY_RECORDS) - 1
    head, tail = whole[:at], whole[at:]  # tail: "]" and what follows
    yield head
    separator = _ROW_INDENT
    for change in changes:
        row = orjson.dumps(pages.change_row(change), option=_AS_DUMPS)
        yield separator + row.replace(b"\n", _ROW_INDENT)
        separator = b"," + _ROW_INDENT
        counted[0] += 1
        counted[1] += change.kind == "created"
    if counted[0]:
        yield b"\n  "
    yield tail
