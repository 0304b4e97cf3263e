"""Snapshots in the admin: read-only, with progress, and "republish now" for superusers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.text import capfirst

from curation.admin.guards import ReadOnlyModelAdmin
from evidence.documents import record_types

from . import services
from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyModelAdmin):
    list_display = [
        "seq",
        "position",
        "status",
        "progress",
        "files_rendered",
        "record_counts",
        "created_at",
        "finished_at",
        "short_error",
    ]
    list_filter = ["status"]
    ordering = ["-seq"]
    actions = ["republish_now"]
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    @admin.display(description="progress")
    def progress(self, snapshot: Snapshot) -> str:
        return f"{snapshot.progress_done}/{snapshot.progress_total} ({snapshot.progress_percent}%)"

    @admin.display(description="records")
    def record_counts(self, snapshot: Snapshot) -> str:
        counts = snapshot.counts or {}
        shown = [entry.plural for entry in record_types.in_creation_order() if entry.pages]
        return ", ".join(f"{counts[k]} {k}" for k in shown if k in counts)

    @admin.display(description="error")
    def short_error(self, snapshot: Snapshot) -> str:
        return snapshot.error[:120]

    def has_republish_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(
        description="Republish now (a new snapshot at the newest event)", permissions=["republish"]
    )
    def republish_now(self, request, queryset) -> None:
        try:
            services.request_publication(force=True)
        except services.PublishingError as exc:
            message = f"{capfirst(exc.args[0])}; run `manage.py publish --force`."
            self.message_user(request, message, messages.ERROR)
            return
        self.message_user(request, "A new snapshot is being published; refresh to follow it.")
