"""Reads over the event log and change requests (no writes here): what the API, the admin and
the commands show, so that each query and each reading rule lives once."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from evidence.diff import labelled_changes
from evidence.documents import SLUG_PATTERN
from evidence.models import RECORD_MODELS, Citation, Record

from . import eventstore
from .errors import NotFound
from .models import ChangeRequest, Comment, Event

_SLUG = re.compile(SLUG_PATTERN)


def is_possible_slug(slug) -> bool:
    """Whether any record could have this slug. Lookups answer "none" for anything else
    without a query: PostgreSQL refuses a NUL character in a query, whoever sent it."""
    return isinstance(slug, str) and _SLUG.fullmatch(slug) is not None


def live_record(record_type: str, slug: str) -> Record | None:
    model = RECORD_MODELS.get(record_type)
    if model is None or not is_possible_slug(slug):
        return None
    return model.objects.filter(slug=slug).first()


def record_exists(record_type: str, slug: str) -> bool:
    model = RECORD_MODELS.get(record_type)
    return bool(model and is_possible_slug(slug) and model.objects.filter(slug=slug).exists())


def existing_records(wanted: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Which of the given (record type -> slugs) are live records, in one query (a UNION of
    one SELECT per record type asked about)."""
    from django.db.models import CharField, Value

    parts = [
        model.objects.filter(slug__in=[s for s in slugs if is_possible_slug(s)])
        .annotate(record_type=Value(record_type, output_field=CharField()))
        .values_list("record_type", "slug")
        .order_by()
        for record_type, slugs in wanted.items()
        if slugs and (model := RECORD_MODELS.get(record_type)) is not None
    ]
    if not parts:
        return set()
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return set(query)


def existing_records_sql(wanted: dict[str, set[str]]) -> tuple[str, list] | None:
    """``existing_records``'s query as PostgreSQL (sql, params), (record type, slug) rows,
    for a caller sending it with another read; None when no slug could exist."""
    parts, params = [], []
    for record_type, slugs in sorted(wanted.items()):
        model = RECORD_MODELS.get(record_type)
        possible = sorted(s for s in slugs if is_possible_slug(s))
        if model is None or not possible:
            continue
        parts.append(f"SELECT %s, slug FROM {model._meta.db_table} WHERE slug = ANY(%s)")  # noqa: S608
        params += [record_type, possible]
    return (" UNION ALL ".join(parts), params) if parts else None


def stream_id_for_slug(record_type: str, slug: str) -> uuid.UUID | None:
    """The stream of a record by slug, live or retracted (slugs are never reused)."""
    if not is_possible_slug(slug):
        return None
    return (
        Event.objects.filter(stream_type=record_type, slug=slug)
        .order_by("-position")
        .values_list("stream_id", flat=True)
        .first()
    )


def document_at_version(
    record_type: str, stream_id: uuid.UUID, version: int
) -> dict[str, Any] | None:
    if version == 0:
        return None
    event = Event.objects.filter(
        stream_type=record_type, stream_id=stream_id, version=version
    ).first()
    if event is None:
        raise NotFound(f"{record_type} {stream_id} has no version {version}")
    return event.upcast_document


@dataclass(frozen=True)
class RecordAsOf:
    record_type: str
    slug: str
    version: int
    position: int
    recorded_at: datetime
    retracted: bool
    document: dict[str, Any] | None


def record_as_of(
    record_type: str, slug: str, *, position: int | None = None, at: datetime | None = None
) -> RecordAsOf:
    """A record as it was after event ``position`` or at time ``at`` (the latest if neither)."""
    stream_id = stream_id_for_slug(record_type, slug)
    if stream_id is None:
        raise NotFound(f"no {record_type} with slug {slug!r}")
    events = eventstore.select_events(record_type, stream_id)
    if position is not None:
        events = events.filter(position__lte=position)
    if at is not None:
        events = events.filter(recorded_at__lte=at)
    event = events.order_by("-version").first()
    if event is None:
        when = f"position {position}" if position is not None else f"{at.isoformat()}"
        raise NotFound(f"{record_type} {slug!r} did not exist yet at {when}")
    return RecordAsOf(
        record_type=record_type,
        slug=event.slug,
        version=event.version,
        position=event.position,
        recorded_at=event.recorded_at,
        retracted=event.type == Event.Type.RETRACTED,
        document=event.upcast_document,
    )


