"""Reads for a snapshot's ``changes.json`` and ``changes.html``: how each record changed
between two event positions, record by record, streamed.

A first snapshot lists every record (152,000 at 100,000 trials): read all at once, the
events, the changes and the rows made of them were the largest allocation of a publication
(half a gigabyte). ``iter_changes`` reads the events in the order the files list the records
(type, then slug) from a server-side cursor, and resolves a few hundred records at a time;
``ChangesBetween`` reads a long range again for each pass over it rather than keep it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, IntegerField, Max, Min, Value, When, Window

from curation import eventstore
from curation.models import Event
from evidence.documents import record_types

from .selectors import Version, logged_version

# Records resolved at a time (their earlier versions, documents and changed fields).
RESOLVE_BATCH = 500
# A range of at most this many events is read once and kept for every pass (an approval's
# snapshot); a longer one is read again on each pass (a first snapshot: every record).
KEPT_EVENTS = 2000


@dataclass
class RecordChange:
    """How one record changed between two positions."""

    record_type: str
    slug: str
    from_version: int
    to_version: int
    kind: str  # created | revised | retracted
    versions: list[Version]
    old_document: dict[str, Any] | None  # loaded for revisions only
    new_document: dict[str, Any] | None


class ChangesBetween:
    """The records changed by events in (after, upto], by type (in registry order) then
    slug, each with its net change; iterable more than once."""

    def __init__(self, after: int, upto: int):
        self.after, self.upto = after, upto
        # Positions are gapless: the range holds upto - after events.
        self._kept = list(iter_changes(after, upto)) if upto - after <= KEPT_EVENTS else None

    def __iter__(self) -> Iterator[RecordChange]:
        if self._kept is not None:
            return iter(self._kept)
        return iter_changes(self.after, self.upto)


def iter_changes(after: int, upto: int) -> Iterator[RecordChange]:
    """The records changed by events in (after, upto], in the files' order, streamed."""
    group: list[eventstore.LoggedEvent] = []
    groups: list[list[eventstore.LoggedEvent]] = []
    for row in _events_by_record(after, upto).iterator(chunk_size=2000):
        event = eventstore.LoggedEvent(*row)
        if group and group[-1].stream_id != event.stream_id:
            groups.append(group)
            group = []
            if len(groups) >= RESOLVE_BATCH:
                yield from _resolve(groups, after)
                groups = []
        group.append(event)
    if group:
        groups.append(group)
    yield from _resolve(groups, after)


def _events_by_record(after: int, upto: int):
    """The events in (after, upto], each record's together (oldest first), the records by
    type order, slug, then first event (a slug retracted and made again is two records)."""
    names = record_types.names()
    type_order = Case(
        *(When(stream_type=name, then=Value(i)) for i, name in enumerate(names)),
        default=Value(len(names)),
        output_field=IntegerField(),
    )
    return (
        Event.objects.filter(position__gt=after, position__lte=upto)
        .annotate(
            type_order=type_order,
            first_position=Window(Min("position"), partition_by=[F("stream_id")]),
        )
        .order_by("type_order", "slug", "first_position", "position")
        .values_list(*eventstore.LoggedEvent.COLUMNS)
    )


def _resolve(groups: list[list[eventstore.LoggedEvent]], after: int) -> Iterator[RecordChange]:
    """Each record's change, given its events in the range (``groups``, in order)."""
    if not groups:
        return
    before: dict[Any, int] = {}  # stream id -> its last position at or before ``after``
    if after:
        before = dict(
            Event.objects.filter(
                position__lte=after, stream_id__in=[events[0].stream_id for events in groups]
            )
            .order_by()
            .values("stream_id")
            .annotate(last=Max("position"))
            .values_list("stream_id", "last")
        )

    def kind_of(events: list[eventstore.LoggedEvent]) -> str:
        if events[-1].type == Event.Type.RETRACTED:
            return "retracted"
        return "revised" if events[0].stream_id in before else "created"

    kinds = [kind_of(events) for events in groups]
    # Documents are needed only to diff revisions (a first snapshot diffs nothing).
    revised = [events for events, kind in zip(groups, kinds, strict=True) if kind == "revised"]
    documents = eventstore.documents_at(
        sorted(
            {before[events[0].stream_id] for events in revised}
            | {events[-1].position for events in revised}
        )
    )
    changed = eventstore.changed_paths_at([e.position for events in groups for e in events])
    for events, kind in zip(groups, kinds, strict=True):
        first, last = events[0], events[-1]
        is_revision = kind == "revised"
        yield RecordChange(
            last.stream_type,
            last.slug,
            first.version - 1,
            last.version,
            kind,
            [logged_version(event, changed) for event in events],
            documents.get(before[first.stream_id]) if is_revision else None,
            documents.get(last.position) if is_revision else None,
        )
