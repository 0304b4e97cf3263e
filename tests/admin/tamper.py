"""Helpers for the tests that try to write through the admin without the services.

``fingerprint`` reads every row of the given apps' tables (historical tables included, they
are models of the same apps) straight from the database, so a write anywhere shows up, not
only in the rows a test thought of looking at.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection
from django.forms.models import model_to_dict

from curation import eventstore

SERVICE_APPS = ("evidence", "curation", "publishing")


def tables(app_labels=SERVICE_APPS) -> list[str]:
    """Every concrete table of the apps, many-to-many tables included."""
    names: set[str] = set()
    for label in app_labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                names.add(model._meta.db_table)
    return sorted(names)


def fingerprint(table_names) -> dict[str, list[tuple]]:
    """Every row of every table, as the database returns it, in a stable order."""
    result = {}
    with connection.cursor() as cursor:
        for table in table_names:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            result[table] = sorted(tuple(map(repr, row)) for row in cursor.fetchall())
    return result


def digests(table_names) -> dict[str, str]:
    """One digest per table of all its rows, in one round trip on PostgreSQL.

    As telling as ``fingerprint`` about *whether* a table changed (every column of every row,
    in any order), at a fraction of the cost: the admin walk compares the tables before and
    after some 1,400 posts, and reading ~40 tables whole each time was a third of its time.
    """
    if connection.vendor != "postgresql":
        return {table: repr(rows) for table, rows in fingerprint(table_names).items()}
    quote = connection.ops.quote_name
    parts = [
        f"SELECT %s, md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) "  # noqa: S608
        f"FROM {quote(table)} r"
        for table in table_names
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), list(table_names))
        return dict(cursor.fetchall())


def differences(before: dict, after: dict) -> dict[str, str]:
    """Which tables changed and how many rows were added or removed (for failure messages)."""
    changed = {}
    for table in before:
        if isinstance(before[table], str):  # digests: which tables, not which rows
            if before[table] != after[table]:
                changed[table] = "changed"
            continue
        old, new = set(before[table]), set(after[table])
        if old != new:
            changed[table] = f"{len(new - old)} rows new or changed, {len(old - new)} gone"
    return changed


def model_form_data(obj, **changes) -> dict[str, Any]:
    """What a model form for ``obj`` posts: every field's value, with ``changes`` applied.

    JSON fields are sent as JSON text and foreign keys as ids, the way the admin's model form
    renders them, so the admin would save them if it let the form through.
    """
    data = {}
    for name, value in {**model_to_dict(obj), **changes}.items():
        field = obj._meta.get_field(name)
        if field.get_internal_type() == "JSONField":
            data[name] = json.dumps(value)
        elif field.many_to_many:
            data[name] = [str(getattr(item, "pk", item)) for item in value]
        elif isinstance(value, datetime):
            # The admin's split date and time inputs.
            data[f"{name}_0"], data[f"{name}_1"] = (
                value.date().isoformat(),
                value.time().isoformat(),
            )
        elif value is None:
            data[name] = ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


def assert_chain_intact() -> None:
    report = eventstore.verify_chain()
    assert report.ok, report
