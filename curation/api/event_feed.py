"""The changes feed's events as ``EventSerializer`` gives them, without model objects.

A page of the feed is up to 1,000 events. Through the serializer each costs a model instance
with its decoded document (about 3 KB of JSON that the page does not show), two user rows and
DRF's field machinery. Here one query reads just the columns the page shows, the labelled
changes come from the per-process memo (``selectors.labelled_changes_by_hash``: the events'
documents are read only for events not labelled yet), and each event becomes a dict with the
serializer's keys in its order. The typed values (the record id, the time) go through the
serializer's own fields, so the bytes are the serializer's (tests/api/test_event_feed.py).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from curation import selectors
from curation.models import Event

from . import serializers

# The columns a feed item shows, in EventSerializer's order (changed_fields and changes are
# the labelled changes, by hash).
_COLUMNS = (
    "position",
    "stream_type",
    "slug",
    "stream_id",
    "version",
    "type",
    "change_request_id",
    "proposer__username",
    "approver__username",
    "rationale",
    "recorded_at",
    "hash",
    "prev_hash",
)


@cache
def _serializer_fields():
    return serializers.EventSerializer().fields


def _recorded_at():
    """The serializer's time field, its time zone looked up once for the page: DRF looks it up
    per value unless the field has one (``DateTimeField.enforce_timezone``), and this is the
    one it would find (``default_timezone``). A copy: the zone is this thread's, now."""
    field = copy.copy(_serializer_fields()["recorded_at"])
    field.timezone = field.default_timezone()
    return field.to_representation


def contiguous_feed_items(after: int, limit: int) -> list[dict[str, Any]]:
    """``EventSerializer(selectors.contiguous_events_after(after, limit), many=True).data``:
    up to ``limit`` events after ``after``, stopping at the first gap in positions."""
    rows = []
    query = Event.objects.filter(position__gt=after).order_by("position")
    for expected, row in enumerate(query.values_list(*_COLUMNS)[:limit], start=after + 1):
        if row[0] != expected:
            break
        rows.append(row)
    labelled = selectors.labelled_changes_by_hash([row[11] for row in rows])
    record_id, recorded_at = _serializer_fields()["record_id"].to_representation, _recorded_at()
    items = []
    for (
        position,
        stream_type,
        slug,
        stream_id,
        version,
        type_,
        change_request,
        proposer,
        approver,
        rationale,
        when,
        hash_,
        prev_hash,
    ) in rows:
        changes = labelled[hash_]
        items.append(
            {
                "position": position,
                "record_type": stream_type,
                "record": slug,
                "record_id": record_id(stream_id),
                "version": version,
                "type": type_,
                "changed_fields": [change["path"] for change in changes],
                "changes": changes,
                "change_request": change_request,
                "proposer": proposer,
                "approver": approver,
                "rationale": rationale,
                "recorded_at": recorded_at(when),
                "hash": hash_,
                "prev_hash": prev_hash,
            }
        )
    return items
