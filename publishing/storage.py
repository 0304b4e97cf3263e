"""Where snapshots live on disk, and how one is put in place atomically.

Layout under ``SNAPSHOT_ROOT``::

    .building/<seq>-<random>/   a build in progress (never served)
    <seq>/                      a complete snapshot, immutable once renamed into place
    latest -> <seq>             a symlink, swapped atomically with os.replace

A build writes into ``.building/`` and is renamed into ``<seq>/`` (one rename on one
filesystem: a reader sees all of it or none of it); only then does ``latest`` move. Reads for
serving go through Django's storage API (``FileSystemStorage`` rooted at ``SNAPSHOT_ROOT``,
whose ``safe_join`` refuses paths outside it); the build needs rename and symlink, which the
storage API does not offer, so it works on the filesystem directly. Object storage would
replace the rename by writing files under the new seq first and the ``latest`` pointer last.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

LATEST = "latest"
BUILDING_DIR = ".building"


def root() -> Path:
    path = Path(settings.SNAPSHOT_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_storage() -> FileSystemStorage:
    return FileSystemStorage(location=str(root()))


def snapshot_dir(seq: int) -> Path:
    return root() / str(int(seq))


def new_build_dir(seq: int) -> Path:
    building = root() / BUILDING_DIR
    building.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{int(seq)}-", dir=building))


def clear_abandoned_builds() -> None:
    """Remove build directories left by killed workers. Call only while holding the lock."""
    building = root() / BUILDING_DIR
    if building.exists():
        for child in building.iterdir():
            shutil.rmtree(child, ignore_errors=True)


def put_in_place(build_dir: Path, seq: int) -> Path:
    """Rename a finished build to ``<seq>/``. A stale directory of a failed build is replaced."""
    target = snapshot_dir(seq)
    if target.exists():
        # Only a build that died after its rename but before it was recorded leaves this; it
        # was never pointed at by ``latest`` (that happens after the database says complete).
        if latest_seq() == seq:
            raise RuntimeError(f"snapshot {seq} is already published")
        shutil.rmtree(target)
    build_dir.chmod(0o755)  # mkdtemp makes it private; readers (web server) need access
    os.replace(build_dir, target)
    _fsync_dir(target.parent)
    return target


def point_latest_to(seq: int) -> None:
    """Atomically make ``latest`` point at ``<seq>`` (a new symlink renamed over the old)."""
    base = root()
    temporary = base / f".latest-{os.getpid()}-{seq}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(str(int(seq)), temporary)
    os.replace(temporary, base / LATEST)
    _fsync_dir(base)


def latest_seq() -> int | None:
    try:
        target = os.readlink(root() / LATEST)
    except (FileNotFoundError, OSError):
        return None
    return int(target) if target.isdigit() else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
