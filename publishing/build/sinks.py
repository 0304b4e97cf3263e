"""Where a build puts the bodies it makes.

- ``ObjectDirectorySink``: content-addressed objects in a local directory (the filesystem
  store's ``objects/``, or the storage-API store's staging directory). Each body is written
  under a temporary name and renamed, so an object is never seen half-written, and only if no
  object has its sha256 yet. Forked renderers write through it too (the filesystem is shared).
- ``TreeSink``: every file at its path in a directory, as a rebuild is compared (nothing is
  reused: a tree is a full build); a composite file (``composite``) is written whole.
"""

from __future__ import annotations

import os
from pathlib import Path

from .files import write_file


class ObjectDirectorySink:
    reuses = True

    def __init__(
        self,
        objects: Path,
        fanout: bool = True,
        legacy_dir: Path | None = None,
        identity: object = None,
    ):
        self.objects = str(objects)
        self.fanout = fanout
        # Which store the objects end up in: chunks remembered from earlier builds
        # (``composite``) are named again only in the same store.
        self.identity = identity if identity is not None else ("directory", self.objects)
        self.legacy_dir = legacy_dir  # a format 1 previous snapshot's files, to take in
        self._made: set[str] = set()

    def name(self, sha256: str) -> str:
        if self.fanout:
            return f"{self.objects}/{sha256[:2]}/{sha256}"
        return f"{self.objects}/{sha256}"

    def _parent(self, target: str) -> None:
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)

    def put(self, path: str, sha256: str, data: bytes) -> None:
        target = self.name(sha256)
        if os.path.exists(target):
            return  # the same bytes, stored by an earlier snapshot (or file)
        self._parent(target)
        temporary = f"{target}.{os.getpid()}.tmp"
        write_file(Path(temporary), data)
        os.replace(temporary, target)

    def put_part(self, path: str, sha256: str, data: bytes) -> None:
        """One part of a composite file (``composite``): an object like any other."""
        self.put(path, sha256, data)

    def reuse(self, path: str, entry: dict) -> bool:
        """A file of the previous snapshot: its object is there already, unless that snapshot
        is of format 1 (files in its own directory), whose file is linked in once."""
        if self.legacy_dir is None:
            return True
        target = self.name(entry["sha256"])
        if os.path.exists(target):
            return True
        self._parent(target)
        temporary = f"{target}.{os.getpid()}.tmp"
        try:
            os.link(f"{self.legacy_dir}/{path}", temporary)
        except FileNotFoundError:
            return False
        except OSError:
            try:
                with open(f"{self.legacy_dir}/{path}", "rb") as handle:
                    write_file(Path(temporary), handle.read())
            except OSError:
                return False
        os.replace(temporary, target)
        return True


class TreeSink:
    reuses = False

    def __init__(self, directory: Path):
        self.directory = str(directory)
        self._made: set[str] = set()
        self._composites: set[str] = set()  # composite files begun (their parts are appended)

    def _target(self, path: str) -> str:
        target = f"{self.directory}/{path}"
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def put(self, path: str, sha256: str, data: bytes) -> None:
        write_file(Path(self._target(path)), data)

    identity = None

    def put_part(self, path: str, sha256: str, data: bytes) -> None:
        """The next part of a composite file: the file is its parts, concatenated."""
        target = self._target(path)
        mode = "ab" if path in self._composites else "wb"
        self._composites.add(path)
        with open(target, mode) as handle:
            handle.write(data)

    def reuse(self, path: str, entry: dict) -> bool:
        return False
