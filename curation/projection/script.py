"""The live projection's writes on PostgreSQL as one script: every statement of a run of
events (item deletes, the records' upsert, their history rows, every item table) sent in one
round trip, each table's rows passed as one JSON parameter (serialised by orjson) and
expanded by the server (``jsonb_populate_recordset``), in the rows' order. The parameter is
read as jsonb, parsed once: read as json, the server parses each row's document again to
store it, and each item's text again for every field a join reads (``->>``), three times
the work for a batch of trials.

Items refer to their arm and outcome by (trial, key) and to other records by slug; the
script resolves those by lookups, one per row and each by an index (``one_row``), of the rows
it has just written, so no id travels back to Python between statements. The rows written
are those ``OrmWriter`` and simple-history's ``bulk_history_create`` write for the same
``Rows`` (tested against each other).
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from django.db import connection

from evidence import models as ev

from ..models import Event
from ..roundtrip import STREAM, may_send_commit
from .rows import Rows

EVENT_TABLE = Event._meta.db_table

# Columns simple-history adds to a historical table, beside the record's own.
HISTORY_COLUMNS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_SUBCLASS).decode()


def _columns(model: type, *, skip: tuple[str, ...] = ("id",)) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def _quoted(columns: list[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{c}"' for c in columns)


def one_row(table: str, where: str, columns: str = "*") -> str:
    """A subquery for the one row of ``table`` that ``where`` (an equality on a unique key,
    naming columns of the rows being written) finds, to join LATERAL: read by its index, one
    lookup per row written. A plain join lets the planner, which expects a hundred rows from
    a set-returning function, hash the whole table instead (a scan of every trial for one
    approval); the LIMIT keeps the subquery from being merged into such a join."""
    return f"(SELECT {columns} FROM {table} WHERE {where} LIMIT 1)"  # noqa: S608 - our own names


@functools.cache
def history_model(model: type) -> type | None:
    """``model``'s historical model (simple-history), None if it keeps no history."""
    history = getattr(model, "history", None)
    return None if history is None else history.model


@functools.cache
def history_supported(model: type) -> bool:
    """Whether ``model``'s history rows are the record's columns plus simple-history's own
    (anything else is left to simple-history itself). Asked once per model: simple-history
    builds a new manager on every ``model.history``."""
    history = history_model(model)
    if history is None:
        return True
    own = {f.column for f in model._meta.concrete_fields}
    theirs = {f.column for f in history._meta.concrete_fields}
    # A column with the database's default is left to it (``request_history``'s
    # ``documents_kept``): the script's rows are those simple-history writes.
    defaulted = {f.column for f in history._meta.concrete_fields if f.has_db_default()}
    return theirs - own - defaulted == HISTORY_COLUMNS


