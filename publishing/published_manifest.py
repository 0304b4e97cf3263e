"""A published snapshot's manifest as serving reads it: ``manifest.json`` and, for the split
manifest (format 2, ``publishing.build.manifest``), its parts, read one at a time as paths are
asked for and kept per process by their sha256 (immutable: never stale)."""

from __future__ import annotations

import hashlib
import io
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
from django.core.files import File

from .build import manifest as split_manifest

MANIFEST = "manifest.json"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SnapshotNotFound(Exception):
    """No complete snapshot with that number in this store (or a body it names is missing)."""


# Parsed parts by sha256 (immutable, so never stale): a web process keeps the parts it served
# from last; a part of a 100,000-trial snapshot holds about 1,700 entries.
_parts: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
PARTS_KEPT = 64


def _part(read_object: Callable[[str], bytes], sha256: str) -> dict[str, dict[str, Any]]:
    found = _parts.get(sha256)
    if found is None:
        found = _parts[sha256] = _parse_part(read_object, sha256)
        while len(_parts) > PARTS_KEPT:
            _parts.popitem(last=False)
    else:
        _parts.move_to_end(sha256)
    return found


def _parse_part(read_object: Callable[[str], bytes], sha256: str) -> dict[str, dict[str, Any]]:
    data = read_object(sha256)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SnapshotNotFound(f"part {sha256} does not match its sha256")
    return split_manifest.parse_part(data)


@dataclass
class PublishedManifest:
    data: dict[str, Any]  # manifest.json, parsed
    sha256: str  # of manifest.json itself
    size: int
    read_object: Callable[[str], bytes] | None = field(default=None, repr=False)

    @property
    def format(self) -> int:
        return int(self.data.get("format", 1))

    @cached_property
    def parts(self) -> dict[str, dict[str, Any]]:
        """Part entries by their path (``manifest/<shard>.json``; none in format 1)."""
        return {part["path"]: part for part in self.data.get("parts", [])}

    def entry(self, path: str) -> dict[str, Any] | None:
        """The manifest entry (sha256, size, ...) of a served path, reading one part at most."""
        if path == MANIFEST:
            return {"path": path, "sha256": self.sha256, "size": self.size}
        if self.format < 2:
            return self.files.get(path)
        if path in self.parts:
            return self.parts[path]
        part = self.parts.get(split_manifest.part_path(split_manifest.shard_of(path)))
        if part is None:
            return None
        return _part(self.read_object, part["sha256"]).get(path)

    def part_files(self, part: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return _part(self.read_object, part["sha256"])

    def read_part(self, part: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """A part's entries, read and checked but not kept (a build reads every part once)."""
        return _parse_part(self.read_object, part["sha256"])

    @cached_property
    def files(self) -> dict[str, dict[str, Any]]:
        """Every file's entry by path, in path order (not the manifest or its parts): reads
        every part, so serving uses ``entry``."""
        if self.format < 2:
            return {entry["path"]: entry for entry in self.data["files"]}
        merged: dict[str, dict[str, Any]] = {}
        for part in self.data["parts"]:
            merged.update(self.read_part(part))
        return {path: merged[path] for path in sorted(merged)}


def parse_manifest(data: bytes, read_object=None) -> PublishedManifest:
    return PublishedManifest(
        orjson.loads(data), hashlib.sha256(data).hexdigest(), len(data), read_object
    )


class ConcatenatedReader(io.RawIOBase):
    """A composite file's bytes (``build.composite``): its parts' objects read one after the
    other, each opened only when the previous one is used up."""

    def __init__(self, openers: list[Callable[[], Any]]):
        self._openers = iter(openers)
        self._current = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self._current is None:
                opener = next(self._openers, None)
                if opener is None:
                    return 0
                self._current = opener()
            data = self._current.read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()


def open_composite(entry: dict[str, Any], open_object: Callable[[str], Any]) -> File:
    """A composite file as one file (read in 1 MB blocks): ``open_object(sha256)`` opens a
    part; a part whose name is not a sha256 is refused before anything is read."""
    if not all(SHA256.match(str(sha)) for sha, _ in entry["parts"]):
        raise SnapshotNotFound(entry.get("path"))
    openers = [lambda sha=sha: open_object(sha) for sha, _ in entry["parts"]]
    return File(io.BufferedReader(ConcatenatedReader(openers), 1 << 20), name=entry.get("path"))
