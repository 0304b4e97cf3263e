"""PostgreSQL: ``curation_append_head(stream type, stream id)``, an append's lock and read in
one statement that the connection prepares once (``PostgresRecorder.locked_version_and_head``):
the append lock (the advisory lock ``PostgresRecorder.APPEND_LOCK_ID``, 0x45564944), then the
stream's version and the log's head. A VOLATILE PL/pgSQL function runs each statement with a
new snapshot, so the read, which starts once the lock is granted, sees every append committed
before, as a read sent after the lock does. Nothing on SQLite (its appends hold the write lock
from BEGIN IMMEDIATE)."""

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION curation_append_head(wanted_type varchar, wanted_id uuid)
RETURNS TABLE (head_version integer, head_position bigint, head_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1163282756);
  RETURN QUERY SELECT
    (SELECT COALESCE(MAX(e.version), 0) FROM curation_event AS e
      WHERE e.stream_type = wanted_type AND e.stream_id = wanted_id)::integer,
    (SELECT e.position FROM curation_event AS e ORDER BY e.position DESC LIMIT 1),
    (SELECT e.hash FROM curation_event AS e ORDER BY e.position DESC LIMIT 1);
END
$$"""
POSTGRES_REVERSE = "DROP FUNCTION IF EXISTS curation_append_head(varchar, uuid)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("curation", "0012_import_columns_lz4")]
    operations = [migrations.RunPython(forwards, backwards)]
