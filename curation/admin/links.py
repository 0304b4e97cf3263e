"""Admin URLs other pages link to: a record's events, a record's page."""

from __future__ import annotations

from django.urls import reverse

from .. import selectors


def events_url(record_type: str, stream_id) -> str:
    return (
        reverse("admin:curation_event_changelist")
        + f"?stream_type__exact={record_type}&stream_id={stream_id}"
    )


def record_url(record_type: str, record_id) -> str | None:
    if not selectors.record_id_exists(record_type, record_id):
        return None  # retracted: nothing to link to
    return reverse(f"admin:evidence_{record_type}_change", args=[record_id])
