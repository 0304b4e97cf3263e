"""Import batches in the admin: their progress (records done of total) and failures with
their reasons, read-only for everyone; batches are started from the import page (a batch
file) or the command and the API, and only a worker changes them."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from curation.imports import batches

from ..models import ImportBatch
from .guards import ReadOnlyModelAdmin

MAX_LISTED_FAILURES = 500


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "filename",
        "kind",
        "author",
        "status",
        "records_done",
        "made",
        "skipped",
        "failed",
        "created_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("filename",)
    list_select_related = ("author",)
    fields = (
        "kind",
        "filename",
        "file_size",
        "file_sha256",
        "author",
        "submit",
        "status",
        "records_done",
        "made",
        "skipped",
        "failed",
        "created_at",
        "heartbeat_at",
        "finished_at",
        "change_requests",
        "failures",
    )
    readonly_fields = fields

    @admin.display(description="Records done")
    def records_done(self, batch: ImportBatch) -> str:
        return f"{batch.processed} of {batch.total}"

    @admin.display(description="Change requests made")
    def change_requests(self, batch: ImportBatch):
        ids = batch.items.filter(status="made").order_by("position")
        ids = ids.values_list("change_request_id", flat=True)[:MAX_LISTED_FAILURES]
        return (
            format_html_join(
                ", ",
                '<a href="{}">CR-{}</a>',
                ((reverse("admin:curation_changerequest_change", args=[pk]), pk) for pk in ids),
            )
            or "none yet"
        )

    @admin.display(description="Failures (nothing was written for these records)")
    def failures(self, batch: ImportBatch):
        failed = batches.failures(batch)[:MAX_LISTED_FAILURES]
        if not failed:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((item.where, item.message, item.path or "—") for item in failed),
        )
        return format_html(
            "<table><caption>Records that failed, and why</caption><thead><tr>"
            '<th scope="col">Record (file: record)</th><th scope="col">Reason</th>'
            '<th scope="col">Path in the record</th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )
