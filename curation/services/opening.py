"""Saving a proposed change request on PostgreSQL in one round trip: its row, the history
row simple-history writes for it, the review saying it was submitted, and the read of who
the submission notifies, instead of a round trip each (``proposals._save`` uses the ORM
elsewhere). The rows are those ``cr.save()`` and ``Review.objects.create`` write (tested
against each other in ``tests/curation/test_round_trips.py``).
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from ..models import ChangeRequest, Review
from ..notifications.kinds import KINDS, _reviewers_or_claimant, submitted_recipients_read
from ..projection.script import history_model, history_supported
from ..roundtrip import Together
from .transitions import announcement


def by_script() -> bool:
    """PostgreSQL, with the history rows the script knows how to write."""
    return connection.vendor == "postgresql" and history_supported(ChangeRequest)


def insert_proposal(cr: ChangeRequest, user, submit: bool) -> list | None:
    """Insert ``cr`` (unsaved, built by ``proposals.proposal``) with its history row and,
    when ``submit``, its submit review; ``cr`` gets its id. Returns the recipients of the
    submission's notification when they were read in the same round trip (None: the
    notification reads them itself)."""
    opts = ChangeRequest._meta
    quote = connection.ops.quote_name
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    # What the ORM's insert sends: each field's pre_save (auto_now and auto_now_add times
    # set on ``cr``) and its database value.
    values = [f.get_db_prep_save(f.pre_save(cr, add=True), connection) for f in fields]
    history = history_model(ChangeRequest)
    tracked = ", ".join(quote(f.column) for f in history.tracked_fields)
    now = timezone.now()
    statements = [
        f"c AS (INSERT INTO {quote(opts.db_table)} "  # noqa: S608 - our own names
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING *)",
        # As simple-history's post_save: the row as saved, by the request's history user.
        f"h AS (INSERT INTO {quote(history._meta.db_table)} ({tracked}, history_date, "  # noqa: S608
        "history_user_id, history_change_reason, history_type) "
        f"SELECT {tracked}, %s, %s, NULL, '+' FROM c)",
    ]
    params = [*values, now, getattr(getattr(cr, "_history_user", None), "pk", None)]
    if submit:
        statements.append(
            f"r AS (INSERT INTO {quote(Review._meta.db_table)} "  # noqa: S608
            "(change_request_id, author_id, kind, comment, created_at) "
            "SELECT c.id, %s, %s, %s, %s FROM c)"
        )
        params += [user.pk, Review.Kind.SUBMIT, "", timezone.now()]
    together = Together()
    together.add((f"WITH {', '.join(statements)} SELECT c.id FROM c", params))  # noqa: S608
    read = _recipients(cr) if submit else None
    if read is not None:
        together.add(read[0])
    answers = together.run()
    cr.pk = answers[0][0][0]
    cr._state.adding, cr._state.db = False, connection.alias
    return None if read is None else read[1](answers[1])


def _recipients(cr: ChangeRequest):
    """The read of who the submission notifies by default (``announce``), when it is the
    reviewers' (``kinds.submitted_recipients_read``)."""
    announced = announcement(cr, "submit")
    if announced is None or KINDS[announced[0]].recipients is not _reviewers_or_claimant:
        return None
    return submitted_recipients_read(cr)
