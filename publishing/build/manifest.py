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
from typing import Any

import orjson

from .file_entry import FileEntry, plain
from .files import dumps

FORMAT = 2
SHARDS = 1024
PART_DIR = "manifest"
Entry = dict[str, Any]


def shard_of(path: str) -> str:
    """The part a path belongs to: crc32 (fixed, fast) of the path, three hex digits."""
    return f"{zlib.crc32(path.encode()) % SHARDS:03x}"


def part_path(shard: str) -> str:
    return f"{PART_DIR}/{shard}.json"


def is_part_path(path: str) -> bool:
    return path.startswith(f"{PART_DIR}/")


def part_bytes(entries: Iterable[Entry]) -> bytes:
    return dumps({"files": [plain(entry) for entry in sorted(entries, key=path_of)]})


def path_of(entry: Entry) -> str:
    return entry["path"]


def parse_part(data: bytes) -> dict[str, Entry]:
    """A part's entries by path; plain files' compacted (``file_entry``)."""
    return {entry["path"]: FileEntry.of(entry) for entry in orjson.loads(data)["files"]}


class PartTable:
    """The parts of one snapshot: each part's manifest entry and the paths it lists, kept by a
    worker from one build to the next (so an approval does not read every part again). The
    paths are held as tuples (a set of 2,000 strings costs about three times the tuple, and a
    build changes few parts: it takes a set of only those)."""

    def __init__(self, parts: dict[str, Entry], paths: dict[str, tuple[str, ...]]):
        self.parts = parts  # shard -> part entry in manifest.json
        self.paths = paths  # shard -> paths listed in that part

    @classmethod
    def empty(cls) -> PartTable:
        return cls({}, {})

    @classmethod
    def of_files(cls, files: dict[str, Entry]) -> PartTable:
        """The paths by shard of a snapshot known only by its files (a format 1 snapshot):
        every part is missing, so every part is written."""
        paths: dict[str, list[str]] = {}
        for path in files:
            paths.setdefault(shard_of(path), []).append(path)
        return cls({}, {shard: tuple(members) for shard, members in paths.items()})


def split(
    files: dict[str, Entry],
    changed: Iterable[str],
    previous: PartTable,
    store_part: Callable[[str, bytes, int], Entry],
) -> tuple[list[Entry], PartTable]:
    """The part entries of a snapshot with ``files``, given the previous snapshot's parts and
    the paths written (or removed) since. Only parts with a changed path, or missing from
    ``previous``, are made again (``store_part(path, bytes, files)`` stores one and gives
    its entry); the rest are the previous ones."""
    # The changed paths by shard, then each changed shard's members as a set, one shard at a
    # time: a full build changes every part, and sets of them all (every path) at once were
    # the build's largest table at its end.
    changes: dict[str, list[str]] = {}
    for path in changed:
        changes.setdefault(shard_of(path), []).append(path)
    parts: dict[str, Entry] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for shard in sorted({*previous.paths, *changes}):
        members = previous.paths.get(shard, ())
        dirty = shard in changes
        if dirty:
            present = set(members)
            for path in changes.pop(shard):
                if path in files:
                    present.add(path)
                else:
                    present.discard(path)
            members = tuple(present)
        if not members:
            continue
        if dirty or shard not in previous.parts:
            data = part_bytes(files[path] for path in members)
            parts[shard] = store_part(part_path(shard), data, len(members))
        else:
            parts[shard] = previous.parts[shard]
        paths[shard] = members
    ordered = [parts[shard] for shard in sorted(parts)]
    return ordered, PartTable(parts, paths)


def part_entry(path: str, sha256: str, size: int, files: int) -> Entry:
    return {"path": path, "sha256": sha256, "size": size, "files": files}


def shard_of_part(entry: Entry) -> str:
    return entry["path"].removeprefix(f"{PART_DIR}/").removesuffix(".json")
