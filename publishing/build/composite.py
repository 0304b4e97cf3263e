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

import bisect
import hashlib
import zlib
from collections.abc import Callable, Iterable
from typing import Any

AVERAGE_CHUNK = 64
MAX_CHUNK = 512
STREAM_PART = 1 << 20  # bytes per part of a streamed literal (``CompositeWriter.stream``)

# (leading comma, digest of the items' cache keys) -> (sha256, size) of the chunk stored.
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
    """Whether ``key`` ends a chunk. Not remembered: a table of every key (millions of FHIR
    paths at 100,000 trials) cost more memory than the crc32 costs time."""
    return zlib.crc32(key.encode()) % AVERAGE_CHUNK == 0


def chunk_key(chunk: list[Item]) -> bytes:
    """A chunk's items' cache keys, digested (128 bits): a table of them all held every FHIR
    path twice over (millions of tuples at 100,000 trials)."""
    keys = repr(tuple(cache_key for _, cache_key, _ in chunk))
    return hashlib.blake2b(keys.encode(), digest_size=16).digest()


def etag_of(parts: list[list]) -> str:
    return hashlib.sha256("".join(sha for sha, _ in parts).encode()).hexdigest()


def is_composite(entry: dict[str, Any]) -> bool:
    return "parts" in entry


Item = tuple[bool, Any, Any]  # (ends a chunk, cache key, what ``make`` makes its bytes from)
# An item of a kept array (``ChunkedArray``): its order key (sorted, unique), then an Item.
KeyedItem = tuple[Any, bool, Any, Any]


class CompositeWriter:
    """The parts of one composite file, made in order through the builder's sink."""

    def __init__(self, sink, path: str, separator: bytes = b","):
        self.sink = sink
        self.path = path
        self.separator = separator  # between items (a JSON array's comma)
        self.parts: list[list] = []
        self._literal = bytearray()
        self.made = 0  # chunks serialised in this build (not from the cache)

    def literal(self, data: bytes) -> None:
        self._literal += data

    def stream(self, pieces: Iterable[bytes]) -> None:
        """Literal bytes made piece by piece (a file listing every record), stored in parts of
        about ``STREAM_PART`` bytes as they come: the file is never held whole."""
        for piece in pieces:
            self._literal += piece
            if len(self._literal) >= STREAM_PART:
                self._flush()

    def _flush(self) -> None:
        if self._literal:
            self._store(bytes(self._literal))
            self._literal.clear()

    def _store(self, data: bytes) -> tuple[str, int]:
        sha256 = hashlib.sha256(data).hexdigest()
        self.sink.put_part(self.path, sha256, data)
        self.parts.append([sha256, len(data)])
        return sha256, len(data)

    def array_items(
        self,
        items: Iterable[Item],
        make: Callable[[Any], bytes],
        keys: Iterable[Any] | None = None,
        kept: ChunkedArray | None = None,
    ) -> None:
        """A JSON array's items (without its brackets), comma-separated, in chunks; an item's
        bytes are ``make(payload)``, asked only when its chunk is not stored yet. With
        ``kept`` (and ``keys``, each item's order key), its chunks are remembered there for
        the next build (``ChunkedArray.update``)."""
        if kept is not None:
            kept.clear()
        self._flush()
        chunk: list[Item] = []
        chunk_keys: list[Any] = []
        key_of = iter(keys) if keys is not None else None
        first = True
        for item in items:
            chunk.append(item)
            if key_of is not None:
                chunk_keys.append(next(key_of))
            if item[0] or len(chunk) >= MAX_CHUNK:
                self._add_chunk(chunk, chunk_keys, first, make, kept)
                chunk, chunk_keys, first = [], [], False
        if chunk:
            self._add_chunk(chunk, chunk_keys, first, make, kept)

    def _add_chunk(self, chunk, chunk_keys, first, make, kept) -> None:
        part = self._chunk(chunk, first, make)
        self.parts.append(list(part))
        if kept is not None:
            kept.append(chunk_keys, part)

    def _chunk(
        self, chunk: list[Item], first: bool, make: Callable[[Any], bytes]
    ) -> tuple[str, int]:
        """Store one chunk (or name the one stored earlier); its (sha256, size)."""
        key = (not first, chunk_key(chunk))
        _used.add(key)
        found = _chunks.get(key) if self.sink.reuses else None
        if found is not None:
            return found
        separator = self.separator
        data = (b"" if first else separator) + separator.join(make(p) for _, _, p in chunk)
        sha256 = hashlib.sha256(data).hexdigest()
        self.sink.put_part(self.path, sha256, data)
        stored = (sha256, len(data))
        if self.sink.reuses:  # an object store: the chunk can be named again by its sha256
            _chunks[key] = stored
        self.made += 1
        return stored

    def kept_array(
        self,
        kept: ChunkedArray,
        changed: Iterable[Any],
        lookup: Callable[[Any], Item | None],
        make: Callable[[Any], bytes],
    ) -> None:
        """The array ``kept`` describes as of the previous build, with the items of the keys
        ``changed`` (new, changed or gone since: ``lookup(key)`` gives an item's current
        Item, None if gone): only the chunks around them are made again."""
        self._flush()
        kept.update(self, changed, lookup, make)
        self.parts.extend(list(part) for part in kept.parts)

    def entry(self) -> dict[str, Any]:
        self._flush()
        return {
            "path": self.path,
            "etag": etag_of(self.parts),
            "size": sum(size for _, size in self.parts),
            "parts": self.parts,
        }


