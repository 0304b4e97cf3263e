"""The JSON columns every approval writes (the event's document and changes, the record's
document in its read-model table and history) are compressed with lz4 where the server has
it (migrations evidence 0004, curation 0018): pglz cost the server about three times as long
per document. The columns an import writes are lz4 since curation 0012."""

from __future__ import annotations

import pytest
from django.db import connection

from curation.models import ChangeRequest, Event
from evidence import models as ev

pytestmark = pytest.mark.django_db

WRITTEN_BY_EVERY_APPROVAL = [
    (Event, "document"),
    (Event, "changes"),
    *((model, "document") for model in ev.RECORD_MODELS.values()),
    *((model.history.model, "document") for model in ev.RECORD_MODELS.values()),
    (ChangeRequest, "document"),
    (ChangeRequest.history.model, "document"),
]


def one(sql: str, params: list | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def skip_without_lz4() -> None:
    settings = "FROM pg_settings WHERE name = 'default_toast_compression'"
    if not one(f"SELECT 'lz4' = ANY(enumvals) {settings}"):  # noqa: S608 - no input
        pytest.skip("this PostgreSQL was built without lz4: its columns keep pglz")


@pytest.mark.parametrize(
    ("model", "column"),
    WRITTEN_BY_EVERY_APPROVAL,
    ids=lambda value: value if isinstance(value, str) else value._meta.db_table,
)
def test_a_json_column_every_approval_writes_is_compressed_with_lz4(postgres, model, column):
    skip_without_lz4()
    method = one(
        "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
        [model._meta.db_table, column],
    )
    assert method == "l"


def test_a_document_written_after_the_migration_reads_back_as_written(postgres, trial, editor):
    """The compression is the server's business: what an approval stores, it reads back."""
    skip_without_lz4()
    row = Event.objects.filter(stream_id=trial.id).order_by("-version").first()
    stored, size = (
        one(
            f"SELECT {column} FROM curation_event WHERE position = %s",  # noqa: S608
            [row.position],
        )
        for column in ("pg_column_compression(document)", "octet_length(document::text)")
    )
    assert size > 2048 and stored == "lz4"  # large enough to be compressed: by lz4
    assert row.document == ev.Trial.objects.get(pk=trial.id).document
