"""The large JSON columns an import writes (a study's source document, its batch item, the
change request's documents and their history) compressed with lz4 instead of pglz on
PostgreSQL: the server compresses a study's 0.2 to 0.5 MB several times per import, and lz4
does it several times faster. Only how new values are stored changes; values stored before
stay as they are and read the same. A server built without lz4 keeps pglz."""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

COLUMNS = [
    ("curation_sourcedocument", "content"),
    ("curation_importbatchitem", "content"),
    ("curation_changerequest", "document"),
    ("curation_changerequest", "base_document"),
    ("curation_historicalchangerequest", "document"),
    ("curation_historicalchangerequest", "base_document"),
]


def set_compression(method: str):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                for table, column in COLUMNS:
                    cursor.execute(
                        f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}'
                    )
        except DatabaseError:
            if method == "lz4":
                return  # no lz4 in this server: pglz, as before
            raise

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0011_import_batches_plural"),
    ]

    operations = [
        migrations.RunPython(set_compression("lz4"), set_compression("pglz")),
    ]
