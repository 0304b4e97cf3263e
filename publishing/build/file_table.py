"""Every file of a snapshot by path, kept on disk in a private SQLite database.

A build, and the warm worker after it, hold every file's manifest entry: about 1.7 million at
100,000 trials. As Python objects (the path string, a ``FileEntry``, its packed bytes, its
inputs string, a dict slot) they took about 270 bytes each, some 460 MB at 100,000 trials, most
of the publication's 512 MB budget. ``FileTable`` keeps them in a private temporary SQLite
database instead (SQLite deletes it when the table is closed or the process ends; the
operating system's page cache, not the process, holds its pages beyond a small cache).

Rows are ordered by (shard, path), so that a manifest part's entries are one range read in
path order, each row holding the entry's bytes in a part (``manifest.split``). It is a
``MutableMapping`` of path -> entry: a plain file's entry comes back as a ``FileEntry`` equal
to the one put in; the few composite entries (``composite``: ``evidence.json``, the FHIR
bundle, ``index.html``) stay Python dicts beside the database, as they are.

Not shared between processes: a forked renderer never touches its parent's table
(``rendering``: children leave with ``os._exit``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from .file_entry import FileEntry
from .manifest import part_fragment, shard_number

# Pages SQLite keeps in the process (KiB, as its negative cache_size), per table. The tables
# outgrow any cache at 100,000 trials, so each held all of it: 16 MB each was 32 MB of the
# build's budget. Pages beyond it are read back from the operating system's page cache (a
# warm approval reads a few hundred rows, and a manifest part's range of 9 MB in one pass).
CACHE_KIB = 4_096
Entry = FileEntry | dict[str, Any]


def private_database(*schema: str) -> sqlite3.Connection:
    """A private temporary SQLite database with ``schema``, in one open transaction."""
    # "" names a private temporary database: its file is unlinked as soon as it is made.
    db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KIB}"):
        db.execute(f"PRAGMA {pragma}")
    for statement in schema:
        db.execute(statement)
    # One transaction for the table's life: nothing here needs to survive the process, and
    # committing would only write pages out sooner.
    db.execute("BEGIN")
    return db


class FileTable(MutableMapping):
    def __init__(self, entries: Mapping[str, Entry] | Iterable[tuple[str, Entry]] = ()):
        self._db = private_database(
            "CREATE TABLE files (shard INTEGER NOT NULL, path TEXT NOT NULL, packed BLOB NOT"
            " NULL, inputs TEXT, fragment BLOB NOT NULL, PRIMARY KEY (shard, path))"
            " WITHOUT ROWID"
        )
        self._count = 0  # rows in the database
        self._others: dict[str, dict[str, Any]] = {}  # composites, by path
        self.update(entries)

    # Mapping ------------------------------------------------------------------------------

    def __getitem__(self, path: str) -> Entry:
        other = self._others.get(path)
        if other is not None:
            return other
        row = self._db.execute(
            "SELECT packed, inputs FROM files WHERE shard = ? AND path = ?",
            (shard_number(path), path),
        ).fetchone()
        if row is None:
            raise KeyError(path)
        return FileEntry.unpacked(path, row[0], row[1])

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        return path in self._others or (
            self._db.execute(
                "SELECT 1 FROM files WHERE shard = ? AND path = ?", (shard_number(path), path)
            ).fetchone()
            is not None
        )

    def __len__(self) -> int:
        return self._count + len(self._others)

    def __iter__(self) -> Iterator[str]:
        """Every path, a shard at a time (not in path order), composites last."""
        cursor = self._db.execute("SELECT path FROM files ORDER BY shard, path")
        while rows := cursor.fetchmany(4096):
            for (path,) in rows:
                yield path
        yield from list(self._others)

    # Changes ------------------------------------------------------------------------------

    def __setitem__(self, path: str, entry: Entry) -> None:
        if type(entry) is not FileEntry:
            entry = FileEntry.of(entry)
        if type(entry) is not FileEntry:  # a composite (or any other entry): kept as it is
            self._delete_row(path)
            self._others[path] = entry
            return
        if entry.path != path:
            raise ValueError(f"the entry of {entry.path!r} listed at {path!r}")
        self._others.pop(path, None)
        row = (shard_number(path), path, entry.packed, entry.inputs, part_fragment(entry))
        if self._db.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?)", row).rowcount:
            self._count += 1
        else:
            self._db.execute(
                "UPDATE files SET packed = ?, inputs = ?, fragment = ?"
                " WHERE shard = ? AND path = ?",
                (*row[2:], *row[:2]),
            )

    def __delitem__(self, path: str) -> None:
        if self._others.pop(path, None) is None and not self._delete_row(path):
            raise KeyError(path)

    def _delete_row(self, path: str) -> bool:
        deleted = self._db.execute(
            "DELETE FROM files WHERE shard = ? AND path = ?", (shard_number(path), path)
        ).rowcount
        self._count -= deleted
        return bool(deleted)

    # What the manifest needs --------------------------------------------------------------

    def part_fragments(self, shard: int) -> list[bytes]:
        """The bytes in a manifest part (``manifest.part_fragment``) of each entry whose path
        is in ``shard`` (``manifest.shard_number``), in path order."""
        rows = self._db.execute(
            "SELECT path, fragment FROM files WHERE shard = ? ORDER BY path", (shard,)
        ).fetchall()
        others = [
            (p, part_fragment(e)) for p, e in self._others.items() if shard_number(p) == shard
        ]
        if others:
            rows = sorted([*rows, *others])
        return [fragment for _, fragment in rows]

    def paths_missing_from(self, other: Mapping[str, Entry]) -> Iterator[str]:
        """The paths here that ``other`` does not list (a row at a time, not a set of all)."""
        return (path for path in self if path not in other)

    def close(self) -> None:
        self._db.close()

    # Closed as soon as the table is dropped: an open sqlite3 connection is part of a
    # reference cycle (its statement cache), which would leave its file to the cyclic
    # collector, paused during builds and frozen after them (``builder.build_into``).
    __del__ = close

    def __repr__(self) -> str:
        return f"<FileTable of {len(self)} files>"


def as_file_table(files: Mapping[str, Entry] | None) -> FileTable:
    """``files`` as a ``FileTable`` (itself when it is one)."""
    if isinstance(files, FileTable):
        return files
    return FileTable(files or {})
