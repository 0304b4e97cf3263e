"""Bytes a worker keeps between builds, kept on disk instead of in memory.

A worker keeps every FHIR resource's bundle entry (``build.fhir_files``): the bundle needs all
of them, and mapping a record again costs far more than reading its entries back. A build
keeps every live record's current document (``selectors.RecordState``). At 100,000
trials that is millions of entries, gigabytes as Python bytes objects; here each is a range of
an unnamed temporary file (deleted by the system when the process ends), named by an int
handle, and read back with one ``pread`` when its bundle chunk is made. Such a file's pages
belong to the page cache, not to the process's memory.

Entries are only appended. The file is compacted (the live entries copied to a new file, their
handles renamed) when most of it is dead: ``compact``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

SIZE_BITS = 32
SIZE_MASK = (1 << SIZE_BITS) - 1


class Spill:
    def __init__(self) -> None:
        self._handle = None  # the temporary file object (it owns the descriptor)
        self._fd: int | None = None
        self._pid = 0
        self.end = 0  # bytes written, live or dead
        # Which file the handles are of: a file that replaces another (compaction, or a new
        # one after ``close``) names other bytes by the same offsets, so what is remembered by
        # handle is remembered with the generation too. Creating the first file does not move
        # it: a table made before its first ``put`` names bytes of that file.
        self.generation = 0

    def _file(self) -> int:
        if self._fd is None:
            self._handle = tempfile.TemporaryFile(prefix="publishing-spill-")  # noqa: SIM115
            self._fd = self._handle.fileno()
            self._pid, self.end = os.getpid(), 0
        elif self._pid != os.getpid():  # a forked child: the file is its parent's
            raise RuntimeError("a forked process may read spilled bytes, never add any")
        return self._fd

    def put(self, data: bytes) -> int:
        fd = self._file()
        offset = self.end
        view = memoryview(data)
        while view:
            view = view[os.pwrite(fd, view, offset + len(data) - len(view)) :]
        self.end += len(data)
        return (offset << SIZE_BITS) | len(data)

    def get(self, handle: int) -> bytes:
        return _read(self._fd, handle)

    def close(self) -> None:
        if self._handle is not None and self._pid == os.getpid():
            self._handle.close()
        if self._fd is not None:
            self.generation += 1  # its handles name nothing now
        self._handle, self._fd, self.end = None, None, 0

    def worth_compacting(self, live: int) -> bool:
        """Whether dead bytes are most of the file (``live``: the bytes still named)."""
        return self.end > 2 * live + (64 << 20)

    def compact(self, handles: Iterable[int]) -> dict[int, int]:
        """Copy the entries ``handles`` name to a new file; their new handles by old one."""
        old_handle, old_fd, old_pid = self._handle, self._fd, self._pid
        self._handle, self._fd, self.end = None, None, 0
        self.generation += 1
        renamed: dict[int, int] = {}
        for handle in handles:
            if handle not in renamed:
                renamed[handle] = self.put(_read(old_fd, handle))
        if old_handle is not None and old_pid == os.getpid():
            old_handle.close()
        return renamed


def _read(fd: int, handle: int) -> bytes:
    size, offset = handle & SIZE_MASK, handle >> SIZE_BITS
    data = os.pread(fd, size, offset)
    if len(data) != size:
        raise OSError(f"spilled bytes cut short at {offset}: {len(data)} of {size}")
    return data


def size_of(handle: int) -> int:
    return handle & SIZE_MASK
