"""Where published snapshots live: a local directory tree (default) or any Django storage.

``snapshot_store()`` returns the store the settings choose; services and views use only its
interface (``SnapshotStore``). Both stores keep one content-addressed layout: every file body
is an object named by its sha256, shared by every snapshot that has it, and a snapshot is its
manifest, split in parts (``publishing.build.manifest``): ``manifest.json`` (metadata and the
list of parts) and the parts (each an object, listing path -> sha256 of some files). An
approval stores only the bodies and parts that changed, so publishing costs what changed.

**Filesystem** (``SNAPSHOT_STORAGE`` empty). Layout under ``SNAPSHOT_ROOT``::

    objects/<sha256[:2]>/<sha256>  one body (two levels: millions of objects)
    .building/<seq>-<random>/     a manifest being put in place (never served)
    <seq>/manifest.json           a complete snapshot, immutable once renamed into place
    latest -> <seq>               a symlink, swapped atomically with os.replace

Objects are written under a temporary name and renamed (a reader never sees half an object),
always before the manifest that names them; the manifest's directory is renamed from
``.building/`` into ``<seq>/`` (one rename: a reader sees the snapshot whole or not at all);
only then does ``latest`` move. Snapshots published before this layout (format 1: every file
under ``<seq>/`` and one manifest listing them all) stay served from their directories; the
first build after them moves their bodies into ``objects/`` by hard link, without copying.

**Storage API** (``SNAPSHOT_STORAGE`` names an alias in ``STORAGES``, e.g. S3 through
django-storages, shared by several machines)::

    objects/<sha256>                 one body, whatever path(s) it has in snapshots
    snapshots/<seq>/manifest.json    the snapshot's manifest; uploaded last

(``publishing.storage_api``). Object stores have no rename: a snapshot is visible only once the
database records it complete (``latest`` is the newest complete snapshot in the database).

Serving resolves ``path -> part -> object`` through the manifest and its parts, both cached
per process by their sha256 (immutable), and reads only objects named by a sha256 from them,
never by a path from the request.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from .build import manifest as split_manifest
from .build.file_table import FileTable
from .build.files import write_file
from .published_manifest import (
    MANIFEST,
    PublishedManifest,
    SnapshotNotFound,
    open_composite,
    parse_manifest,
)

LATEST = "latest"
BUILDING_DIR = ".building"
OBJECTS_DIR = "objects"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadError(Exception):
    pass


@dataclass
class PreviousState:
    """What a build needs of the previous snapshot: its files, its parts, (format 1 on the
    filesystem) the directory its bodies are still in, and how to read its objects by sha256
    (a cold worker reads the previous FHIR bundle: ``build.previous_bundle``)."""

    files: FileTable
    parts: split_manifest.PartTable
    legacy_dir: Path | None = None
    read_object: Callable[[str], bytes] | None = None


class SnapshotStore:
    """What publishing and serving need from wherever snapshots are kept."""

    # Building (the publishing lock is held) -------------------------------------------------

    def clear_abandoned_builds(self) -> None:
        """Remove what killed workers left half-done. Call only while holding the lock."""

    def object_sink(self, seq: int):
        """Where a build's bodies go (``publishing.build.sinks``)."""
        raise NotImplementedError

    def discard_build(self, seq: int) -> None:
        """After a failed build: remove what it staged. Bodies it stored stay (objects no
        manifest names are never served, and the next build may store the same again)."""

    def build_leftovers(self, seq: int) -> list[Path]:
        """What a build of ``seq`` left half-done (nothing once it failed or finished)."""
        return []

    def put_in_place(self, seq: int, manifest_bytes: bytes) -> None:
        """Store a finished build's manifest (its objects are stored already); it must not
        become ``latest`` yet."""
        raise NotImplementedError

    def make_latest(self, seq: int) -> None:
        """Called once the database records ``seq`` complete."""
        raise NotImplementedError

    def previous_state(self, seq: int) -> PreviousState | None:
        """Snapshot ``seq``'s files and parts, for the next build to reuse; None if missing.
        A worker keeps those of the snapshot it built last (``build.builder.last_built``)."""
        from .build.builder import last_built

        try:
            manifest = self.manifest(seq)
        except SnapshotNotFound:
            return None
        kept = last_built(manifest.sha256)
        if kept is not None:
            return PreviousState(*kept, read_object=manifest.read_object)
        if manifest.format < 2:
            files = FileTable(manifest.files)
            return PreviousState(files, split_manifest.PartTable.missing(), self._legacy(seq))
        # Every part read once, straight into a file table (on disk: millions of entries at
        # 100k trials), not the manifest's dict of them all, which its cache would keep.
        files = FileTable()
        parts = {}
        for part in manifest.data["parts"]:
            parts[split_manifest.shard_of_part(part)] = part
            files.update(manifest.read_part(part))
        return PreviousState(
            files, split_manifest.PartTable(parts), read_object=manifest.read_object
        )

    def _legacy(self, seq: int) -> Path | None:
        return None

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
        """A local directory with snapshot ``seq``'s files, its manifest and the manifest's
        parts at their paths (for comparing with a rebuild)."""
        manifest = self.manifest(seq)
        directory.mkdir(parents=True, exist_ok=True)
        listed = {MANIFEST: manifest.entry(MANIFEST), **manifest.parts, **manifest.files}
        for path, entry in listed.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with self.open(seq, path, entry) as handle:
                    target.write_bytes(handle.read())
            except SnapshotNotFound:
                continue  # a missing body shows up as a difference
        return directory