@dataclass(frozen=True)
class RecordDetail:
    """A record at one version, whether read live or as of a point: the API's record detail
    (its fields in the order the detail lists them)."""

    record_type: str
    slug: str
    id: uuid.UUID | None
    version: int
    position: int
    approved_at: datetime
    retracted: bool
    document: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict(): that deep-copies the document for nothing.
        return {field.name: getattr(self, field.name) for field in fields(self)}


_LIVE_FIELDS = [field.name for field in fields(RecordDetail) if field.name != "retracted"]


def record_detail(
    record_type: str, slug: str, *, position: int | None = None, at: datetime | None = None
) -> RecordDetail:
    """A record now (its live row), or as it was after event ``position`` or at time ``at``."""
    if position is None and at is None:
        record = live_record(record_type, slug)
        if record is None:
            raise NotFound(f"no published {record_type} with slug {slug!r}")
        # A live row has the detail's fields under the same names; a retracted record has none.
        return RecordDetail(
            **{name: getattr(record, name) for name in _LIVE_FIELDS}, retracted=False
        )
    past = record_as_of(record_type, slug, position=position, at=at)
    return RecordDetail(
        record_type=record_type,
        slug=past.slug,
        id=stream_id_for_slug(record_type, slug),
        version=past.version,
        position=past.position,
        approved_at=past.recorded_at,
        retracted=past.retracted,
        document=past.document,
    )


def record_history(record_type: str, slug: str) -> QuerySet[Event]:
    """Every version of a record with its provenance, oldest first."""
    stream_id = stream_id_for_slug(record_type, slug)
    if stream_id is None:
        raise NotFound(f"no {record_type} with slug {slug!r}")
    return eventstore.select_events(record_type, stream_id).select_related(
        "proposer", "approver", "change_request"
    )


def events_after(position: int, limit: int) -> QuerySet[Event]:
    return (
        Event.objects.filter(position__gt=position)
        .order_by("position")
        .select_related("proposer", "approver")[:limit]
    )


def contiguous_events_after(position: int, limit: int) -> list[Event]:
    """Up to ``limit`` events after ``position``, stopping at the first gap in positions.

    Positions are gapless by construction (serialised appends); stopping at a gap anyway means
    a consumer that stores the last position it saw can never skip past an event it has not
    seen (one committed later with a lower position).
    """
    contiguous = []
    for expected, event in enumerate(events_after(position, limit), start=position + 1):
        if event.position != expected:
            break
        contiguous.append(event)
    return contiguous


# Labelled changes by event hash: an event never changes, so its changes are labelled once per
# process (the feed and histories list the same events again and again). Bounded, oldest out.
LABELLED_CACHE_SIZE = 20_000
_labelled: dict[str, list[dict[str, Any]]] = {}


def event_labelled_changes(event: Event) -> list[dict[str, Any]]:
    """An event's changes for people ([{path, label, old, new}], ``labelled_changes``)."""
    found = _labelled.get(event.hash)
    if found is None:
        found = labelled_changes(None, event.upcast_document, changes=event.upcast_changes)
        if len(_labelled) >= LABELLED_CACHE_SIZE:
            del _labelled[next(iter(_labelled))]
        _labelled[event.hash] = found
    return found


