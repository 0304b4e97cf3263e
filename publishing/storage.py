"""Where published snapshots live: a local directory tree (default) or any Django storage.

``snapshot_store()`` returns the store the settings choose; services and views use only its
interface (``SnapshotStore``). Every build happens in a local directory either way (the builder
hard-links unchanged files from the previous build); the stores differ in how a finished
build is published and read back.

**Filesystem** (``SNAPSHOT_STORAGE`` empty). Layout under ``SNAPSHOT_ROOT``::

    .building/<seq>-<random>/   a build in progress (never served)
    <seq>/                      a complete snapshot, immutable once renamed into place
    latest -> <seq>             a symlink, swapped atomically with os.replace

A build is renamed from ``.building/`` into ``<seq>/`` (one rename on one filesystem: a reader
sees all of it or none of it); only then does ``latest`` move. Reads for serving go through
``FileSystemStorage`` rooted at ``SNAPSHOT_ROOT``, whose ``safe_join`` refuses paths outside it.

**Storage API** (``SNAPSHOT_STORAGE`` names an alias in ``STORAGES``, e.g. S3 through
django-storages, shared by several machines). Content-addressed::

    objects/<sha256>                 one file body, whatever path(s) it has in snapshots
    snapshots/<seq>/manifest.json    path -> sha256 of every file; uploaded last

Object stores have no rename, so a snapshot appears by writing its objects first and its
manifest last, and becomes visible only once the database records it complete: ``latest`` is
the newest complete snapshot in the database, and a numbered snapshot is served only when the
database says it is complete (a manifest of a build that died before being recorded is
ignored). The local build is kept as a working copy in ``VAR_DIR/snapshot-work/<seq>/`` so the
next build on this machine can reuse its files; a machine without one renders everything.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

LATEST = "latest"
BUILDING_DIR = ".building"
MANIFEST = "manifest.json"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SnapshotNotFound(Exception):
    """No complete snapshot with that number in this store."""


class UploadError(Exception):
    pass


@dataclass(frozen=True)
class PublishedManifest:
    files: dict[str, dict[str, Any]]  # path -> manifest entry (sha256, size, ...)
    sha256: str  # of manifest.json itself
    size: int


def parse_manifest(data: bytes) -> PublishedManifest:
    files = {entry["path"]: entry for entry in orjson.loads(data)["files"]}
    return PublishedManifest(files, hashlib.sha256(data).hexdigest(), len(data))


class SnapshotStore:
    """What publishing and serving need from wherever snapshots are kept."""

    # Building (the publishing lock is held) -------------------------------------------------

    def new_build_dir(self, seq: int) -> Path:
        """A fresh private local directory to build snapshot ``seq`` into."""
        building = self.local_root() / BUILDING_DIR
        building.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{int(seq)}-", dir=building))

    def clear_abandoned_builds(self) -> None:
        """Remove build directories left by killed workers. Call only while holding the lock."""
        building = self.local_root() / BUILDING_DIR
        if building.exists():
            for child in building.iterdir():
                shutil.rmtree(child, ignore_errors=True)

    def local_root(self) -> Path:
        raise NotImplementedError

    def reusable_directory(self, seq: int) -> Path | None:
        """A local directory holding complete snapshot ``seq``'s files, if this machine has one."""
        raise NotImplementedError

    def put_in_place(self, build_dir: Path, seq: int) -> None:
        """Store a finished build; it must not become ``latest`` yet."""
        raise NotImplementedError

    def make_latest(self, seq: int) -> None:
        """Called once the database records ``seq`` complete."""
        raise NotImplementedError

    # Reading ----------------------------------------------------------------------------------

    def latest_seq(self) -> int | None:
        raise NotImplementedError

    def manifest(self, seq: int) -> PublishedManifest:
        """Snapshot ``seq``'s manifest; raises SnapshotNotFound."""
        raise NotImplementedError

    def open(self, seq: int, path: str, entry: dict[str, Any]) -> File:
        """The bytes of ``path`` (listed in the manifest as ``entry``); raises SnapshotNotFound."""
        raise NotImplementedError

    def copy_to(self, seq: int, directory: Path) -> Path:
        """A local directory with snapshot ``seq``'s files (for comparing with a rebuild)."""
        raise NotImplementedError


