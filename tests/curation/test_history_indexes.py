"""History tables (django-simple-history) keep only the indexes something reads them by: the
primary key (a version's page), the record id (a record's History page in the admin) and the
history user (a foreign key the database checks when a user is deleted). Every approval and
workflow step writes history rows, and an index nothing reads is written for nothing: the
copies of the live tables' lookup indexes (slug, status, a trial's phases...) and
history_date (migrations evidence 0003, curation 0016). The live tables keep theirs."""

from __future__ import annotations

import pytest
from django.db import connection

from curation.models import ChangeRequest
from evidence import models as ev

pytestmark = pytest.mark.django_db

HISTORIES = [
    *(model.history.model for model in ev.RECORD_MODELS.values()),
    ChangeRequest.history.model,
]


def indexed(model: type) -> set[tuple[str, ...]]:
    """The column lists of ``model``'s table's indexes (primary key and unique ones too)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        tuple(info["columns"])
        for info in constraints.values()
        if info["index"] or info["primary_key"] or info["unique"]
    }


@pytest.mark.parametrize("history", HISTORIES, ids=lambda model: model.__name__)
def test_a_history_table_is_indexed_by_what_reads_it_alone(history):
    assert indexed(history) == {("history_id",), ("id",), ("history_user_id",)}


def test_the_live_tables_keep_their_lookup_indexes():
    for model in ev.RECORD_MODELS.values():
        assert ("slug",) in indexed(model)
    assert {("phases_text",), ("setting",), ("registry_ids_text",)} <= indexed(ev.Trial)
    assert {("status",), ("record_slug",), ("author_id",)} <= indexed(ChangeRequest)
