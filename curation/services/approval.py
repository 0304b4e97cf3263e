"""Approving, and rebasing onto the record's current version.

Approving turns the change into an event, projected in the same transaction. A proposal
based on an older version is merged onto the current one when the fields it changes were
left alone meanwhile; otherwise the approval is refused as a conflict naming the fields.
Rebasing runs the same merge and keeps the request open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from evidence.diff import MergeConflict, diff_documents, three_way_merge
from evidence.documents import upcast

from .. import eventstore, projection, selectors
from ..errors import NotFound, ValidationFailed, VersionConflict
from ..models import ChangeRequest, Event, Review
from ..narratives import known_changed_numbers, narrative_warnings
from ..projection.script import Script
from ..roundtrip import Together, raw_instances, select_rows
from ..signals import events_appended
from . import workflow
from .closing import close_approved
from .inputs import KnownRecords, _comment, _locked, _references, _validate
from .transitions import announce

Action = ChangeRequest.Action


def resolve_against_current(
    cr: ChangeRequest,
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
    """(current version, current document, document to record) for ``cr`` right now.

    A proposal based on an older version is merged onto the current one when the fields it
    changes were left alone meanwhile; otherwise VersionConflict names the colliding fields.
    """
    if cr.action == Action.CREATE:
        current = eventstore.current_version(cr.record_type, cr.record_id)
        taken = bool(current or selectors.stream_id_for_slug(cr.record_type, cr.record_slug))
        return resolve_onto(cr, current, None, slug_taken=taken)
    # The stream's last event gives its version and document in one query.
    last = (
        eventstore.select_events(cr.record_type, cr.record_id)
        .order_by("-version")
        .only("stream_type", "version", "document")
        .first()
    )
    if last is None:
        return resolve_onto(cr, 0, None)
    return resolve_onto(cr, last.version, last.upcast_document)


def resolve_onto(
    cr: ChangeRequest,
    current: int,
    current_doc: dict[str, Any] | None,
    *,
    slug_taken: bool = False,
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
    """``resolve_against_current`` given the record's current version and document (and, for
    a new record, whether its slug is taken): the merge rules, without reading anything."""
    if cr.action == Action.CREATE:
        if current or slug_taken:
            raise VersionConflict(
                f"a {cr.record_type} with slug {cr.record_slug!r} was created meanwhile",
                ["slug"],
                current,
            )
        return 0, None, cr.document
    if current_doc is None:
        raise VersionConflict(
            f"{cr.record_type} {cr.record_slug!r} was retracted meanwhile", [], current
        )
    if current == cr.base_version:
        return current, current_doc, cr.document
    if cr.action == Action.RETRACT:
        raise VersionConflict(
            f"{cr.record_type} {cr.record_slug!r} changed since version {cr.base_version} "
            f"(now {current}); review the new version before retracting it",
            [c["path"] for c in diff_documents(cr.base_document, current_doc)],
            current,
        )
    try:
        merged = three_way_merge(cr.base_document, current_doc, cr.document)
    except MergeConflict as exc:
        raise VersionConflict(
            f"{cr.record_type} {cr.record_slug!r} changed since version {cr.base_version} "
            f"(now {current}) in the same fields: {', '.join(exc.paths)}",
            exc.paths,
            current,
        ) from None
    return current, current_doc, merged


EVENT_TYPES = {
    Action.CREATE: Event.Type.CREATED,
    Action.REVISE: Event.Type.REVISED,
    Action.RETRACT: Event.Type.RETRACTED,
}


def retraction_blockers(cr: ChangeRequest) -> None:
    """A record still referred to by live records cannot be retracted."""
    if blockers := selectors.referrers(cr.record_type, cr.record_slug):
        raise ValidationFailed(
            [
                {
                    "path": "record",
                    "message": f"still referred to by {', '.join(blockers)}; change those first",
                }
            ]
        )


def approval_event(
    cr: ChangeRequest, reviewer, current_doc, final, final_json: bytes | None = None
) -> eventstore.NewEvent:
    """The event approving ``cr`` appends (one place for single and batch approvals): the
    final document, what changed from the current one, who proposed and approved, and why.
    ``final_json``: the final document's canonical JSON, when the caller has it."""
    return eventstore.NewEvent(
        stream_type=cr.record_type,
        stream_id=cr.record_id,
        slug=cr.record_slug,
        type=EVENT_TYPES[cr.action],
        document=final,
        changes=diff_documents(current_doc, final),
        proposer_id=cr.author_id,
        approver_id=reviewer.pk,
        change_request_id=cr.pk,
        rationale=cr.rationale,
        document_json=final_json,
    )


