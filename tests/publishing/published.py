"""Reading what was published, the way serving reads it."""

from __future__ import annotations

import hashlib

from publishing import storage


def published_bytes(seq: int, path: str) -> bytes:
    """A published file's bytes, read the way serving reads them (in either mode)."""
    store = storage.snapshot_store()
    entry = store.manifest(seq).entry(path) or {}
    with store.open(seq, path, entry) as handle:
        return handle.read()


def published_object(seq: int, sha256: str) -> bytes:
    """One stored object (a part of a composite file), checked against its address."""
    store = storage.snapshot_store()
    with store.open(seq, "", {"sha256": sha256}) as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == sha256
    return data


def published_manifest(seq: int) -> dict:
    """manifest.json with every file listed, as one list in path order (joined from its
    parts: ``publishing.build.manifest``)."""
    manifest = storage.snapshot_store().manifest(seq)
    return {**manifest.data, "files": list(manifest.files.values())}


def published_paths(seq: int, suffix: str = "") -> list[str]:
    return [path for path in storage.snapshot_store().manifest(seq).files if path.endswith(suffix)]


def fhir_files(manifest: dict, slug: str | None = None) -> list[str]:
    """The FHIR resource files a manifest lists (not the bundle); with ``slug``, only those
    of that record (the ids our mapping gives: ``<slug>``, ``<slug>.<key>...`` and the
    Provenance ``<type>.<slug>.v<n>``)."""
    found = []
    for entry in manifest["files"]:
        parts = entry["path"].split("/")
        if parts[0] != "fhir" or len(parts) != 3:
            continue
        resource_id = parts[2].removesuffix(".json")
        if (
            slug is None
            or resource_id == slug
            or resource_id.startswith(f"{slug}.")
            or parts[1] == "Provenance"
            and resource_id.split(".")[1:2] == [slug]
        ):
            found.append(entry["path"])
    return found
