"""Approving many change requests in one action: a reviewer approves an import of a thousand
studies after reviewing it.

Every rule of ``approve`` is checked for each request (never one's own, reviewers only, the
request submitted, the merge onto the current version, the document valid and its references
live, nothing retracted that is still referred to), in the order given, and a refusal names
the request. The events are those that approving the requests one by one in that order
would append (same positions, versions, documents, changes and hash chain), written in one
transaction with set-based writes: one lock, one multi-row insert of events, the projection
in bulk, the requests, their history and their reviews in bulk.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .. import eventstore, notifications, projection
from ..errors import CurationError, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from ..models import ChangeRequest, Event
from ..narratives import TopicsShowing, known_changed_numbers, narrative_warnings
from ..projection.script import Pipeline
from ..roundtrip import streaming
from ..runtime import cyclic_gc_paused
from ..signals import events_appended
from . import workflow
from .approval import approval_event, resolve_onto, retraction_blockers
from .batch_reads import Records, locked_requests
from .closing import close_approved
from .inputs import KnownRecords, _comment, _references, _validate, validate_read
from .policy import can_review

Action = ChangeRequest.Action
# The most requests one action approves (a large import is approved in several).
MAX_BATCH = 5000


def _checked_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list | tuple) or not ids:
        raise ValidationFailed([{"path": "ids", "message": "give a list of change request ids"}])
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(
            [{"path": "ids", "message": f"at most {MAX_BATCH} change requests at once"}]
        )
    errors, seen = [], set()
    for i, pk in enumerate(ids):
        if isinstance(pk, bool) or not isinstance(pk, int) or pk < 1:
            errors.append({"path": f"ids[{i}]", "message": "must be a change request id"})
        elif pk in seen:
            errors.append({"path": f"ids[{i}]", "message": f"change request {pk} is listed twice"})
        else:
            seen.add(pk)
    if errors:
        raise ValidationFailed(errors)
    return list(ids)


def _naming(index: int, pk: int, exc: CurationError) -> CurationError:
    """The same refusal, saying which request of the batch it is about."""
    if isinstance(exc, ValidationFailed):
        return ValidationFailed(
            [
                {
                    "path": f"ids[{index}]" + (f".{e['path']}" if e["path"] else ""),
                    "message": f"change request {pk}: {e['message']}",
                }
                for e in exc.errors
            ],
            message=f"change request {pk} cannot be approved",
        )
    if isinstance(exc, VersionConflict):
        return VersionConflict(
            f"change request {pk}: {exc.message}", exc.fields, exc.current_version
        )
    return type(exc)(f"change request {pk}: {exc.message}")


def approve_change_requests(reviewer, ids, *, comment: str = "") -> list[Event]:
    """Approve the change requests ``ids`` in that order, all or none: each is checked as
    ``approve`` checks it, and the events are those approving them one by one would append."""
    # Thousands of documents, each hundreds of acyclic dicts and lists, decoded, diffed and
    # serialised: the cyclic collector would walk all of them again and again.
    with cyclic_gc_paused():
        return _approve(reviewer, ids, comment)


@transaction.atomic
def _approve(reviewer, ids, comment: str) -> list[Event]:
    # Who may approve at all is said before anything is read (each request is checked below).
    if not (reviewer and reviewer.is_authenticated):
        raise PermissionDenied("you must be logged in")
    if not can_review(reviewer):
        raise PermissionDenied("only members of the Reviewers group may decide on change requests")
    ids = _checked_ids(ids)
    # The append lock first, as in ``approve``: then the requests' row locks.
    batch = eventstore.Batch()
    comment = _comment(comment)
    workflow.ACTIONS["approve"].check_comment(comment)
    found = locked_requests(ids)
    if missing := [pk for pk in ids if pk not in found]:
        raise NotFound(f"no change request {', '.join(map(str, missing))}")
    requests = [found[pk] for pk in ids]
    for index, cr in enumerate(requests):
        try:
            workflow.ACTIONS["approve"].check(cr, reviewer)
        except CurationError as exc:
            raise _naming(index, cr.pk, exc) from None
    records = Records(batch, requests)
    wanted: dict[str, set[str]] = {}
    for cr in requests:
        cr.references = _references(cr.record_type, cr.document)
        for t, slugs in cr.references.items():
            wanted.setdefault(t, set()).update(slugs)
    known = KnownRecords(wanted)
    pairs: dict[int, list | None] = {}
    closing = _Closing(reviewer, comment, pairs, requests)
    # PostgreSQL: each chunk's writes go to the server while the next chunk is checked and
    # its events made; the server's errors are raised at the latest when the block ends.
    with streaming():
        _append_all(batch, records, known, requests, reviewer, closing)
    _announce(requests, reviewer, comment)
    position = batch.position
    transaction.on_commit(lambda: events_appended.send(sender=Event, position=position))
    return batch.events


def _append_all(batch, records, known, requests, reviewer, closing) -> None:
    """Check and append each request's event in turn, closing the requests a chunk at a time."""
    touched: set[tuple[str, Any]] = set()
    unprojected: list[Event] = []
    previous: dict[Any, dict] = {}  # stream id -> its document before the batch's first event
    pairs = closing.pairs
    for index, cr in enumerate(requests):
        try:
            event = _append(batch, records, known, cr, reviewer, (unprojected, previous), pairs)
        except CurationError as exc:
            raise _naming(index, cr.pk, exc) from None
        except eventstore.ConcurrencyConflict as exc:
            raise _naming(index, cr.pk, VersionConflict(str(exc), [], exc.actual)) from None
        event.approver = reviewer
        unprojected.append(event)
        records.record(event)
        known.note(event.stream_type, event.slug, live=event.document is not None)
        # Approving one request flags the other open requests on its record (``approve``):
        # a later request of the batch on the same record keeps that flag.
        cr.needs_rebase = cr.needs_rebase or (cr.record_type, cr.record_id) in touched
        touched.add((cr.record_type, cr.record_id))
        if closing.due(index):
            closing.write(batch, unprojected, previous, upto=index + 1)
    closing.write(batch, unprojected, previous, upto=len(requests))


