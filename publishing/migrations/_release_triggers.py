"""SQL that keeps releases for ever: UPDATE and DELETE on publishing_release are refused
(migration 0002 and the test suite). As for events, the test suite's flush is let through:
PostgreSQL's TRUNCATE fires no row trigger; on SQLite ``allow_flush`` drops the DELETE one."""

from curation.migrations._triggers import run_for_database

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS publishing_release_no_update BEFORE UPDATE ON publishing_release
       BEGIN SELECT RAISE(ABORT, 'publishing_release is never changed: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS publishing_release_no_delete BEFORE DELETE ON publishing_release
       BEGIN SELECT RAISE(ABORT, 'publishing_release is never changed: DELETE refused'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS publishing_release_no_update",
    "DROP TRIGGER IF EXISTS publishing_release_no_delete",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION publishing_release_refuse_change() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'publishing_release is never changed: % refused', TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END;
       $$ LANGUAGE plpgsql""",
    """DROP TRIGGER IF EXISTS publishing_release_no_update_delete ON publishing_release""",
    """CREATE TRIGGER publishing_release_no_update_delete
       BEFORE UPDATE OR DELETE ON publishing_release
       FOR EACH ROW EXECUTE FUNCTION publishing_release_refuse_change()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS publishing_release_no_update_delete ON publishing_release",
    "DROP FUNCTION IF EXISTS publishing_release_refuse_change()",
]


def install(connection) -> None:
    run_for_database(connection, POSTGRES, SQLITE)


def uninstall(connection) -> None:
    run_for_database(connection, POSTGRES_REVERSE, SQLITE_REVERSE)


def allow_flush(connection) -> None:
    """For the test suite's flush only."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS publishing_release_no_delete")
