"""Several statements sent to PostgreSQL in one round trip: a service's reads (and its lock)
before it decides, instead of one round trip each. Elsewhere each is run in turn.

Each part is a QuerySet, whose rows come back as that QuerySet gives them (a ``values_list``
gives tuples, Django's converters applied), or raw (sql, params), whose rows come back as the
cursor gives them. psycopg binds the parameters on the client and sends the statements as one
query string; each statement runs in turn, in the caller's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from django.db import connection
from django.db.models import QuerySet


class Together:
    def __init__(self) -> None:
        self.parts: list[QuerySet | tuple[str, list]] = []

    def add(self, part: QuerySet | tuple[str, list]) -> int:
        """Add a part; its index in ``run``'s answer."""
        self.parts.append(part)
        return len(self.parts) - 1

    def run(self) -> list[list[Any]]:
        """The rows of each part, in the order added."""
        if connection.vendor != "postgresql":
            return [self._alone(part) for part in self.parts]
        compiled = []
        for part in self.parts:
            if isinstance(part, QuerySet):
                compiler = part.query.get_compiler(part.db)
                sql, params = compiler.as_sql()
                compiled.append((compiler, sql, list(params)))
            else:
                compiled.append((None, part[0], list(part[1])))
        answers: list[list[Any]] = []
        with connection.cursor() as cursor, beginning() as begin:
            cursor.execute(
                begin + ";\n".join(sql for _, sql, _ in compiled),
                [p for _, _, params in compiled for p in params],
            )
            if begin:
                cursor.nextset()
            for n, (compiler, _, _) in enumerate(compiled):
                if n:
                    cursor.nextset()
                rows = cursor.fetchall() if cursor.description is not None else []
                answers.append(rows if compiler is None else list(compiler.results_iter([rows])))
        return answers

    @staticmethod
    def _alone(part: QuerySet | tuple[str, list]) -> list[Any]:
        if isinstance(part, QuerySet):
            return list(part)
        with connection.cursor() as cursor:
            cursor.execute(*part)
            return cursor.fetchall() if cursor.description is not None else []


@contextmanager
def beginning() -> Iterator[str]:
    """PostgreSQL: ``"BEGIN; "`` when the statements the caller sends next (one query string)
    open the caller's ``transaction.atomic()`` block, else ``""``. psycopg sends the BEGIN
    of a transaction alone, a round trip of its own before the first statement; sent ahead of
    them it costs none. psycopg is then told not to send one (its autocommit flag, which
    Django sets back when the block ends; Django's COMMIT or ROLLBACK ends the transaction
    this BEGIN opened). If the statements fail before the BEGIN ran, psycopg is told again
    to send it itself. Only for a plain BEGIN (no isolation level or read-only setting)."""
    from psycopg.pq import TransactionStatus

    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield ""
        return
    connection.ensure_connection()
    conn = connection.connection
    plain = conn.isolation_level is None and conn.read_only is None and not conn.deferrable
    if conn.autocommit or conn.info.transaction_status != TransactionStatus.IDLE or not plain:
        yield ""
        return
    conn.autocommit = True
    try:
        yield "BEGIN; "
    finally:
        if conn.info.transaction_status == TransactionStatus.IDLE:
            conn.autocommit = False  # nothing began: psycopg begins the transaction itself


def may_send_commit() -> bool:
    """PostgreSQL: whether the statements the caller sends next may end with the COMMIT of the
    caller's transaction, sparing the round trip of its own that Django's commit would take.
    Only when the caller runs in the outermost ``transaction.atomic()`` block, which began
    the transaction and commits it on a clean exit (nested in another block, the outer one
    decides), and nothing in it failed. The caller sends nothing after them and raises
    nothing before the block ends: once the server has committed, Django's commit finds no
    transaction and sends nothing (psycopg's ``commit`` on an idle connection), and its
    on-commit callbacks run as usual. A statement that fails stops the string before the
    COMMIT: the block then rolls back as it would have."""
    return (
        connection.vendor == "postgresql"
        and connection.in_atomic_block
        and len(connection.atomic_blocks) == 1
        and not connection.savepoint_ids
        and connection.commit_on_exit
        and not connection.needs_rollback
    )


def instances(model: type, rows: list[tuple]) -> list[Any]:
    """Model instances from the rows of ``row_query(model)`` (as a read of them would give)."""
    names = [f.attname for f in model._meta.concrete_fields]
    return [model.from_db(connection.alias, names, row) for row in rows]


def row_query(queryset: QuerySet) -> QuerySet:
    """``queryset`` as a ``values_list`` of its model's columns, for ``instances``."""
    return queryset.values_list(*[f.attname for f in queryset.model._meta.concrete_fields])


