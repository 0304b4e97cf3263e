"""Writing many rows at once, for the import batches: ``insert`` puts model instances in with
one COPY on PostgreSQL (their ids reserved first, so callers link rows to them), and with
``bulk_create`` elsewhere.

Why not ``bulk_create`` on PostgreSQL: Django 5.2 inserts many rows there as arrays
(``UNNEST``), and psycopg quotes the elements of an array of text in Python, a regular
expression per quote; a study's JSON holds tens of thousands of them (a hundred studies took
six seconds to quote). COPY escapes in C, and JSON goes as text the server parses.
Like ``bulk_create``, ``insert`` sends no signals: callers write what a save would (history).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection, models
from django.utils import timezone

from .roundtrip import settled


def insert(model: type[models.Model], objs: Sequence[models.Model]) -> Sequence[models.Model]:
    """Insert ``objs`` (unsaved instances of ``model``, ids unset) in one statement; each gets
    its id, and the values a save would give (``auto_now_add`` times, defaults)."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.local_concrete_fields if f is not pk]
    quote = connection.ops.quote_name
    settled()  # COPY cannot go in a pipeline
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(objs)],
        )
        for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, pk_value)
        columns = ", ".join(quote(f.column) for f in (pk, *fields))
        sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj in objs:
                copy.write_row([getattr(obj, pk.attname), *(_db_value(f, obj) for f in fields)])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def _db_value(field: models.Field, obj: models.Model) -> Any:
    value = field.pre_save(obj, add=True)
    if isinstance(field, models.JSONField):
        # SQL NULL for None, as the field itself stores it; the rest as JSON text.
        return None if value is None else json_text(value, field.encoder)
    return field.get_db_prep_save(value, connection)


def json_text(value: Any, encoder: type[json.JSONEncoder] | None = None) -> str:
    """``value`` as JSON text: orjson's, or the field's own encoder where orjson cannot say it
    (integers beyond 64 bits, keys that are not text, ...), as a save would."""
    if encoder is None:
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            pass
    return json.dumps(value, cls=encoder)


def insert_history(model: type[models.Model], objs: Sequence[models.Model], user) -> None:
    """The history rows ``simple_history`` writes when ``objs`` (just inserted) are created,
    for all of them in one statement. On PostgreSQL copied from the rows themselves: the
    server copies each document as stored, instead of reading the same JSON again."""
    history = model.history.model
    now = timezone.now()
    if connection.vendor != "postgresql":
        insert(
            history,
            [
                history(
                    history_date=now,
                    history_user=user,
                    history_change_reason=None,
                    history_type="+",
                    **{f.attname: getattr(obj, f.attname) for f in history.tracked_fields},
                )
                for obj in objs
            ],
        )
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in history.tracked_fields)
    extra = "history_date, history_user_id, history_change_reason, history_type"
    source, target, pk = (
        quote(model._meta.db_table),
        quote(history._meta.db_table),
        quote(model._meta.pk.column),
    )
    # Only the models' own table and column names are put in the text, quoted.
    sql = f"INSERT INTO {target} ({columns}, {extra}) SELECT {columns}, %s, %s, NULL, '+' FROM {source} WHERE {pk} = ANY(%s) ORDER BY {pk}"  # noqa: E501, S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, getattr(user, "pk", None), [obj.pk for obj in objs]])


# The documents a bulk transaction writes (events, records) compressed by lz4 where the
# server has it, not pglz: the same values read back, compressed several times faster (a
# batch writes megabytes of them). For the caller's transaction only (``set_config``'s
# ``true``); a server without lz4 keeps its default.
LZ4_FOR_THIS_TRANSACTION = (
    "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
    "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
    [],
)


def compress_by_lz4() -> None:
    """``LZ4_FOR_THIS_TRANSACTION``, now (PostgreSQL, inside a transaction)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(*LZ4_FOR_THIS_TRANSACTION)
