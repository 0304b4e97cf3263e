"""The split manifest: ``manifest.json`` names its part manifests, each part lists some files.

A snapshot of 100,000 trials has about two million files; one list of them all would be
rewritten (hundreds of megabytes) by every approval. Instead every file path belongs to one of
``SHARDS`` parts by a fixed function of the path (``shard_of``), and ``manifest.json`` holds
the snapshot's metadata and the list of its parts::

    {"format": 2, "seq": ..., "position": ..., "as_of": ..., "previous": ..., "counts": ...,
     "parts": [{"path": "manifest/0a3.json", "sha256": ..., "size": ..., "files": 17}, ...]}

    manifest/0a3.json: {"files": [{"path": ..., "sha256": ..., "size": ..., "inputs": ...}]}

Parts are objects like any file (stored by their sha256, served at their ``path``). A build
rewrites only the parts whose files changed; the others are the previous snapshot's, by
reference. Every part is a pure function of its entries (sorted by path, sorted keys), so an
incremental build and a full rebuild give the same bytes. Snapshots of format 1 (before the
split) list every file in ``manifest.json`` itself; readers accept both (``files_of``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from .file_entry import FileEntry, plain
from .files import dumps

if TYPE_CHECKING:
    from .file_table import FileTable

FORMAT = 2
SHARDS = 1024
PART_DIR = "manifest"
Entry = dict[str, Any]


def shard_number(path: str) -> int:
    """The part a path belongs to: crc32 (fixed, fast) of the path, modulo ``SHARDS``."""
    return zlib.crc32(path.encode()) % SHARDS


def shard_of(path: str) -> str:
    """The part a path belongs to as its name: ``shard_number``, three hex digits."""
    return f"{shard_number(path):03x}"


def part_path(shard: str) -> str:
    return f"{PART_DIR}/{shard}.json"


def is_part_path(path: str) -> bool:
    return path.startswith(f"{PART_DIR}/")


def part_bytes(entries: Iterable[Entry]) -> bytes:
    return dumps({"files": [plain(entry) for entry in sorted(entries, key=path_of)]})


# A part's bytes are its entries' bytes between these, comma-separated (``dumps`` indents each
# entry the same way wherever it is in the list): a build keeps each entry's bytes, so that
# making a part again joins them instead of serialising about 1,700 entries at 100k trials.
PART_HEAD, PART_TAIL = b'{\n  "files": [\n', b"\n  ]\n}\n"


def part_fragment(entry: Entry) -> bytes:
    """``entry``'s bytes in a part (``part_bytes`` of several is ``part_of_fragments``)."""
    data = dumps({"files": [plain(entry)]})
    return data[len(PART_HEAD) : -len(PART_TAIL)]


def part_of_fragments(fragments: list[bytes]) -> bytes:
    """A part listing the entries whose bytes are ``fragments``, in path order."""
    return PART_HEAD + b",\n".join(fragments) + PART_TAIL


def path_of(entry: Entry) -> str:
    return entry["path"]


def parse_part(data: bytes) -> dict[str, Entry]:
    """A part's entries by path; plain files' compacted (``file_entry``)."""
    return {entry["path"]: FileEntry.of(entry) for entry in orjson.loads(data)["files"]}


class PartTable:
    """The parts of one snapshot by shard name: each part's entry in manifest.json, kept by a
    worker from one build to the next (so an approval does not read every part again). The
    paths a part lists are the file table's rows of its shard (``FileTable.part_fragments``).
    ``complete``: every shard that has files has its part here (false for a format 1
    snapshot, which has no parts: then every part is made)."""

    def __init__(self, parts: dict[str, Entry], complete: bool = True):
        self.parts = parts  # shard name -> part entry in manifest.json
        self.complete = complete

    @classmethod
    def empty(cls) -> PartTable:
        return cls({})

    @classmethod
    def missing(cls) -> PartTable:
        """The parts of a snapshot known only by its files (format 1): none, so every part
        is written."""
        return cls({}, complete=False)


def shards_of(paths: Iterable[str]) -> set[int]:
    """The shards (``shard_number``) of ``paths``."""
    return {shard_number(path) for path in paths}


def split(
    files: FileTable,
    dirty: set[int],
    previous: PartTable,
    store_part: Callable[[str, bytes, int], Entry],
) -> tuple[list[Entry], PartTable]:
    """The part entries of a snapshot with ``files``, given the previous snapshot's parts and
    the shards with a path written (or removed) since (``dirty``). Only their parts, and
    those missing from ``previous``, are made again (``store_part(path, bytes, files)``
    stores one and gives its entry), from their shard's rows; the rest are the previous ones."""
    parts: dict[str, Entry] = {}
    for number in range(SHARDS):
        shard = f"{number:03x}"
        if number not in dirty:
            if shard in previous.parts:
                parts[shard] = previous.parts[shard]
                continue
            if previous.complete:  # no part before and no path written since: no files
                continue
        fragments = files.part_fragments(number)
        if fragments:
            data = part_of_fragments(fragments)
            parts[shard] = store_part(part_path(shard), data, len(fragments))
    return list(parts.values()), PartTable(parts)


def part_entry(path: str, sha256: str, size: int, files: int) -> Entry:
    return {"path": path, "sha256": sha256, "size": size, "files": files}


def shard_of_part(entry: Entry) -> str:
    return entry["path"].removeprefix(f"{PART_DIR}/").removesuffix(".json")