class ChunkedArray:
    """One array of a composite as the last build chunked it: each chunk's items' order keys
    and its part, kept by a warm worker so that the next build makes again only the chunks
    holding a changed item. Chunking is deterministic from a chunk's start (an item ends a
    chunk by its own key, or at MAX_CHUNK items), so re-chunking from the start of the first
    chunk touched until a new chunk ends where an old one ended gives exactly the chunks a
    walk over the whole array gives (tested against it).

    ``keys_between(low, high)``, when given, is where the array's current keys are kept (the
    FHIR bundle's paths are a table's rows, ``fhir_items``): the keys in (low, high], sorted
    (None: unbounded). Only each chunk's last key is held then, not every key: a chunk's old
    keys are the current ones in its range, with the keys changed since (among them those
    gone) taken in by ``update`` anyway."""

    def __init__(self, keys_between: Callable[[Any, Any], list[Any]] | None = None) -> None:
        self.keys_between = keys_between
        self.keys: list[list[Any]] = []  # each chunk's items' order keys, sorted (if held)
        self.lasts: list[Any] = []  # each chunk's last key (bisect)
        self.parts: list[tuple[str, int]] = []  # each chunk's (sha256, size)

    def clear(self) -> None:
        self.keys, self.lasts, self.parts = [], [], []

    def append(self, keys: list[Any], part: tuple[str, int]) -> None:
        if self.keys_between is None:
            self.keys.append(list(keys))
        self.lasts.append(keys[-1])
        self.parts.append(part)

    def _keys_of(self, start: int, end: int) -> list[Any]:
        """The keys of chunks ``start..end``."""
        if self.keys_between is None:
            return [key for chunk in self.keys[start : end + 1] for key in chunk]
        return self.keys_between(self.lasts[start - 1] if start else None, self.lasts[end])

    def _chunk_of(self, key: Any) -> int:
        return min(bisect.bisect_left(self.lasts, key), len(self.lasts) - 1)

    def update(self, writer, changed, lookup, make) -> None:
        changed = sorted(set(changed))
        if not changed:
            return
        if not self.parts:  # an empty array gains items: chunk them all
            items = [(key, lookup(key)) for key in changed]
            self._rechunk(writer, 0, 0, [p for p in items if p[1] is not None], lookup, make)
            return
        touched = sorted({self._chunk_of(key) for key in changed})
        pending = changed
        # Spans of consecutive touched chunks are re-chunked in turn, from the last one, so
        # that an earlier span's indices stay valid.
        spans: list[list[int]] = []
        for index in touched:
            if spans and index <= spans[-1][1] + 1:
                spans[-1][1] = index
            else:
                spans.append([index, index])
        for start, end in reversed(spans):
            low = self.lasts[start - 1] if start else None
            within = [key for key in pending if low is None or key > low]
            if end < len(self.lasts) - 1:
                within = [key for key in within if key <= self.lasts[end]]
            taken = set(within)
            pending = [key for key in pending if key not in taken]
            self._respan(writer, start, end, within, lookup, make)

    def _respan(self, writer, start, end, changed, lookup, make) -> None:
        """Re-chunk chunks ``start..end`` with the keys ``changed`` among them, taking in the
        chunks after them until a new chunk ends where an old one did."""
        keys = sorted({*self._keys_of(start, end), *changed})
        items = [(key, lookup(key)) for key in keys]
        items = [pair for pair in items if pair[1] is not None]
        self._rechunk(writer, start, end + 1, items, lookup, make)

    def _rechunk(self, writer, start: int, stop: int, items: list, lookup, make) -> None:
        new_keys: list[list[Any]] = []
        new_parts: list[tuple[str, int]] = []
        chunk: list = []
        position = 0
        while True:
            while position < len(items):
                chunk.append(items[position])
                position += 1
                if chunk[-1][1][0] or len(chunk) >= MAX_CHUNK:
                    self._made(writer, start, new_keys, new_parts, chunk, make)
                    chunk = []
            # Go on into the next old chunk while a chunk is left open, or while no chunk
            # leads the array (the next one was stored with a leading comma).
            if not (chunk or (start == 0 and not new_keys)) or stop >= len(self.parts):
                break
            # A chunk left open: the next old chunk's items continue it.
            items = [(key, lookup(key)) for key in self._keys_of(stop, stop)]
            position = 0
            stop += 1
        if chunk:
            self._made(writer, start, new_keys, new_parts, chunk, make)
        if self.keys_between is None:
            self.keys[start:stop] = new_keys
        self.lasts[start:stop] = [keys[-1] for keys in new_keys]
        self.parts[start:stop] = new_parts

    @staticmethod
    def _made(writer, start, new_keys, new_parts, chunk, make) -> None:
        first = start == 0 and not new_keys
        new_parts.append(writer._chunk([item for _, item in chunk], first, make))
        new_keys.append([key for key, _ in chunk])