@functools.cache
def _columns(model: type) -> tuple[str, tuple]:
    """``model``'s columns as a SELECT list, and each column's converters (what Django applies
    to the value the database gives: a JSONField decodes its text; PostgreSQL's backend adds
    none of its own)."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    select = ", ".join(f"{quote(model._meta.db_table)}.{quote(f.column)}" for f in fields)
    return select, tuple((f, tuple(f.get_db_converters(connection))) for f in fields)


def select_rows(model: type, where: str, params: list, *, suffix: str = "") -> tuple[str, list]:
    """A raw part reading whole rows of ``model`` (``WHERE`` ``where``; ``suffix``: ORDER BY,
    LIMIT, FOR UPDATE...), for ``raw_instances``: written once, not compiled by the ORM on
    every call (a request's approval spent more time compiling its reads than running them)."""
    select, _ = _columns(model)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"SELECT {select} FROM {table} WHERE {where} {suffix}".rstrip(), params  # noqa: S608


def raw_instances(model: type, rows: list[tuple], *, fast_json: bool = False) -> list[Any]:
    """Model instances from the rows of ``select_rows``, as a read through the ORM gives them.

    ``fast_json``: JSON columns (without a decoder of their own) decoded by orjson, not the
    standard library (``_loads``): the same values, several times faster for a batch's
    thousands of documents (and free of the cyclic collector's walks they would set off)."""
    _, fields = _columns(model)
    if fast_json:
        fields = _fast_json(model)
    names = [f.attname for f, _ in fields]
    found = []
    for row in rows:
        values = list(row)
        for n, (field, converters) in enumerate(fields):
            for convert in converters:
                values[n] = convert(values[n], field, connection)
        found.append(model.from_db(connection.alias, names, values))
    return found


def _loads(value: Any, field: Any, connection: Any) -> Any:
    """``JSONField.from_db_value`` for a field without a decoder, by orjson (the standard
    library's where orjson declines: an integer beyond 64 bits)."""
    if value is None or not isinstance(value, str | bytes):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return field.from_db_value(value, None, connection)


@functools.cache
def _fast_json(model: type) -> tuple:
    """``_columns(model)``'s converters, JSON fields without a decoder by ``_loads``."""
    _, fields = _columns(model)
    return tuple(
        (f, (_loads,))
        if f.get_internal_type() == "JSONField" and f.decoder is None and converters
        else (f, converters)
        for f, converters in fields
    )


# The connection's attribute naming its open ``streaming`` block (a ``_Stream``).
STREAM = "curation_stream"


class _Stream:
    """One pipeline left open across a batch's ``Pipeline`` runs: their statements are sent
    and the server runs them while the caller computes what comes next; their results (none
    but errors) are read when the pipeline ends (``settle``)."""

    def __init__(self) -> None:
        self.pipeline = self.cursor = None

    def send(self, statements: list[str], params: list[list]) -> None:
        import psycopg

        with connection.wrap_database_errors:
            if self.pipeline is None:
                connection.ensure_connection()
                self.pipeline = connection.connection.pipeline()
                self.pipeline.__enter__()
                self.cursor = psycopg.Cursor(connection.connection)
            for sql, values in zip(statements, params, strict=True):
                self.cursor.execute(sql, values)

    def settle(self, exc: BaseException | None = None) -> None:
        """Wait for what was sent and leave pipeline mode: an error of a statement sent is
        raised here (unless ``exc``, the error the caller is already raising)."""
        if self.pipeline is None:
            return
        pipeline, cursor, self.pipeline, self.cursor = self.pipeline, self.cursor, None, None
        with connection.wrap_database_errors:
            try:
                if exc is None:
                    pipeline.__exit__(None, None, None)
                else:
                    pipeline.__exit__(type(exc), exc, exc.__traceback__)
            finally:
                cursor.close()


@contextmanager
def streaming() -> Iterator[None]:
    """PostgreSQL: ``Pipeline`` runs inside the block are sent without waiting for them to
    finish (one pipeline across them, the server working while the caller goes on); every
    other statement of the block first waits for them and runs as it would outside the block
    (Django's, by an execute wrapper; COPY, by ``settled``). Their errors are raised by the
    next statement that waits, at the latest when the block ends."""
    if connection.vendor != "postgresql" or getattr(connection, STREAM, None) is not None:
        yield
        return
    stream = _Stream()

    def settle_first(execute, sql, params, many, context):
        stream.settle()
        return execute(sql, params, many, context)

    setattr(connection, STREAM, stream)
    try:
        with connection.execute_wrapper(settle_first):
            yield
    except BaseException as exc:
        delattr(connection, STREAM)
        stream.settle(exc)
        raise
    delattr(connection, STREAM)
    stream.settle()


def settled() -> None:
    """Wait for the statements an open ``streaming`` block sent: before a statement that
    cannot go in a pipeline and is not sent through Django's cursor's ``execute`` (COPY)."""
    if (stream := getattr(connection, STREAM, None)) is not None:
        stream.settle()