class FilesystemSnapshotStore(SnapshotStore):
    def local_root(self) -> Path:
        return root()

    def reusable_directory(self, seq: int) -> Path | None:
        return snapshot_dir(seq)

    def put_in_place(self, build_dir: Path, seq: int) -> None:
        """Rename a finished build to ``<seq>/``; a failed build's stale directory is replaced."""
        target = snapshot_dir(seq)
        if target.exists():
            # Only a build that died after its rename but before it was recorded leaves this;
            # it was never pointed at by ``latest`` (that happens after the database says so).
            if self.latest_seq() == seq:
                raise RuntimeError(f"snapshot {seq} is already published")
            shutil.rmtree(target)
        build_dir.chmod(0o755)  # mkdtemp makes it private; readers (web server) need access
        os.replace(build_dir, target)
        _fsync_dir(target.parent)

    def make_latest(self, seq: int) -> None:
        """Atomically make ``latest`` point at ``<seq>`` (a new symlink renamed over the old)."""
        base = root()
        temporary = base / f".latest-{os.getpid()}-{seq}"
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        os.symlink(str(int(seq)), temporary)
        os.replace(temporary, base / LATEST)
        _fsync_dir(base)

    def latest_seq(self) -> int | None:
        try:
            target = os.readlink(root() / LATEST)
        except (FileNotFoundError, OSError):
            return None
        return int(target) if target.isdigit() else None

    def manifest(self, seq: int) -> PublishedManifest:
        path = snapshot_dir(seq) / MANIFEST
        try:
            mtime_ns = path.stat().st_mtime_ns
        except FileNotFoundError:
            raise SnapshotNotFound(seq) from None
        return _filesystem_manifest(path, mtime_ns)

    def open(self, seq: int, path: str, entry: dict[str, Any]) -> File:
        file_storage = FileSystemStorage(location=str(root()))
        name = f"{int(seq)}/{path}"
        # The manifest lists only regular files written by the builder; refuse anything that
        # became a symlink or points outside the snapshot directory since.
        full = Path(file_storage.path(name))
        if full.is_symlink() or not full.resolve().is_relative_to(snapshot_dir(seq).resolve()):
            raise SnapshotNotFound(seq)
        try:
            return file_storage.open(name, "rb")
        except FileNotFoundError:
            raise SnapshotNotFound(seq) from None

    def copy_to(self, seq: int, directory: Path) -> Path:
        published = snapshot_dir(seq)
        if not published.is_dir():
            raise SnapshotNotFound(seq)
        return published  # already local: compare in place


@lru_cache(maxsize=64)
def _filesystem_manifest(path: Path, mtime_ns: int) -> PublishedManifest:
    return parse_manifest(path.read_bytes())