def _script() -> Pipeline | None:
    """Where a batch's set-based writes go on PostgreSQL: one pipeline (parameters of
    megabytes bound on the server, not quoted into the query text)."""
    return Pipeline() if connection.vendor == "postgresql" else None


def _flush(batch: eventstore.Batch, unprojected: list[Event], previous: dict, script=None) -> None:
    """Write the pending events and their projection: added to ``script`` (its owner runs
    it), else now."""
    given = script
    script = given or _script()
    batch.flush(script)  # the events go first in the projection's round trip
    projection.apply_many(unprojected, script, previous, events_stored=True)
    if given is None and script is not None:
        script.run()
    unprojected.clear()
    previous.clear()


# Requests written and closed together, one round trip on PostgreSQL: their events, the
# projection and their closing.
CHUNK = 100


class _Closing:
    """Closes the batch's requests as ``approve`` closes one, a chunk at a time, all with one
    decision time. Each review keeps the narrative warnings the reviewer approved over (only
    revisions can have any: a new record quotes no old number), quoting the topics as the
    batch leaves them: a batch that changes topics closes every request at its end."""

    def __init__(self, reviewer, comment: str, pairs: dict, requests: list[ChangeRequest]):
        self.reviewer, self.comment, self.pairs, self.requests = reviewer, comment, pairs, requests
        self.now = timezone.now()
        self.topics = TopicsShowing()
        self.by_chunk = all(cr.record_type != "topic" for cr in requests)
        self.closed = 0  # the requests before this one are closed

    def due(self, index: int) -> bool:
        return self.by_chunk and index + 1 - self.closed >= CHUNK

    def write(self, batch, unprojected: list[Event], previous: dict, *, upto: int) -> None:
        """Write the pending events and projection, and close the requests up to ``upto``."""
        script = _script()
        _flush(batch, unprojected, previous, script)
        if not self.by_chunk and script is not None:
            script.run()  # the warnings read the topics as written
        closing = self.requests[self.closed : upto]
        warnings = {cr.pk: narrative_warnings(cr, self.topics, self.pairs[cr.pk]) for cr in closing}
        touched = {(cr.record_type, cr.record_id) for cr in closing}
        close_approved(
            closing, self.reviewer, self.comment, warnings, touched, script, now=self.now
        )
        if script is not None:
            script.run()
        self.closed = upto


