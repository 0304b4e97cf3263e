"""Snapshots in a Django storage (``SNAPSHOT_STORAGE``, e.g. S3), content-addressed::

    objects/<sha256>                 one body (a file or a manifest part)
    snapshots/<seq>/manifest.json    the snapshot's manifest; uploaded last

A build stages the bodies it makes in a local directory (its forked renderers cannot share a
storage client), then ``put_in_place`` uploads those the store lacks, checked against their
address, and the manifest last. Object stores have no rename, so a snapshot becomes visible
only once the database records it complete: ``latest`` is the newest complete snapshot in the
database, and a numbered snapshot is served only when the database says it is complete (a
manifest of a build that died before being recorded is ignored). See ``publishing.storage``.
"""

from __future__ import annotations

import hashlib
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from .storage import (
    MANIFEST,
    SHA256,
    PublishedManifest,
    SnapshotNotFound,
    SnapshotStore,
    UploadError,
    open_composite,
    parse_manifest,
    work_root,
)


class StorageSnapshotStore(SnapshotStore):
    """Snapshots in a Django storage (``STORAGES[alias]``), content-addressed."""

    def __init__(self, alias: str, backend: Storage):
        self.alias = alias
        self.backend = backend
        self.stored: set[str] = set()  # bodies this process uploaded or found stored

    @staticmethod
    def object_name(sha256: str) -> str:
        return f"objects/{sha256}"

    @staticmethod
    def manifest_name(seq: int) -> str:
        return f"snapshots/{int(seq)}/{MANIFEST}"

    def staging(self, seq: int) -> Path:
        return work_root() / f"staging-{int(seq)}"

    def clear_abandoned_builds(self) -> None:
        for child in work_root().iterdir():
            shutil.rmtree(child, ignore_errors=True)

    def object_sink(self, seq: int):
        from .build.sinks import ObjectDirectorySink

        staging = self.staging(seq)
        shutil.rmtree(staging, ignore_errors=True)
        return ObjectDirectorySink(
            staging, fanout=False, identity=("storage", self.alias, id(self.backend))
        )

    def discard_build(self, seq: int) -> None:
        shutil.rmtree(self.staging(seq), ignore_errors=True)

    def build_leftovers(self, seq: int) -> list[Path]:
        staging = self.staging(seq)
        return sorted(staging.iterdir()) if staging.exists() else []

    def put_in_place(self, seq: int, manifest_bytes: bytes) -> None:
        """Upload the staged bodies this store lacks, then the manifest."""
        staging = self.staging(seq)
        staged = sorted(staging.iterdir()) if staging.is_dir() else []
        for body in staged:
            sha256 = body.name
            if sha256 in self.stored:
                continue
            name = self.object_name(sha256)
            # A backend whose exists() says False for names it may overwrite (django-storages
            # 1.14.4 with file_overwrite) only costs re-uploading the same bytes.
            if not self.backend.exists(name):
                data = body.read_bytes()
                # A corrupted staging file must not poison an address every later snapshot
                # trusts: check the bytes against their address before uploading.
                if hashlib.sha256(data).hexdigest() != sha256:
                    raise UploadError(f"{body} does not match its sha256")
                self._save(name, data)
            self.stored.add(sha256)
        manifest_name = self.manifest_name(seq)
        if self.backend.exists(manifest_name):
            # Left by a build that died after uploading it but before being recorded (the
            # database never called it complete, so nothing served it).
            self.backend.delete(manifest_name)
        self._save(manifest_name, manifest_bytes)
        shutil.rmtree(staging, ignore_errors=True)

    def _save(self, name: str, data: bytes) -> None:
        saved = self.backend.save(name, ContentFile(data))
        if saved != name:  # the backend renamed it to avoid a clash: someone else writes here
            self.backend.delete(saved)
            raise UploadError(f"storage {self.alias!r} saved {name} as {saved}")

    def make_latest(self, seq: int) -> None:
        """``latest`` is the database's newest complete snapshot: nothing to move."""

    def latest_seq(self) -> int | None:
        from .selectors import latest_complete_snapshot

        latest = latest_complete_snapshot()
        return latest.seq if latest else None

    def manifest(self, seq: int) -> PublishedManifest:
        from .models import Snapshot

        recorded = (
            Snapshot.objects.filter(seq=seq, status=Snapshot.Status.COMPLETE)
            .values_list("manifest_sha256", flat=True)
            .first()
        )
        if not recorded:
            raise SnapshotNotFound(seq)
        return self._manifest(seq, recorded)

    # Keyed by the recorded sha256 and checked against it, so an entry can never be stale.
    @lru_cache(maxsize=16)  # noqa: B019 - one store per alias lives as long as the process
    def _manifest(self, seq: int, recorded_sha256: str) -> PublishedManifest:
        try:
            with self.backend.open(self.manifest_name(seq), "rb") as handle:
                manifest = parse_manifest(handle.read(), self._read_object)
        except FileNotFoundError:
            raise SnapshotNotFound(seq) from None
        if manifest.sha256 != recorded_sha256:
            raise SnapshotNotFound(seq)
        return manifest

    def _read_object(self, sha256: str) -> bytes:
        try:
            with self.backend.open(self.object_name(sha256), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise SnapshotNotFound(f"object {sha256}") from None

    def open(self, seq: int, path: str, entry: dict[str, Any]) -> File:
        if "parts" in entry:  # a composite (``build.composite``): its parts, concatenated
            return open_composite(entry, lambda sha: self.open(seq, "", {"sha256": sha}))
        if path == MANIFEST:
            name = self.manifest_name(seq)
        elif SHA256.match(entry.get("sha256", "")):
            name = self.object_name(entry["sha256"])
        else:
            raise SnapshotNotFound(seq)
        try:
            return self.backend.open(name, "rb")
        except FileNotFoundError:
            raise SnapshotNotFound(seq) from None