def labelled_changes_by_hash(hashes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """``event_labelled_changes`` of the events with these hashes. Only the events not labelled
    yet in this process are read (their documents and changes, in one query): a page of the
    changes feed needs none of the documents once its events have been labelled."""
    found = {hash_: _labelled[hash_] for hash_ in hashes if hash_ in _labelled}
    missing = [hash_ for hash_ in hashes if hash_ not in found]
    if missing:
        for event in Event.objects.filter(hash__in=missing).only(
            "hash", "stream_type", "document", "changes"
        ):
            found[event.hash] = event_labelled_changes(event)
    return found


@dataclass(frozen=True)
class ChangeRequestDetail:
    """A change request with its reviews, and the record as it is now (what an open request
    is compared with)."""

    change_request: ChangeRequest
    current_version: int | None
    current_document: dict[str, Any] | None


def with_unresolved_comments(requests: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    """``requests`` with ``unresolved_comments``: their discussion's open threads, counted in
    the same query."""
    open_threads = (
        Comment.objects.filter(
            change_request=OuterRef("pk"), parent__isnull=True, resolved_at__isnull=True
        )
        .order_by()
        .values("change_request")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return requests.annotate(unresolved_comments=Coalesce(Subquery(open_threads), 0))


def change_request_list() -> QuerySet[ChangeRequest]:
    """Every change request, newest first, with the people a list shows."""
    return with_unresolved_comments(
        ChangeRequest.objects.select_related("author", "decided_by", "claimed_by").order_by("-id")
    )


def discussion_of(cr: ChangeRequest | int) -> QuerySet[Comment]:
    """The threads of a request's discussion, oldest first, each with its replies."""
    pk = cr.pk if isinstance(cr, ChangeRequest) else cr
    replies = Prefetch("replies", Comment.objects.select_related("author").order_by("created_at"))
    return (
        Comment.objects.filter(change_request_id=pk, parent__isnull=True)
        .select_related("author", "resolved_by")
        .prefetch_related(replies)
        .order_by("created_at", "id")
    )


def current_document(cr: ChangeRequest) -> dict | None:
    """The document of the record a change request is about, as it is now (None: no record
    yet, or retracted)."""
    if not cr.record_slug:
        return None
    live = live_record(cr.record_type, cr.record_slug)
    return live.document if live else None


def change_request_detail(pk: int) -> ChangeRequestDetail:
    cr = (
        with_unresolved_comments(
            ChangeRequest.objects.select_related("author", "decided_by", "claimed_by")
        )
        .prefetch_related("reviews__author", "reviews__warnings")
        .filter(pk=pk)
        .first()
    )
    if cr is None:
        raise NotFound(f"no change request {pk}")
    live = live_record(cr.record_type, cr.record_slug)
    if live is None:
        return ChangeRequestDetail(cr, None, None)
    return ChangeRequestDetail(cr, live.version, live.document)


def record_id_exists(record_type: str, record_id: uuid.UUID) -> bool:
    """Whether the record is live (a retracted record has events but no row)."""
    model = RECORD_MODELS.get(record_type)
    return bool(model and model.objects.filter(pk=record_id).exists())


def with_event_counts(records: QuerySet[Record], record_type: str) -> QuerySet[Record]:
    """``records`` with ``event_count``, the events of each record's stream, counted in the
    same query: a list of records does not run one COUNT per row."""
    counts = (
        Event.objects.filter(stream_type=record_type, stream_id=OuterRef("pk"))
        .order_by()  # no default ordering in the GROUP BY
        .values("stream_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return records.annotate(event_count=Coalesce(Subquery(counts), 0))


def event_count(record_type: str, stream_id: uuid.UUID) -> int:
    return Event.objects.filter(stream_type=record_type, stream_id=stream_id).count()


def events_by_version(record_type: str, stream_id: uuid.UUID) -> dict[int, Event]:
    """Every event of one record, by version, with who proposed and who approved it."""
    events = Event.objects.filter(stream_type=record_type, stream_id=stream_id)
    return {event.version: event for event in events.select_related("proposer", "approver")}


def event_at_version(record_type: str, stream_id: uuid.UUID, version: int) -> Event | None:
    return (
        Event.objects.filter(stream_type=record_type, stream_id=stream_id, version=version)
        .select_related("proposer", "approver")
        .first()
    )


def citation_titles(slugs: list[str]) -> dict[str, str]:
    """slug -> title of the citations among ``slugs`` that exist."""
    return dict(Citation.objects.filter(slug__in=slugs).values_list("slug", "title"))


def reviews_of(cr: ChangeRequest) -> QuerySet:
    """The request's reviews and comments, oldest first, with their authors."""
    return cr.reviews.select_related("author")


def open_requests_for(record_type: str, record_id: uuid.UUID) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(
        record_type=record_type, record_id=record_id, status__in=ChangeRequest.OPEN_STATUSES
    )


def referrers(record_type: str, slug: str) -> list[str]:
    """Live records whose documents refer to the given record ("trial:atlas", ...)."""
    from evidence.documents import referenced_slugs

    found = []
    for other_type, model in RECORD_MODELS.items():
        for other in model.objects.only("slug", "document").iterator():
            if slug in referenced_slugs(other_type, other.document).get(record_type, ()):
                found.append(f"{other_type}:{other.slug}")
    return found


def retracted_records(position: int) -> list[list[Event]]:
    """Every record retracted at or before ``position``: its events before the retraction,
    oldest first, with their provenance (what a reader needs to say what was there)."""
    retractions = Event.objects.filter(type=Event.Type.RETRACTED, position__lte=position)
    return [
        list(
            eventstore.select_events(retraction.stream_type, retraction.stream_id)
            .filter(position__lt=retraction.position)
            .select_related("proposer", "approver", "change_request")
        )
        for retraction in retractions.order_by("position")
    ]