class Script:
    """Statements and their parameters, run together in one round trip (psycopg sends a
    client-side-bound multi-statement query as one simple query)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.params: list[Any] = []

    def add(self, sql: str, *params: Any) -> None:
        self.statements.append(sql)
        self.params.extend(params)

    def run(self, *, commit: bool = False) -> None:
        """Send the statements. ``commit``: the caller's last statements, ending with the
        COMMIT of its transaction when ``roundtrip.may_send_commit`` says they may."""
        if not self.statements:
            return
        statements = self.statements
        if commit and may_send_commit():
            statements = [*statements, "COMMIT"]
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(statements), self.params)
        self.statements, self.params = [], []

    def upsert_records(
        self, model: type, rows: list[dict], history: list[dict], from_events: bool = False
    ) -> None:
        """INSERT ... ON CONFLICT (id) DO UPDATE of ``rows``, then one history row per entry
        of ``history`` ({id, history_date, history_change_reason, history_type,
        history_user_id}), copied from the row just written.

        ``from_events``: a row without a ``document`` takes the document of the event at its
        ``position`` (written before this statement runs), looked up by the log's primary
        key: a batch's documents, megabytes of JSON, are not sent to the server twice."""
        table = model._meta.db_table
        columns = _columns(model, skip=())
        names = _quoted(columns)
        selected = names
        if from_events:
            selected = ", ".join(
                f'COALESCE(r."document", (SELECT e.document FROM {EVENT_TABLE} AS e '  # noqa: S608
                'WHERE e.position = r."position"))'
                if c == "document"
                else f'r."{c}"'
                for c in columns
            )
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c != "id")
        self.add(
            f"INSERT INTO {table} ({names}) SELECT {selected} "  # noqa: S608 - our own names
            f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) WITH ORDINALITY AS r "
            f"ORDER BY r.ordinality ON CONFLICT (id) DO UPDATE SET {updates}",
            _json([{model._meta.get_field(k).column: v for k, v in r.items()} for r in rows]),
        )
        if history and history_model(model) is not None:
            hist = history_model(model)._meta.db_table
            extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
            self.add(
                f"INSERT INTO {hist} ({names}, {_quoted(extra)}) "  # noqa: S608
                f"SELECT {_quoted(columns, 't.')}, {_quoted(extra, 'h.')} "
                f"FROM jsonb_populate_recordset(NULL::{hist}, %s::jsonb) WITH ORDINALITY AS h "
                f"CROSS JOIN LATERAL {one_row(table, 'id = h.id')} AS t ORDER BY h.ordinality",
                _json(history),
            )

    def items(self, rows: Rows) -> None:
        """Insert the item rows of ``rows`` (the records they belong to are written)."""
        arm, outcome = ev.Arm._meta.db_table, ev.Outcome._meta.db_table
        self._plain(ev.Arm, rows.arms)
        self._plain(ev.Outcome, rows.outcomes)
        self._by_refs(ev.OutcomeValue, rows.values, {"outcome": outcome, "arm": arm})
        self._by_refs(
            ev.Comparison,
            rows.comparisons,
            {"outcome": outcome, "arm": arm, "reference_arm": arm},
        )
        self._plain(ev.Finding, rows.findings)
        through_i, through_c = ev.Trial.interventions.through, ev.Trial.citations.through
        self._by_slug(
            through_i,
            [{"trial_id": t, "slug": s} for t, s in rows.trial_interventions],
            "intervention_id",
            ev.Intervention._meta.db_table,
        )
        self._by_slug(
            through_c,
            [{"trial_id": t, "slug": s} for t, s in rows.trial_citations],
            "citation_id",
            ev.Citation._meta.db_table,
        )
        self._by_slug(
            ev.TopicTrial,
            [
                {"topic_id": topic, "section_key": section, "slug": slug, "order": order}
                for topic, section, slug, order in rows.topic_trials
            ],
            "trial_id",
            ev.Trial._meta.db_table,
        )

    def _plain(self, model: type, items: list[dict]) -> None:
        if not items:
            return
        table = model._meta.db_table
        columns = [model._meta.get_field(name).column for name in items[0]]
        names = _quoted(columns)
        self.add(
            f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608
            f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) WITH ORDINALITY AS r "
            "ORDER BY r.ordinality",
            _json([dict(zip(columns, item.values(), strict=True)) for item in items]),
        )

    def _by_refs(self, model: type, items: list[dict], refs: dict[str, str]) -> None:
        """Items whose ``refs`` columns hold (trial id, key) of an arm or outcome: each
        looked up by its key for its id."""
        if not items:
            return
        table = model._meta.db_table
        plain = [n for n in items[0] if n not in refs]
        columns = [model._meta.get_field(n).column for n in plain]
        joins, ids = [], []
        for n, (name, target) in enumerate(refs.items()):
            where = f"trial_id = (e.item->>'{name}_trial')::uuid AND key = e.item->>'{name}_key'"
            joins.append(f"CROSS JOIN LATERAL {one_row(target, where, 'id')} AS j{n}")
            ids.append((f"{name}_id", f"j{n}.id"))
        payload = []
        for item in items:
            row = {c: item[n] for n, c in zip(plain, columns, strict=True)}
            for name in refs:
                row[f"{name}_trial"], row[f"{name}_key"] = item[name]
            payload.append(row)
        targets = _quoted([c for c, _ in ids] + columns)
        sources = ", ".join([s for _, s in ids] + [f'v."{c}"' for c in columns])
        self.add(
            f"INSERT INTO {table} ({targets}) SELECT {sources} "  # noqa: S608
            "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(item, n) "
            f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, e.item) AS v "
            f"{' '.join(joins)} ORDER BY e.n",
            _json(payload),
        )

    def _by_slug(self, model: type, items: list[dict], column: str, target: str) -> None:
        """Relation rows naming a record by slug: looked up by its slug for its id (a slug
        with no record is left out, as ``OrmWriter`` leaves it)."""
        if not items:
            return
        table = model._meta.db_table
        plain = [n for n in items[0] if n != "slug"]
        columns = [model._meta.get_field(n).column for n in plain]
        payload = [
            {c: item[n] for n, c in zip(plain, columns, strict=True)} | {"slug": item["slug"]}
            for item in items
        ]
        target_row = one_row(target, "slug = e.item->>'slug'", "id")
        self.add(
            f"INSERT INTO {table} ({_quoted([column, *columns])}) "  # noqa: S608
            f"SELECT s.id, {_quoted(columns, 'v.')} "
            "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(item, n) "
            f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, e.item) AS v "
            f"CROSS JOIN LATERAL {target_row} AS s ORDER BY e.n",
            _json(payload),
        )


class Pipeline(Script):
    """A ``Script`` sent as a pipeline (psycopg's pipeline mode): each statement prepared and
    its parameters bound on the server, all of them in one round trip. For a batch's large
    parameters (megabytes of JSON): a ``Script`` binds them on the client, quoting each as an
    SQL literal the server then reads again as part of the query text."""

    def add(self, sql: str, *params: Any) -> None:
        self.statements.append(sql)
        self.params.append(list(params))  # each statement's own

    def run(self) -> None:
        if not self.statements:
            return
        import psycopg

        if (stream := getattr(connection, STREAM, None)) is not None:
            stream.send(self.statements, self.params)
            self.statements, self.params = [], []
            return
        connection.ensure_connection()
        # Django's own error classes (IntegrityError, ...), as its cursors raise them.
        with (
            connection.wrap_database_errors,
            connection.connection.pipeline(),
            psycopg.Cursor(connection.connection) as cursor,
        ):
            for sql, params in zip(self.statements, self.params, strict=True):
                cursor.execute(sql, params)
        self.statements, self.params = [], []
