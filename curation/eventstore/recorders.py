"""What differs between databases in storing and reading the event log: one recorder each.

Everything else in the event store, and every caller, is the same on both backends. A
recorder serialises appends and reads raw rows quickly (documents as JSON text, decoded with
orjson by the caller, instead of Django's JSONField decoding per row).
"""

from __future__ import annotations

from django.db import connection

from ..models import Event

TABLE = Event._meta.db_table


class Recorder:
    """The SQL both backends share; subclasses say what differs."""

    #: How a JSON column is read as text in a SELECT list.
    json_as_text = "{column}"

    def lock_for_append(self) -> None:
        """Serialise appends until the current transaction ends."""
        raise NotImplementedError

    def documents(
        self, positions: list[int], chunk: int = 1000
    ) -> list[tuple[int, str, str | None]]:
        """(position, stream type, document as JSON text) of the given events."""
        column = self.json_as_text.format(column="document")
        rows: list[tuple[int, str, str | None]] = []
        for start in range(0, len(positions), chunk):
            part = positions[start : start + chunk]
            placeholders = ", ".join(["%s"] * len(part))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT position, stream_type, {column} FROM {TABLE} "  # noqa: S608 - no user input
                    f"WHERE position IN ({placeholders}) ORDER BY position",
                    part,
                )
                rows.extend(cursor.fetchall())
        return rows

    def rows(self, columns: list[str], positions: list[int]) -> list[tuple]:
        """Raw rows of the given events, in position order; ``document`` comes as JSON text."""
        select = ", ".join(
            self.json_as_text.format(column=c) if c == "document" else c for c in columns
        )
        placeholders = ", ".join(["%s"] * len(positions))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {TABLE} "  # noqa: S608 - column names are ours
                f"WHERE position IN ({placeholders}) ORDER BY position",
                positions,
            )
            return cursor.fetchall()

    def stream_heads(self) -> list[tuple]:
        """One pass over the log, in the database: each stream's last event, plus every event
        whose version breaks its stream's 1, 2, 3, ... sequence (a gap or a reordering).

        Rows: (position, stream_type, stream_id, version, expected_version, is_last, type).
        """
        window = "PARTITION BY stream_type, stream_id ORDER BY position"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT position, stream_type, stream_id, version, expected, is_last, type "  # noqa: S608
                "FROM (SELECT position, stream_type, stream_id, version, type, "
                f"lag(version, 1, 0) OVER ({window}) + 1 AS expected, "
                f"lead(position) OVER ({window}) IS NULL AS is_last "
                f"FROM {TABLE}) AS e "
                "WHERE version <> expected OR is_last ORDER BY position"
            )
            return cursor.fetchall()

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
            return cursor.fetchone()[0]


class PostgresRecorder(Recorder):
    json_as_text = "{column}::text"
    # Arbitrary constant identifying the append lock among PostgreSQL advisory locks.
    APPEND_LOCK_ID = 0x45564944  # "EVID"

    def lock_for_append(self) -> None:
        # Transaction-scoped: released by the commit or rollback that ends the append.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [self.APPEND_LOCK_ID])


class SqliteRecorder(Recorder):
    def lock_for_append(self) -> None:
        """Nothing to do: every transaction began with BEGIN IMMEDIATE (settings) and already
        holds the database's write lock."""


def recorder() -> Recorder:
    """The recorder for the database in use."""
    return POSTGRES if connection.vendor == "postgresql" else SQLITE


POSTGRES = PostgresRecorder()
SQLITE = SqliteRecorder()
