"""A plain file's manifest entry, held compactly.

A build and the worker after it hold every file's entry (``{"path", "sha256", "size"}`` and,
for a fingerprinted file, ``"inputs"``): about two million at 100,000 trials. As dicts, with
the sha256 as a hex string, each took about 300 bytes beside its path; ``FileEntry`` keeps
the same fields in slots, the sha256 and the size packed in one bytes object (the 32 bytes of
the digest, then the size in 8: one object, not a bytes object and an int), in about half
that. It reads like the
dict (``entry["sha256"]``, ``entry.get("inputs")``, ``"parts" in entry``, equality with the
dict) and ``as_dict`` gives the dict back, which is what manifests serialise (the bytes are
unchanged). Composite entries (``composite``) and part entries stay dicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

FIELDS = ("path", "sha256", "size")


class FileEntry:
    __slots__ = ("path", "packed", "inputs")

    def __init__(self, path: str, sha256: str, size: int, inputs: str | None = None):
        self.path = path
        digest = bytes.fromhex(sha256)
        if len(digest) != 32:  # fromhex skips spaces: "0a 1b..." is not a sha256
            raise ValueError(f"not a sha256: {sha256!r}")
        self.packed = digest + size.to_bytes(8, "big")
        self.inputs = inputs

    @classmethod
    def stored(cls, sink, path: str, data: bytes, inputs: str | None = None) -> FileEntry:
        """Store ``data`` at ``path`` through ``sink`` (``sinks``: by its sha256) and return
        its entry: what a build writes for every file, in the build process or a forked
        child."""
        sha256 = hashlib.sha256(data).hexdigest()
        sink.put(path, sha256, data)
        return cls(path, sha256, len(data), inputs or None)

    @classmethod
    def unpacked(cls, path: str, packed: bytes, inputs: str | None) -> FileEntry:
        """The entry whose sha256 and size are ``packed`` (as ``packed`` holds them)."""
        entry = cls.__new__(cls)
        entry.path, entry.packed, entry.inputs = path, packed, inputs
        return entry

    @property
    def digest(self) -> bytes:
        return self.packed[:32]

    @property
    def size(self) -> int:
        return int.from_bytes(self.packed[32:], "big")

    @classmethod
    def of(cls, entry: dict[str, Any]) -> FileEntry | dict[str, Any]:
        """``entry`` compacted, when it is a plain file's (else as it is)."""
        keys = entry.keys()
        if len(keys) == 3 or (len(keys) == 4 and "inputs" in keys):
            sha256, inputs = entry.get("sha256"), entry.get("inputs")
            if (
                keys >= set(FIELDS)
                and isinstance(entry["path"], str)
                and isinstance(sha256, str)
                and len(sha256) == 64
                and sha256 == sha256.lower()
                and type(entry["size"]) is int
                and 0 <= entry["size"] < 1 << 64
                and ("inputs" not in keys or (isinstance(inputs, str) and inputs))
            ):
                try:
                    return cls(entry["path"], sha256, entry["size"], inputs)
                except ValueError:  # not hex (the length was checked)
                    return entry
        return entry

    def as_dict(self) -> dict[str, Any]:
        entry = {"path": self.path, "sha256": self.digest.hex(), "size": self.size}
        if self.inputs:
            entry["inputs"] = self.inputs
        return entry

    def __getitem__(self, key: str) -> Any:
        if key == "sha256":
            return self.digest.hex()
        if key == "path":
            return self.path
        if key == "size":
            return self.size
        if key == "inputs" and self.inputs:
            return self.inputs
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return key in FIELDS or (key == "inputs" and bool(self.inputs))

    def keys(self):
        return self.as_dict().keys()

    def values(self):
        return self.as_dict().values()

    def items(self):
        return self.as_dict().items()

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return 4 if self.inputs else 3

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileEntry):
            other = other.as_dict()
        if isinstance(other, dict):
            return self.as_dict() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment] - like the dict it stands for

    def __repr__(self) -> str:
        return f"FileEntry({self.as_dict()!r})"


Mapping.register(FileEntry)


def plain(entry: Any) -> Any:
    """A manifest entry as JSON serialises it (a dict)."""
    return entry.as_dict() if isinstance(entry, FileEntry) else entry
