"""Closing approved change requests: one place for single and batch approvals.

Each request moves to approved with who decided and when, gets its history row (copied from
the row just updated, as simple-history would write it, but for the documents the approval
left as they were: ``request_history``) and its review row (with the
narrative warnings the reviewer approved over), and the other open requests on the records
approved are flagged for a rebase (those flagged already are left alone: the same flag,
without rewriting the row and running its guard trigger again). On PostgreSQL all of it is
one round trip whatever the number of requests; elsewhere the same rows through the ORM.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import connection
from django.utils import timezone

from ..models import ChangeRequest, Review, ReviewWarnings
from ..projection.script import Script, history_model, history_supported, one_row
from ..request_history import DOCUMENTS
from . import workflow


def close_approved(
    requests: list[ChangeRequest],
    reviewer,
    comment: str,
    warnings: dict[int, list[dict[str, Any]]],
    touched: set[tuple[str, Any]],
    script: Script | None = None,
    now=None,
) -> None:
    """Close ``requests`` (in their order) as approved by ``reviewer``; ``warnings``: the
    narrative warnings by request id (requests without any left out); ``touched``: the
    (record type, record id) approved, whose other open requests need a rebase. ``script``:
    the caller's, with writes not sent yet; these are added and the caller runs it.
    ``now``: the decision time (a batch closes its chunks with one), else the present."""
    now = now or timezone.now()
    status = workflow.ACTIONS["approve"].leads_to
    for cr in requests:
        cr.status, cr.decided_at, cr.decided_by, cr.updated_at = status, now, reviewer, now
        cr._history_user = reviewer
    if not requests:
        return
    if connection.vendor == "postgresql" and history_supported(ChangeRequest):
        _close_by_script(requests, reviewer, comment, warnings, touched, now, script)
    else:
        if script is not None:
            script.run()
        _close_by_orm(requests, reviewer, comment, warnings, touched, now)


def _close_by_script(requests, reviewer, comment, warnings, touched, now, given=None) -> None:
    table = ChangeRequest._meta.db_table
    history = history_model(ChangeRequest)._meta.db_table
    review = Review._meta.db_table
    warned = ReviewWarnings._meta.db_table
    ids = [cr.pk for cr in requests]
    fields = ChangeRequest._meta.concrete_fields
    columns = ", ".join(f'"{f.column}"' for f in fields)
    # The documents left out (``request_history``): an approval changes neither.
    source = ", ".join("NULL" if f.name in DOCUMENTS else f'c."{f.column}"' for f in fields)
    script = given or Script()
    script.add(
        f"UPDATE {table} SET status = %s, decided_at = %s, decided_by_id = %s, "  # noqa: S608
        "updated_at = %s WHERE id = ANY(%s)",
        requests[0].status,
        now,
        reviewer.pk,
        now,
        ids,
    )
    if flagged := [cr.pk for cr in requests if cr.needs_rebase]:
        script.add(f"UPDATE {table} SET needs_rebase = TRUE WHERE id = ANY(%s)", flagged)  # noqa: S608
    script.add(
        f"INSERT INTO {history} ({columns}, history_date, history_change_reason, "  # noqa: S608
        f"history_type, history_user_id, documents_kept) SELECT {source}, %s, NULL, '~', %s, "
        "FALSE "
        "FROM unnest(%s::bigint[]) WITH ORDINALITY AS i(id, n) "
        f"CROSS JOIN LATERAL {one_row(table, 'id = i.id')} AS c ORDER BY i.n",
        now,
        reviewer.pk,
        ids,
    )
    script.add(
        f"WITH r AS (INSERT INTO {review} (change_request_id, author_id, kind, comment, "  # noqa: S608
        "created_at) SELECT i.id, %s, %s, %s, %s FROM unnest(%s::bigint[]) WITH ORDINALITY "
        "AS i(id, n) ORDER BY i.n RETURNING id, change_request_id) "
        f"INSERT INTO {warned} (review_id, narrative_warnings) SELECT id, warnings FROM "
        "(SELECT r.id, %s::jsonb -> r.change_request_id::text AS warnings FROM r) AS w "
        "WHERE warnings IS NOT NULL ORDER BY id",
        reviewer.pk,
        Review.Kind.APPROVE,
        comment,
        now,
        ids,
        # Each request's warnings under its id (none for a request without any).
        orjson.dumps({str(pk): w for pk, w in warnings.items() if w}).decode(),
    )
    for record_type in sorted({t for t, _ in touched}):
        script.add(
            f"UPDATE {table} SET needs_rebase = TRUE WHERE record_type = %s "  # noqa: S608
            "AND record_id = ANY(%s) AND status = ANY(%s) AND NOT id = ANY(%s) "
            "AND NOT needs_rebase",
            record_type,
            [i for t, i in touched if t == record_type],
            list(ChangeRequest.OPEN_STATUSES),
            ids,
        )
    if given is None:
        script.run()


def _close_by_orm(requests, reviewer, comment, warnings, touched, now) -> None:
    ids = [cr.pk for cr in requests]
    # The same values for every request (plain UPDATEs, not a CASE per row and column).
    ChangeRequest.objects.filter(pk__in=ids).update(
        status=requests[0].status, decided_at=now, decided_by=reviewer, updated_at=now
    )
    if flagged := [cr.pk for cr in requests if cr.needs_rebase]:
        ChangeRequest.objects.filter(pk__in=flagged).update(needs_rebase=True)
    # The rows simple-history's ``bulk_history_create`` writes, the documents left out.
    history = history_model(ChangeRequest)
    history.objects.bulk_create(
        [
            history(
                history_date=now,
                history_user=reviewer,
                history_change_reason=None,
                history_type="~",
                documents_kept=False,
                **{
                    f.attname: None if f.name in DOCUMENTS else getattr(cr, f.attname)
                    for f in history.tracked_fields
                },
            )
            for cr in requests
        ],
        batch_size=1000,
    )
    reviews = Review.objects.bulk_create(
        [
            Review(
                change_request=cr,
                author=reviewer,
                kind=Review.Kind.APPROVE,
                comment=comment,
                created_at=now,
            )
            for cr in requests
        ],
        batch_size=1000,
    )
    ReviewWarnings.objects.bulk_create(
        [
            ReviewWarnings(review=review, narrative_warnings=warnings[review.change_request_id])
            for review in reviews
            if warnings.get(review.change_request_id)
        ],
        batch_size=1000,
    )
    for record_type in {t for t, _ in touched}:
        ChangeRequest.objects.filter(
            record_type=record_type,
            record_id__in=[i for t, i in touched if t == record_type],
            status__in=ChangeRequest.OPEN_STATUSES,
            needs_rebase=False,
        ).exclude(pk__in=ids).update(needs_rebase=True)
