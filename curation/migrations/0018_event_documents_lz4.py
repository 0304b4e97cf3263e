"""The event log's documents and changes compressed with lz4 instead of pglz on PostgreSQL:
every approval appends a document (see ``evidence.migrations._compression``)."""

from django.db import migrations

from evidence.migrations._compression import set_compression

COLUMNS = [("curation_event", "document"), ("curation_event", "changes")]


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0017_change_request_history_documents_kept"),
    ]

    operations = [
        migrations.RunPython(set_compression(COLUMNS, "lz4"), set_compression(COLUMNS, "pglz")),
    ]
