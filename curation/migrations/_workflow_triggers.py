"""SQL for the change-request and review invariants (migration 0004 and the test suite).

The services already keep these rules; the database keeps them too, so that no path around
the services (an admin page that saved a model form, a shell, a script with raw SQL) can
rewrite what a reviewer read or decided. Each trigger mirrors a rule of ``curation.services``:

- a change request's author, record type, record id and action never change, nor when it was
  created; its slug changes only where ``update_draft`` changes it: a *create* request's slug
  comes from its document, editable while the request is a draft or sent back for changes;
- its proposal (document, rationale, citations) changes only while it is a draft or sent back
  for changes (``update_draft``, ``submit``, ``revise_and_resubmit``), except that ``rebase``
  merges the document onto the record's newer version, in any open state;
- its base (base_version, base_document) changes only through ``rebase``: forward, while the
  request is open, and onto a version the record really has (at most its newest event's);
  a base_document change without a base_version change is refused;
- status follows ``services.TRANSITIONS`` (draft/changes_requested -> submitted, submitted ->
  approved/rejected/changes_requested, open -> withdrawn); approved, rejected and withdrawn are
  terminal, with who decided and when frozen; "approved" needs the request's event, which
  ``approve`` appends first in the same transaction;
- reviews (decisions, comments, transitions) are append-only, like events: nothing in the
  services updates or deletes one.

Each rule names the columns whose change could break it, and its check runs only for an
UPDATE that sets one of them (``BEFORE UPDATE OF ...``): a status update (an approval's
closing) or a rebase flag never compares the documents, which a change of the proposal or the
base does. A column not set keeps its value (no trigger here changes a row), so nothing goes
unchecked. On PostgreSQL the rules that compare documents have a trigger of their own, the
others share one.

PostgreSQL raises SQLSTATE 23514 (check_violation) for a broken rule and 42501 for a write to
the append-only reviews; SQLite aborts with the same messages.
"""

from ._triggers import run_for_database

OPEN = "('draft', 'submitted', 'changes_requested')"
EDITABLE = "('draft', 'changes_requested')"
DECIDED = "('approved', 'rejected', 'withdrawn')"

# (name, condition on OLD/NEW under which the UPDATE is refused, message, the columns it
# reads: an UPDATE setting none of them cannot break it). SQLite's "IS NOT"
# is PostgreSQL's "IS DISTINCT FROM" (NULL-safe); the conditions are written in the former.
# Each rule covers its own columns or transitions, so a change of one thing breaks one rule and
# gets the same message on both backends (SQLite fires its triggers in no documented order).
RULES = [
    (
        "identity",
        "NEW.author_id IS NOT OLD.author_id OR NEW.record_type IS NOT OLD.record_type"
        " OR NEW.record_id IS NOT OLD.record_id OR NEW.action IS NOT OLD.action"
        " OR NEW.created_at IS NOT OLD.created_at",
        "a change request's author, record and action never change",
        ("author_id", "record_type", "record_id", "action", "created_at"),
    ),
    (
        "slug",
        f"NEW.record_slug IS NOT OLD.record_slug"
        f" AND NOT (OLD.action = 'create' AND OLD.status IN {EDITABLE})",
        "a change request's record slug never changes (a new record's, only while editable)",
        ("record_slug",),
    ),
    (
        "terminal",
        f"OLD.status IN {DECIDED} AND (NEW.status IS NOT OLD.status"
        " OR NEW.decided_by_id IS NOT OLD.decided_by_id OR NEW.decided_at IS NOT OLD.decided_at)",
        "an approved, rejected or withdrawn change request is final",
        ("status", "decided_by_id", "decided_at"),
    ),
    (
        "transition",
        f"NEW.status IS NOT OLD.status AND OLD.status IN {OPEN} AND NOT ("
        f"(OLD.status IN {EDITABLE} AND NEW.status = 'submitted')"
        " OR (OLD.status = 'submitted'"
        " AND NEW.status IN ('approved', 'rejected', 'changes_requested'))"
        f" OR (OLD.status IN {OPEN} AND NEW.status = 'withdrawn'))",
        "no such change request transition",
        ("status",),
    ),
    (
        "approved_has_event",
        "NEW.status = 'approved' AND OLD.status = 'submitted' AND NOT EXISTS"
        " (SELECT 1 FROM curation_event WHERE change_request_id = NEW.id)",
        "a change request is approved only together with its event",
        ("status",),
    ),
    (
        "base",
        "(NEW.base_version IS NOT OLD.base_version AND (NEW.base_version < OLD.base_version"
        " OR OLD.status NOT IN ('draft', 'submitted', 'changes_requested')"
        " OR NEW.base_version > (SELECT COALESCE(MAX(version), 0)"
        " FROM curation_event WHERE stream_type = OLD.record_type"
        " AND stream_id = OLD.record_id)))"
        " OR (NEW.base_version = OLD.base_version AND NEW.base_document IS NOT OLD.base_document)",
        "a change request's base only moves forward to the record's version, by a rebase",
        ("base_version", "base_document"),
    ),
    (
        "proposal",
        f"OLD.status NOT IN {EDITABLE} AND (NEW.rationale IS NOT OLD.rationale"
        " OR NEW.citations IS NOT OLD.citations OR (NEW.document IS NOT OLD.document"
        " AND NOT (NEW.base_version > OLD.base_version)))",
        "a change request's proposal changes only while it is a draft or sent back for changes",
        ("rationale", "citations", "document"),
    ),
]


