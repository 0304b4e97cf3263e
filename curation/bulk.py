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


def insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    json_texts: dict[int, str] | None = None,
) -> Sequence[models.Model]:
    """Insert ``objs`` (unsaved instances of ``model``, ids unset) in one statement; each gets
    its id, and the values a save would give (``auto_now_add`` times, defaults).
    ``json_texts``: JSON already written, by the id of the value (a change request's document
    and its history row's are one object), shared by the calls given the same dict; the
    values must outlive it."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.local_concrete_fields if f is not pk]
    quote = connection.ops.quote_name
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
                copy.write_row(
                    [getattr(obj, pk.attname), *(_db_value(f, obj, json_texts) for f in fields)]
                )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def _db_value(field: models.Field, obj: models.Model, json_texts: dict[int, str] | None) -> Any:
    value = field.pre_save(obj, add=True)
    if not isinstance(field, models.JSONField):
        return field.get_db_prep_save(value, connection)
    if value is None:
        return None  # SQL NULL, as the field itself stores None
    if json_texts is None or field.encoder is not None:
        return json_text(value, field.encoder)
    text = json_texts.get(id(value))
    if text is None:
        text = json_texts[id(value)] = json_text(value)
    return text


def json_text(value: Any, encoder: type[json.JSONEncoder] | None = None) -> str:
    """``value`` as JSON text: orjson's, or the field's own encoder where orjson cannot say it
    (integers beyond 64 bits, keys that are not text, ...), as a save would."""
    if encoder is None:
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            pass
    return json.dumps(value, cls=encoder)
