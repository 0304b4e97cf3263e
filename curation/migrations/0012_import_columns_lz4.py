"""The large JSON columns an import writes (a study's source document, its batch item, the
change request's documents and their history) compressed with lz4 instead of pglz on
PostgreSQL: the server compresses a study's 0.2 to 0.5 MB several times per import, and lz4
does it several times faster. Only how new values are stored changes; values stored before
stay as they are and read the same. A server built without lz4 keeps pglz."""

from django.db import migrations

from evidence.migrations._compression import set_compression

COLUMNS = [
    ("curation_sourcedocument", "content"),
    ("curation_importbatchitem", "content"),
    ("curation_changerequest", "document"),
    ("curation_changerequest", "base_document"),
    ("curation_historicalchangerequest", "document"),
    ("curation_historicalchangerequest", "base_document"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0011_import_batches_plural"),
    ]

    operations = [
        migrations.RunPython(set_compression(COLUMNS, "lz4"), set_compression(COLUMNS, "pglz")),
    ]