# The documents: rules that read one compare it whole (a trial's is kilobytes).
DOCUMENTS = {"document", "base_document"}


def _columns(rules) -> str:
    return ", ".join(dict.fromkeys(c for *_, columns in rules for c in columns))


# PostgreSQL: (trigger and function name, its rules), each trigger firing for an UPDATE that
# sets a column its rules read.
POSTGRES_GUARDS = [
    (
        "curation_changerequest_guard",
        [rule for rule in RULES if not DOCUMENTS & set(rule[3])],
    ),
    (
        "curation_changerequest_proposal_guard",
        [rule for rule in RULES if DOCUMENTS & set(rule[3])],
    ),
]


def _postgres_condition(condition: str) -> str:
    return condition.replace(" IS NOT ", " IS DISTINCT FROM ")


def _quoted(message: str) -> str:
    return message.replace("'", "''")


def _postgres_function(name: str, rules) -> str:
    checks = "\n".join(
        f"""         IF {_postgres_condition(condition)} THEN
           RAISE EXCEPTION 'curation_changerequest: %', '{_quoted(message)}'
             USING ERRCODE = 'check_violation';
         END IF;"""
        for _, condition, message, _ in rules
    )
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
       BEGIN
{checks}
         RETURN NEW;
       END;
       $$ LANGUAGE plpgsql"""


def _postgres_guard(name: str, rules) -> list[str]:
    return [
        _postgres_function(name, rules),
        f"DROP TRIGGER IF EXISTS {name} ON curation_changerequest",
        f"""CREATE TRIGGER {name}
       BEFORE UPDATE OF {_columns(rules)} ON curation_changerequest
       FOR EACH ROW EXECUTE FUNCTION {name}()""",
    ]


SQLITE = [
    *(
        f"""CREATE TRIGGER IF NOT EXISTS curation_changerequest_{name}
            BEFORE UPDATE OF {", ".join(columns)} ON curation_changerequest WHEN {condition}
            BEGIN SELECT RAISE(ABORT, 'curation_changerequest: {_quoted(message)}'); END"""
        for name, condition, message, columns in RULES
    ),
    """CREATE TRIGGER IF NOT EXISTS curation_review_no_update BEFORE UPDATE ON curation_review
       BEGIN SELECT RAISE(ABORT, 'curation_review is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS curation_review_no_delete BEFORE DELETE ON curation_review
       BEGIN SELECT RAISE(ABORT, 'curation_review is append-only: DELETE refused'); END""",
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS curation_changerequest_{name}" for name, *_ in RULES),
    "DROP TRIGGER IF EXISTS curation_review_no_update",
    "DROP TRIGGER IF EXISTS curation_review_no_delete",
]

POSTGRES = [
    *(sql for name, rules in POSTGRES_GUARDS for sql in _postgres_guard(name, rules)),
    """CREATE OR REPLACE FUNCTION curation_review_refuse_change() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'curation_review is append-only: % refused', TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END;
       $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS curation_review_no_update_delete ON curation_review",
    """CREATE TRIGGER curation_review_no_update_delete
       BEFORE UPDATE OR DELETE ON curation_review
       FOR EACH ROW EXECUTE FUNCTION curation_review_refuse_change()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS curation_review_no_update_delete ON curation_review",
    "DROP FUNCTION IF EXISTS curation_review_refuse_change()",
    *(
        sql
        for name, _ in POSTGRES_GUARDS
        for sql in (
            f"DROP TRIGGER IF EXISTS {name} ON curation_changerequest",
            f"DROP FUNCTION IF EXISTS {name}()",
        )
    ),
]


def install(connection) -> None:
    """Idempotent: the test suite puts SQLite's review DELETE trigger back after each flush."""
    run_for_database(connection, POSTGRES, SQLITE)


def uninstall(connection) -> None:
    run_for_database(connection, POSTGRES_REVERSE, SQLITE_REVERSE)


def allow_flush(connection) -> None:
    """For the test suite's flush only: SQLite flushes with DELETE (PostgreSQL with TRUNCATE,
    which fires no row trigger)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS curation_review_no_delete")
