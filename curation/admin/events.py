"""Events in the admin: the append-only log, read-only for everyone, superusers included."""

from __future__ import annotations

from django.contrib import admin

from ..models import Event
from .guards import ReadOnlyModelAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyModelAdmin):
    list_display = (
        "position",
        "stream_type",
        "slug",
        "version",
        "type",
        "proposer",
        "approver",
        "recorded_at",
        "change_request",
    )
    list_filter = ("stream_type", "type")
    search_fields = ("slug",)
    list_select_related = ("proposer", "approver", "change_request")