class StorageSnapshotStore(SnapshotStore):
    """Snapshots in a Django storage (``STORAGES[alias]``), content-addressed."""

    def __init__(self, alias: str, backend: Storage):
        self.alias = alias
        self.backend = backend

    @staticmethod
    def object_name(sha256: str) -> str:
        return f"objects/{sha256}"

    @staticmethod
    def manifest_name(seq: int) -> str:
        return f"snapshots/{int(seq)}/{MANIFEST}"

    def local_root(self) -> Path:
        return work_root()

    def reusable_directory(self, seq: int) -> Path | None:
        working_copy = work_root() / str(int(seq))
        return working_copy if (working_copy / MANIFEST).is_file() else None

    def put_in_place(self, build_dir: Path, seq: int) -> None:
        """Upload the bodies this store lacks, then the manifest, then keep the build as this
        machine's working copy (renamed: the builder hard-links from it next time)."""
        manifest_bytes = (build_dir / MANIFEST).read_bytes()
        manifest = orjson.loads(manifest_bytes)
        stored = self._bodies_of_previous(manifest.get("previous"))
        for entry in manifest["files"]:
            sha256 = entry["sha256"]
            if sha256 in stored:
                continue
            name = self.object_name(sha256)
            # A backend whose exists() says False for names it may overwrite (django-storages
            # 1.14.4 with file_overwrite) only costs re-uploading the same bytes.
            if not self.backend.exists(name):
                data = (build_dir / entry["path"]).read_bytes()
                # A corrupted working copy must not poison an address every later snapshot
                # trusts: check the bytes against their address before uploading.
                if hashlib.sha256(data).hexdigest() != sha256:
                    raise UploadError(f"{entry['path']} in {build_dir} does not match its sha256")
                self._save(name, data)
            stored.add(sha256)
        manifest_name = self.manifest_name(seq)
        if self.backend.exists(manifest_name):
            # Left by a build that died after uploading it but before being recorded (the
            # database never called it complete, so nothing served it).
            self.backend.delete(manifest_name)
        self._save(manifest_name, manifest_bytes)
        working_copy = work_root() / str(int(seq))
        if working_copy.exists():
            shutil.rmtree(working_copy)
        os.replace(build_dir, working_copy)

    def _bodies_of_previous(self, previous: dict | None) -> set[str]:
        """Bodies the previous complete snapshot's manifest lists: uploaded before it was."""
        if not previous:
            return set()
        try:
            with self.backend.open(self.manifest_name(previous["seq"]), "rb") as handle:
                data = handle.read()
        except FileNotFoundError:  # e.g. published before this store was configured
            return set()
        return {entry["sha256"] for entry in orjson.loads(data)["files"]}

    def _save(self, name: str, data: bytes) -> None:
        saved = self.backend.save(name, ContentFile(data))
        if saved != name:  # the backend renamed it to avoid a clash: someone else writes here
            self.backend.delete(saved)
            raise UploadError(f"storage {self.alias!r} saved {name} as {saved}")

    def make_latest(self, seq: int) -> None:
        # ``latest`` is the database's newest complete snapshot: nothing to move. Only the
        # newest working copy is useful to the next build.
        for child in work_root().iterdir():
            if child.name.isdigit() and int(child.name) != seq:
                shutil.rmtree(child, ignore_errors=True)

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
    @lru_cache(maxsize=64)  # noqa: B019 - one store per alias lives as long as the process
    def _manifest(self, seq: int, recorded_sha256: str) -> PublishedManifest:
        try:
            with self.backend.open(self.manifest_name(seq), "rb") as handle:
                manifest = parse_manifest(handle.read())
        except FileNotFoundError:
            raise SnapshotNotFound(seq) from None
        if manifest.sha256 != recorded_sha256:
            raise SnapshotNotFound(seq)
        return manifest

    def open(self, seq: int, path: str, entry: dict[str, Any]) -> File:
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

    def copy_to(self, seq: int, directory: Path) -> Path:
        manifest = self.manifest(seq)
        directory.mkdir(parents=True, exist_ok=True)
        with self.open(seq, MANIFEST, {}) as handle:
            (directory / MANIFEST).write_bytes(handle.read())
        for path, entry in manifest.files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with self.open(seq, path, entry) as handle:
                    target.write_bytes(handle.read())
            except SnapshotNotFound:
                continue  # a missing body shows up as a difference
        return directory


def configured_alias() -> str:
    """The STORAGES alias snapshots go to, or "" for SNAPSHOT_ROOT; ImproperlyConfigured if
    it names no alias (publishing to the local disk instead would split the machines)."""
    alias = getattr(settings, "SNAPSHOT_STORAGE", "")
    if alias and alias not in settings.STORAGES:
        raise ImproperlyConfigured(
            f"SNAPSHOT_STORAGE is {alias!r}, but STORAGES has no alias {alias!r} "
            f"(it has: {', '.join(sorted(settings.STORAGES)) or 'none'})"
        )
    return alias


def snapshot_store() -> SnapshotStore:
    alias = configured_alias()
    if not alias:
        return FilesystemSnapshotStore()
    return _storage_store(alias, storages[alias])


@lru_cache(maxsize=8)
def _storage_store(alias: str, backend: Storage) -> StorageSnapshotStore:
    return StorageSnapshotStore(alias, backend)


# Local directories ----------------------------------------------------------------------------


def root() -> Path:
    path = Path(settings.SNAPSHOT_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


def snapshot_dir(seq: int) -> Path:
    """Filesystem mode: where complete snapshot ``seq`` lives."""
    return root() / str(int(seq))


def work_root() -> Path:
    """Storage mode: local builds and the working copy of the last one published here."""
    path = Path(settings.VAR_DIR) / "snapshot-work"
    path.mkdir(parents=True, exist_ok=True)
    return path


def latest_seq() -> int | None:
    return snapshot_store().latest_seq()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
