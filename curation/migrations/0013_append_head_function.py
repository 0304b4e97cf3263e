"""PostgreSQL: an append's lock and read in one call whose statements are planned once per
connection (a lock and reads sent as a query string are parsed and planned every time):

- ``curation_append_head(stream type, stream id)`` (``PostgresRecorder.
  locked_version_and_head``): the append lock (the advisory lock ``PostgresRecorder.
  APPEND_LOCK_ID``, 0x45564944), then the stream's version and the log's head;
- ``curation_request_head(change request id)`` (``approval._locked_and_read``): the same lock,
  then the version and document of the request's record and the log's head
  (``eventstore.head_from_row``'s row).

A VOLATILE PL/pgSQL function runs each statement with a new snapshot, so the reads, which
start once the lock is granted, see every append committed before, as reads sent after the
lock do. Nothing on SQLite (its appends hold the write lock from BEGIN IMMEDIATE)."""

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
REQUEST_HEAD = """
CREATE OR REPLACE FUNCTION curation_request_head(request bigint)
RETURNS TABLE (head_version integer, head_document text, head_position bigint,
               head_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  wanted_type varchar;
  wanted_id uuid;
BEGIN
  PERFORM pg_advisory_xact_lock(1163282756);
  SELECT c.record_type, c.record_id INTO wanted_type, wanted_id
    FROM curation_changerequest AS c WHERE c.id = request;
  RETURN QUERY SELECT
    (SELECT e.version FROM curation_event AS e WHERE e.stream_type = wanted_type
      AND e.stream_id = wanted_id ORDER BY e.version DESC LIMIT 1)::integer,
    (SELECT e.document::text FROM curation_event AS e WHERE e.stream_type = wanted_type
      AND e.stream_id = wanted_id ORDER BY e.version DESC LIMIT 1),
    (SELECT e.position FROM curation_event AS e ORDER BY e.position DESC LIMIT 1),
    (SELECT e.hash FROM curation_event AS e ORDER BY e.position DESC LIMIT 1);
END
$$"""
POSTGRES_REVERSE = [
    "DROP FUNCTION IF EXISTS curation_request_head(bigint)",
    "DROP FUNCTION IF EXISTS curation_append_head(varchar, uuid)",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)
        schema_editor.execute(REQUEST_HEAD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("curation", "0012_import_columns_lz4")]
    operations = [migrations.RunPython(forwards, backwards)]