class FilesystemSnapshotStore(SnapshotStore):
    def clear_abandoned_builds(self) -> None:
        building = root() / BUILDING_DIR
        if building.exists():
            for child in building.iterdir():
                shutil.rmtree(child, ignore_errors=True)

    def object_sink(self, seq: int):
        from .build.sinks import ObjectDirectorySink

        return ObjectDirectorySink(objects_root())

    def build_leftovers(self, seq: int) -> list[Path]:
        building = root() / BUILDING_DIR
        return sorted(building.iterdir()) if building.exists() else []

    def put_in_place(self, seq: int, manifest_bytes: bytes) -> None:
        """Write the manifest in a private directory, then rename it to ``<seq>/``; a failed
        build's stale directory is replaced."""
        building = root() / BUILDING_DIR
        building.mkdir(parents=True, exist_ok=True)
        build_dir = Path(tempfile.mkdtemp(prefix=f"{int(seq)}-", dir=building))
        write_file(build_dir / MANIFEST, manifest_bytes)
        target = snapshot_dir(seq)
        if target.exists():
            # Only a build that died after its rename but before it was recorded leaves this;
            # it was never pointed at by ``latest`` (that happens after the database says so).
            if self.latest_seq() == seq:
                shutil.rmtree(build_dir)
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

    def _legacy(self, seq: int) -> Path | None:
        return snapshot_dir(seq)

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
        if "parts" in entry:  # a composite (``build.composite``): its parts, concatenated
            return open_composite(entry, lambda sha: self.open(seq, "", {"sha256": sha}))
        file_storage = FileSystemStorage(location=str(root()))
        if path == MANIFEST or self.manifest(seq).format < 2:
            name = f"{int(seq)}/{path}"
            within = snapshot_dir(seq)
        elif SHA256.match(entry.get("sha256", "")):
            name = object_name(entry["sha256"])
            within = objects_root()
        else:
            raise SnapshotNotFound(seq)
        # The manifest lists only regular files written by the builder; refuse anything that
        # became a symlink or points outside the snapshot's directory since.
        full = Path(file_storage.path(name))
        if full.is_symlink() or not full.resolve().is_relative_to(within.resolve()):
            raise SnapshotNotFound(seq)
        try:
            return file_storage.open(name, "rb")
        except FileNotFoundError:
            raise SnapshotNotFound(seq) from None


def _read_local_object(sha256: str) -> bytes:
    try:
        return (root() / object_name(sha256)).read_bytes()
    except FileNotFoundError:
        raise SnapshotNotFound(f"object {sha256}") from None


@lru_cache(maxsize=16)
def _filesystem_manifest(path: Path, mtime_ns: int) -> PublishedManifest:
    return parse_manifest(path.read_bytes(), _read_local_object)


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
def _storage_store(alias: str, backend: Storage) -> SnapshotStore:
    from .storage_api import StorageSnapshotStore

    return StorageSnapshotStore(alias, backend)


# Local directories ----------------------------------------------------------------------------


def root() -> Path:
    path = Path(settings.SNAPSHOT_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


def snapshot_dir(seq: int) -> Path:
    """Filesystem mode: where complete snapshot ``seq``'s manifest (format 1: files) lives."""
    return root() / str(int(seq))


def objects_root() -> Path:
    return root() / OBJECTS_DIR


def object_name(sha256: str) -> str:
    """Filesystem mode: an object's name under ``SNAPSHOT_ROOT``."""
    return f"{OBJECTS_DIR}/{sha256[:2]}/{sha256}"


def work_root() -> Path:
    """Storage mode: bodies staged locally during a build, before they are uploaded."""
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
