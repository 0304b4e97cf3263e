"""SQL for the append-only triggers on curation_event (used by migration 0002 and tests).

PostgreSQL: row triggers refuse UPDATE and DELETE; a statement trigger refuses TRUNCATE
unless the session set ``curation.allow_event_truncate = on`` (only the test suite's flush
does; no production code path sets it).
"""

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS curation_event_no_update BEFORE UPDATE ON curation_event
       BEGIN SELECT RAISE(ABORT, 'curation_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS curation_event_no_delete BEFORE DELETE ON curation_event
       BEGIN SELECT RAISE(ABORT, 'curation_event is append-only: DELETE refused'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS curation_event_no_update",
    "DROP TRIGGER IF EXISTS curation_event_no_delete",
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION curation_event_refuse_change() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'TRUNCATE' AND current_setting('curation.allow_event_truncate', true) = 'on' THEN
           RETURN NULL;
         END IF;
         RAISE EXCEPTION 'curation_event is append-only: % refused', TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER curation_event_no_update_delete BEFORE UPDATE OR DELETE ON curation_event
       FOR EACH ROW EXECUTE FUNCTION curation_event_refuse_change()""",
    """CREATE TRIGGER curation_event_no_truncate BEFORE TRUNCATE ON curation_event
       FOR EACH STATEMENT EXECUTE FUNCTION curation_event_refuse_change()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS curation_event_no_truncate ON curation_event",
    "DROP TRIGGER IF EXISTS curation_event_no_update_delete ON curation_event",
    "DROP FUNCTION IF EXISTS curation_event_refuse_change()",
]


def install(connection) -> None:
    statements = POSTGRES if connection.vendor == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("RESET curation.allow_event_truncate")
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'curation_event_no_update_delete'"
            )
            if cursor.fetchone():
                return
        for sql in statements:
            cursor.execute(sql)


def run_for_database(connection, postgres: list[str], sqlite: list[str]) -> None:
    """Run the statements written for the database in use (trigger modules share this)."""
    with connection.cursor() as cursor:
        for sql in postgres if connection.vendor == "postgresql" else sqlite:
            cursor.execute(sql)


def uninstall(connection) -> None:
    run_for_database(connection, POSTGRES_REVERSE, SQLITE_REVERSE)


def allow_flush(connection) -> None:
    """For the test suite's flush only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET curation.allow_event_truncate = 'on'")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS curation_event_no_delete")
