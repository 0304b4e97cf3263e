"""Admin URLs other pages link to: a record's events, a record's page."""

from __future__ import annotations

from django.urls import reverse

from evidence import models as ev


def events_url(record_type: str, stream_id) -> str:
    return (
        reverse("admin:curation_event_changelist")
        + f"?stream_type__exact={record_type}&stream_id={stream_id}"
    )


def record_url(record_type: str, record_id) -> str | None:
    model = ev.RECORD_MODELS[record_type]
    if not model.objects.filter(pk=record_id).exists():
        return None
    return reverse(f"admin:evidence_{record_type}_change", args=[record_id])
