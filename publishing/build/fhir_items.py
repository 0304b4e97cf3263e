"""Every FHIR resource of the last build by path: its bundle entry's spill handle and the record
it is of, kept on disk in a private SQLite database (``fhir_files.WarmFhir.items``).

A worker keeps them for the next build: about 1.5 million at 100,000 trials, where a dict of
path -> handle and each record's tuple of its paths took some 150 MB. Rows are ordered by
path (the bundle's order) and indexed by record ("type:slug"), so that a record's resources
and the whole bundle in order are each one range read. Like ``file_table.FileTable``: deleted
when closed or dropped, never shared with a forked renderer.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from ..spill import SIZE_MASK
from .file_table import private_database


def record_key(record_type: str, slug: str) -> str:
    """How the table names the record a resource is of."""
    return f"{record_type}:{slug}"


class FhirItems(MutableMapping):
    def __init__(self) -> None:
        self._db = private_database(
            "CREATE TABLE items (path TEXT PRIMARY KEY, record TEXT, handle INTEGER NOT NULL)"
            " WITHOUT ROWID",
            "CREATE INDEX items_record ON items (record, path)",
            # What each record's resources were made from (``fhir_files.WarmFhir``): the hash
            # of the event behind its version and its inputs fingerprint.
            "CREATE TABLE records (record TEXT PRIMARY KEY, hash TEXT NOT NULL,"
            " inputs TEXT NOT NULL) WITHOUT ROWID",
        )
        self._count = 0

    def __getitem__(self, path: str) -> int:
        row = self._db.execute("SELECT handle FROM items WHERE path = ?", (path,)).fetchone()
        if row is None:
            raise KeyError(path)
        return row[0]

    def __contains__(self, path: object) -> bool:
        return (
            isinstance(path, str)
            and self._db.execute("SELECT 1 FROM items WHERE path = ?", (path,)).fetchone()
            is not None
        )

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        """Every path, in order."""
        return (path for path, _ in self.in_order())

    def in_order(self) -> Iterator[tuple[str, int]]:
        """(path, handle) of every resource, in path order, a few thousand rows at a time."""
        cursor = self._db.execute("SELECT path, handle FROM items ORDER BY path")
        while rows := cursor.fetchmany(4096):
            yield from rows

    def __setitem__(self, path: str, handle: int) -> None:
        self.put(path, handle, None)

    def put(self, path: str, handle: int, record: str | None) -> None:
        """``path``'s bundle entry is ``handle``; ``record``: ``record_key`` of the record it
        is of (None: of no record, such as a code system)."""
        if self._db.execute(
            "INSERT OR IGNORE INTO items VALUES (?, ?, ?)", (path, record, handle)
        ).rowcount:
            self._count += 1
        else:
            self._db.execute(
                "UPDATE items SET record = ?, handle = ? WHERE path = ?", (record, handle, path)
            )

    def __delitem__(self, path: str) -> None:
        if not self._db.execute("DELETE FROM items WHERE path = ?", (path,)).rowcount:
            raise KeyError(path)
        self._count -= 1

    def of_record(self, record: str) -> list[tuple[str, int]]:
        """(path, handle) of each resource of ``record`` (``record_key``), in path order."""
        return self._db.execute(
            "SELECT path, handle FROM items WHERE record = ? ORDER BY path", (record,)
        ).fetchall()

    def take_record(self, record: str) -> list[tuple[str, int]]:
        """``of_record``, the rows taken out of the table."""
        rows = self.of_record(record)
        for path, _ in rows:
            del self[path]
        return rows

    def note_record(self, record: str, hash: str, inputs: str) -> None:  # noqa: A002
        """``record``'s resources were made from its version written by the event ``hash``,
        with the inputs fingerprint ``inputs``."""
        self._db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", (record, hash, inputs))

    def record_made_from(self, record: str) -> tuple[str, str] | None:
        """(event hash, inputs) ``note_record`` noted for ``record``, if any."""
        return self._db.execute(
            "SELECT hash, inputs FROM records WHERE record = ?", (record,)
        ).fetchone()

    def forget_record(self, record: str) -> None:
        self._db.execute("DELETE FROM records WHERE record = ?", (record,))

    def paths_between(self, low: str | None, high: str | None) -> list[str]:
        """The paths in (low, high], in order (None: unbounded)."""
        # Only the bounds given, so that SQLite reads the range off the primary key.
        bounds = [("path > ?", low), ("path <= ?", high)]
        where = " AND ".join(clause for clause, value in bounds if value is not None)
        rows = self._db.execute(
            f"SELECT path FROM items {'WHERE ' + where if where else ''} ORDER BY path",  # noqa: S608
            [value for _, value in bounds if value is not None],
        )
        return [path for (path,) in rows]

    def live_bytes(self) -> int:
        """The spilled bytes the handles name (each once)."""
        row = self._db.execute(
            "SELECT total(handle & ?) FROM (SELECT DISTINCT handle FROM items)", (SIZE_MASK,)
        ).fetchone()
        return int(row[0])

    def handles(self) -> list[int]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT handle FROM items")]

    def rename(self, renamed: dict[int, int]) -> None:
        """Give every row the new handle of its old one (the spill was compacted)."""
        self._db.execute("CREATE TEMP TABLE renamed (old INTEGER PRIMARY KEY, new INTEGER)")
        self._db.executemany("INSERT INTO renamed VALUES (?, ?)", renamed.items())
        self._db.execute(
            "UPDATE items SET handle = (SELECT new FROM renamed WHERE old = items.handle)"
        )
        self._db.execute("DROP TABLE renamed")

    def close(self) -> None:
        self._db.close()

    __del__ = close  # an open connection is a reference cycle (``FileTable``)

    def __repr__(self) -> str:
        return f"<FhirItems of {len(self)} resources>"
