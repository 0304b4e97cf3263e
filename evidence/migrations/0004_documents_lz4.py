"""The records' documents, in the read-model tables and their history, compressed with lz4
instead of pglz on PostgreSQL: every approval writes a record's document to both (a batch
approval a thousand times). See ``_compression``."""

from django.db import migrations

from ._compression import set_compression

COLUMNS = [
    (f"evidence_{history}{model}", "document")
    for model in ("trial", "citation", "intervention", "topic")
    for history in ("", "historical")
]


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0003_unqueried_history_indexes"),
    ]

    operations = [
        migrations.RunPython(set_compression(COLUMNS, "lz4"), set_compression(COLUMNS, "pglz")),
    ]