def _append(batch, records, known, cr, reviewer, pending, pairs) -> Event:
    """Check and append one request's event, as ``approve`` does; ``pending``: the events
    not projected yet and their records' documents before them; ``pairs[cr.pk]``: its
    ``known_changed_numbers``."""
    current, current_doc = records.current(cr)
    taken = cr.action == Action.CREATE and (cr.record_type, cr.record_slug) in records.slugs
    current, current_doc, final = resolve_onto(cr, current, current_doc, slug_taken=taken)
    final_json = request_json = None  # canonical JSON: the final document's, the request's
    if final is not None:
        final, final_json, request_json = _validated(cr, final, known)
        if final == current_doc:
            raise VersionConflict(
                "the change was already made by another approved request", [], current
            )
    else:
        _flush(batch, *pending)  # who refers to the record is read from the read models
        retraction_blockers(cr)
    # Most often the request's document as it is (no merge, nothing the validation changed):
    # then the server copies it from the request's row, locked since it was read, instead of
    # parsing it again. Compared as the hash's canonical JSON, strictly (1 and 1.0 differ).
    of_request = None
    if final_json is not None and cr.document is not None:
        if request_json is None:
            request_json = eventstore.canonical_json(cr.document)
        of_request = final_json == request_json
    new = approval_event(cr, reviewer, current_doc, final, final_json)
    pairs[cr.pk] = known_changed_numbers(cr, current_doc, final, new.changes, bool(of_request))
    pending[1].update(records.first_projection(cr, current_doc))
    event = batch.append(new, expected_version=current)
    if of_request is not None:
        setattr(event, eventstore.DOCUMENT_OF_REQUEST, of_request)
    return event


def _validated(cr: ChangeRequest, document: dict, known: KnownRecords) -> tuple:
    """(the document validated as ``_validate`` gives it, its canonical JSON, the request's
    document's canonical JSON or None). The request's own document as read for the batch,
    decoded from JSON text (``batch_reads``): its canonical JSON is written out once, for the
    validation's cache, the comparison with the result and the event's hash."""
    if document is cr.document and getattr(cr, "json_read", False):
        try:
            given = eventstore.canonical_json(document)
        except TypeError:  # not orjson's to write (an integer beyond 64 bits)
            pass
        else:
            found = validate_read(cr.record_type, document, given, known, cr.references)
            return (*found, given)
    final = _validate(cr.record_type, document, known)
    return final, eventstore.canonical_json(final), None


# A batch mail lists at most this many of the author's requests (an import approves thousands).
MAILED_REQUESTS = 50


def _announce(requests: list[ChangeRequest], reviewer, comment: str) -> None:
    """One mail per author listing their requests of the batch, where ``approve`` would send
    one per request: an editor whose import of a thousand studies was approved gets one."""
    by_author: dict[int, list[ChangeRequest]] = {}
    for cr in requests:
        by_author.setdefault(cr.author_id, []).append(cr)
    for mine in by_author.values():
        author = mine[0].author
        if not (author.is_active and author.email):
            continue  # nobody to write to (``notify`` would leave them out too)
        items = [{"cr": cr, "url": notifications.admin_url(cr)} for cr in mine[:MAILED_REQUESTS]]
        notifications.notify(
            "batch_approved",
            None,
            reviewer,
            recipients=[author],
            context={
                "count": len(mine),
                "items": items,
                "more": len(mine) - len(items),
                "comment": comment,
            },
        )