@workflow.performs("approve")
@transaction.atomic
def approve(cr: ChangeRequest | int, *, user, comment: str = "") -> Event:
    """Approve: append the event, project it and close the request, all in one transaction."""
    # The append lock comes first: an approval also flags other open requests on the record,
    # so taking a request's row lock before the append lock could deadlock two approvals.
    if connection.vendor == "postgresql":
        # The locks and every read below in one round trip.
        cr, head, known, taken = _locked_and_read(cr)
    else:
        eventstore.lock_for_append()
        cr, head = _locked(cr), None
    workflow.ACTIONS["approve"].check(cr, user)
    comment = _comment(comment)  # refused before anything is appended
    workflow.ACTIONS["approve"].check_comment(comment)
    if head is None:
        # The record's version and document, the log's head and which of the records the
        # proposal refers to exist.
        head, known = _head_and_references(cr)
        taken = None
    current, current_doc, final = resolve_head(cr, head, taken)
    if final is not None:
        final = _validate(cr.record_type, final, known)
        if final == current_doc:
            raise VersionConflict(
                "the change was already made by another approved request", [], current
            )
    else:
        retraction_blockers(cr)
    # The reviewer may approve despite narrative warnings; the review keeps what they were
    # (read before the writes: projecting this record changes no topic they read).
    new = approval_event(cr, user, current_doc, final)
    warnings = narrative_warnings(
        cr, pairs=known_changed_numbers(cr, current_doc, final, new.changes)
    )
    # PostgreSQL: the event's INSERT, the projection and the request's closing go to the
    # server together, one round trip.
    script = Script() if connection.vendor == "postgresql" else None
    try:
        event = eventstore.append(
            new,
            expected_version=current,
            head=head,
            script=script,
        )
    except eventstore.ConcurrencyConflict as exc:
        raise VersionConflict(str(exc), [], exc.actual) from None
    event.approver = user  # the projection's history user, without a query
    # The record's document before: item rows it gives alike are not written again. The
    # event's INSERT runs first: the record row takes its document from the event's row.
    projection.apply(event, script, previous=current_doc, events_stored=True)
    close_approved([cr], user, comment, {cr.pk: warnings}, {(cr.record_type, cr.record_id)}, script)
    # The author's notification before the script: the script is the transaction's last
    # statements and, in the outermost block, carries its COMMIT (one round trip fewer).
    announce(cr, user, "approve", comment)
    position = event.position
    transaction.on_commit(lambda: events_appended.send(sender=Event, position=position))
    if script is not None:
        script.run(commit=True)
    return event


def _head_and_references(cr: ChangeRequest) -> tuple[eventstore.StreamHead, KnownRecords]:
    """``eventstore.stream_head`` and ``KnownRecords`` of the proposed document's references,
    read together (a merged document's other references are looked up when asked)."""
    wanted = _references(cr.record_type, cr.document)
    if connection.vendor != "postgresql":
        return eventstore.stream_head(cr.record_type, cr.record_id), KnownRecords(wanted)
    query = selectors.existing_records_sql(wanted)
    if query is None:
        return eventstore.stream_head(cr.record_type, cr.record_id), KnownRecords(wanted, set())
    head, rows = eventstore.stream_head(cr.record_type, cr.record_id, also=query)
    return head, KnownRecords(wanted, {(t, slug) for t, slug in rows})


