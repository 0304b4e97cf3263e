"""Reading what was published, the way serving reads it."""

from __future__ import annotations

from publishing import storage


def published_bytes(seq: int, path: str) -> bytes:
    """A published file's bytes, read the way serving reads them (in either mode)."""
    store = storage.snapshot_store()
    entry = store.manifest(seq).files.get(path, {})
    with store.open(seq, path, entry) as handle:
        return handle.read()
