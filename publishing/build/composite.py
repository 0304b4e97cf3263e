"""Whole-corpus files (``evidence.json``, ``fhir/bundle.json``) stored as composites.

Such a file is tens of megabytes at 10,000 trials and grows with the corpus, while an
approval changes one record of it. So it is stored as a list of part objects, concatenated
when it is served or rebuilt: literal pieces (the keys, brackets and snapshot metadata) and
chunks of the records' compact JSON, each chunk a run of consecutive records of one array.
Chunk boundaries depend only on the records at them (a record ends a chunk when the crc32 of
its key is a multiple of ``AVERAGE_CHUNK``, or after ``MAX_CHUNK`` records), so a new or
changed record changes one chunk, not every chunk after it. The bytes are exactly those of
the whole file serialised at once (tested); only the storage is split.

A worker remembers each chunk it stored by the cache keys of its records (event hashes, which
never change): an unchanged chunk costs a dictionary lookup, not serialising, hashing and
writing its records again. The manifest entry of a composite lists its parts
(``[sha256, size]`` each) and its size; its ``etag`` is the sha256 of the parts' hashes
(strong: the same parts are the same bytes).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable
from typing import Any

AVERAGE_CHUNK = 64
MAX_CHUNK = 512

# (store identity, leading comma, items' cache keys) -> (sha256, size) of the chunk stored.
_chunks: dict[tuple, tuple[str, int]] = {}
_used: set[tuple] = set()  # keys used by the current build (the others are forgotten after)
_store: list[Any] = [None]  # the store the cache is about


def forget() -> None:
    """Forget every stored chunk (a build failed: what it staged may never be uploaded)."""
    _chunks.clear()


def begin(store_identity: Any) -> None:
    if _store[0] != store_identity:
        _chunks.clear()
        _store[0] = store_identity
    _used.clear()


def end() -> None:
    for key in [key for key in _chunks if key not in _used]:
        del _chunks[key]
    _used.clear()


def ends_chunk(key: str) -> bool:
    return zlib.crc32(key.encode()) % AVERAGE_CHUNK == 0


# Whether each key ends a chunk, remembered (an approval asks again for every FHIR resource).
_ends: dict[str, bool] = {}


def chunk_ends_of(key: str) -> bool:
    found = _ends.get(key)
    if found is None:
        if len(_ends) > 4_000_000:
            _ends.clear()
        found = _ends[key] = ends_chunk(key)
    return found


def etag_of(parts: list[list]) -> str:
    return hashlib.sha256("".join(sha for sha, _ in parts).encode()).hexdigest()


def is_composite(entry: dict[str, Any]) -> bool:
    return "parts" in entry


Item = tuple[bool, Any, Any]  # (ends a chunk, cache key, what ``make`` makes its bytes from)


class CompositeWriter:
    """The parts of one composite file, made in order through the builder's sink."""

    def __init__(self, sink, path: str):
        self.sink = sink
        self.path = path
        self.parts: list[list] = []
        self._literal = bytearray()
        self.made = 0  # chunks serialised in this build (not from the cache)

    def literal(self, data: bytes) -> None:
        self._literal += data

    def _flush(self) -> None:
        if self._literal:
            self._store(bytes(self._literal))
            self._literal.clear()

    def _store(self, data: bytes) -> tuple[str, int]:
        sha256 = hashlib.sha256(data).hexdigest()
        self.sink.put_part(self.path, sha256, data)
        self.parts.append([sha256, len(data)])
        return sha256, len(data)

    def array_items(self, items: Iterable[Item], make: Callable[[Any], bytes]) -> None:
        """A JSON array's items (without its brackets), comma-separated, in chunks; an item's
        bytes are ``make(payload)``, asked only when its chunk is not stored yet."""
        chunk: list[Item] = []
        first = True
        for item in items:
            chunk.append(item)
            if item[0] or len(chunk) >= MAX_CHUNK:
                self._chunk(chunk, first, make)
                chunk, first = [], False
        if chunk:
            self._chunk(chunk, first, make)

    def _chunk(self, chunk: list[Item], first: bool, make: Callable[[Any], bytes]) -> None:
        self._flush()
        key = (not first, tuple(cache_key for _, cache_key, _ in chunk))
        _used.add(key)
        found = _chunks.get(key) if self.sink.reuses else None
        if found is not None:
            self.parts.append(list(found))
            return
        data = (b"" if first else b",") + b",".join(make(payload) for _, _, payload in chunk)
        stored = self._store(data)
        if self.sink.reuses:  # an object store: the chunk can be named again by its sha256
            _chunks[key] = stored
        self.made += 1

    def entry(self) -> dict[str, Any]:
        self._flush()
        return {
            "path": self.path,
            "etag": etag_of(self.parts),
            "size": sum(size for _, size in self.parts),
            "parts": self.parts,
        }