def _locked_and_read(
    given: ChangeRequest | int,
) -> tuple[ChangeRequest, eventstore.StreamHead, KnownRecords, bool | None]:
    """PostgreSQL, in one round trip: the append lock, then the request's row lock (``_locked``:
    the request, as it is now, and its author), its record's ``eventstore.stream_head``,
    whether its slug is or was a record's (for a new record; None when not read), and which
    of the records the proposal refers to exist (``KnownRecords``). Those references are the
    ones of the request as the caller holds it; if the locked one proposes another document,
    read again."""
    held = isinstance(given, ChangeRequest)
    # Refused as the ORM's lookup refuses it (an id that is not a number).
    pk = ChangeRequest._meta.pk.get_prep_value(given.pk if held else given)
    guess = _references(given.record_type, given.document) if held else {}
    requests = ChangeRequest._meta.db_table
    column = f"FROM {requests} WHERE id = %s"  # noqa: S608 - our own names
    together = Together()
    # The append lock, then the record's head (migration 0013's function: its statements
    # planned once per connection); the request's record never changes (a database rule).
    head = together.add(("SELECT * FROM curation_request_head(%s)", [pk]))
    request = together.add(select_rows(ChangeRequest, "id = %s", [pk], suffix="FOR UPDATE"))
    author = together.add(select_rows(get_user_model(), f"id = (SELECT author_id {column})", [pk]))
    # Whether the slug is taken matters to a new record alone (a request's action never
    # changes; unread, ``resolve_head`` reads it if it is asked).
    taken = None
    if not held or given.action == Action.CREATE:
        taken = together.add(
            (
                f"SELECT EXISTS (SELECT 1 FROM {Event._meta.db_table} AS e JOIN "  # noqa: S608
                f"{ChangeRequest._meta.db_table} AS c ON e.stream_type = c.record_type "
                "AND e.slug = c.record_slug WHERE c.id = %s)",
                [pk],
            )
        )
    refs = together.add(query) if (query := selectors.existing_records_sql(guess)) else None
    answers = together.run()
    if not answers[request]:
        raise NotFound(f"no change request {pk}")
    cr = raw_instances(ChangeRequest, answers[request])[0]
    cr.author = raw_instances(get_user_model(), answers[author])[0]
    wanted = _references(cr.record_type, cr.document)
    if wanted == guess:
        known = KnownRecords(wanted, set(answers[refs]) if refs is not None else set())
    else:
        known = KnownRecords(wanted)
    stream = eventstore.head_from_row(cr.record_type, cr.record_id, answers[head][0])
    return cr, stream, known, None if taken is None else answers[taken][0][0]


def resolve_head(
    cr: ChangeRequest, head: eventstore.StreamHead, slug_taken: bool | None = None
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
    """``resolve_against_current`` from the record's ``eventstore.stream_head`` (and, for a new
    record, whether its slug is or was a record's, if the caller read it)."""
    if cr.action == Action.CREATE:
        if slug_taken is None:
            slug_taken = bool(selectors.stream_id_for_slug(cr.record_type, cr.record_slug))
        taken = bool(head.version or slug_taken)
        return resolve_onto(cr, head.version, None, slug_taken=taken)
    return resolve_onto(cr, head.version, upcast(cr.record_type, head.document))


@dataclass(frozen=True)
class ApprovalCheck:
    """What approving ``cr`` now would do, without doing it: the reviewer's conflict banner."""

    current_version: int
    based_on_current: bool
    conflict: str | None  # the refusal message when the change collides with a newer version
    conflict_fields: list[str]


def approval_check(cr: ChangeRequest) -> ApprovalCheck:
    """Read-only: run the merge that ``approve`` would run against the record as it is now."""
    try:
        current, current_doc, final = resolve_against_current(cr)
    except VersionConflict as exc:
        return ApprovalCheck(exc.current_version or 0, False, exc.message, list(exc.fields))
    if final is not None and final == current_doc:
        message = "the change was already made by another approved request"
        return ApprovalCheck(current, False, message, [])
    return ApprovalCheck(current, current == cr.base_version, None, [])


@workflow.performs("rebase")
@transaction.atomic
def rebase(cr: ChangeRequest | int, *, user) -> ChangeRequest:
    """Move an open request onto the record's current version, merging where possible."""
    cr = _locked(cr)
    workflow.ACTIONS["rebase"].check(cr, user)
    current, current_doc, merged = resolve_against_current(cr)
    if current == cr.base_version:
        cr.needs_rebase = False
        cr.save(update_fields=["needs_rebase"])
        return cr
    cr.base_version = current
    cr.base_document = current_doc
    if merged is not None:
        cr.document = _validate(cr.record_type, merged)
    cr.needs_rebase = False
    cr._history_user = user
    cr.save()
    Review.objects.create(
        change_request=cr,
        author=user,
        kind=Review.Kind.REBASE,
        comment=f"rebased onto version {current}",
    )
    return cr
