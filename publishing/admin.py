"""Snapshots in the admin: read-only, with progress, and "republish now" for superusers;
releases: listed, and added by staff with the permission (never changed or deleted)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.text import capfirst

from curation.admin.guards import AdminGuard, ReadOnlyModelAdmin
from curation.errors import CurationError, ValidationFailed
from evidence.documents import record_types

from . import releases, services
from .models import Release, Snapshot
from .selectors import complete_snapshots


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


class ReleaseForm(forms.ModelForm):
    """Name, note and snapshot of a new release; every rule is the service's
    (``publishing.releases.check_release``), reported on the field it names."""

    snapshot = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Snapshot"
    )

    class Meta:
        model = Release
        fields = ["name", "note"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "name" not in self.fields:
            return  # a release's own page: every field is read-only
        self.fields["name"].help_text = 'Such as "2026-12": letters, digits, ".", "_" or "-".'
        self.fields["snapshot"].choices = [("", "The latest snapshot")] + [
            (s.seq, f"Snapshot {s.seq} (event {s.position})")
            for s in complete_snapshots().order_by("-seq")[:50]
        ]

    def clean(self):
        data = super().clean()
        try:
            releases.check_release(
                user=self.user,
                name=data.get("name"),
                note=data.get("note"),
                snapshot=data.get("snapshot"),
            )
        except ValidationFailed as exc:
            for error in exc.errors:
                field = error["path"] if error["path"] in self.fields else None
                self.add_error(field, error["message"])
        except CurationError as exc:
            self.add_error(None, exc.message)
        return data

    def _post_clean(self):
        pass  # the model's own checks (unique name) are the service's, with its words


@admin.register(Release)
class ReleaseAdmin(AdminGuard, admin.ModelAdmin):
    """Releases: listed, added through the service, never changed or deleted."""

    form = ReleaseForm
    list_display = ["name", "snapshot_seq", "position", "changes", "created_by", "created_at"]
    ordering = ["-position", "-id"]
    readonly_fields = [
        "name",
        "note",
        "snapshot",
        "position",
        "previous",
        "created_by",
        "notes_links",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return partial_form(form, user=request.user)

    def get_fields(self, request, obj=None):
        return ["name", "note", "snapshot"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_add_permission(self, request) -> bool:
        return releases.can_release(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        made = releases.create_release(
            user=request.user, name=data["name"], note=data["note"], snapshot=data["snapshot"]
        )
        # The admin logs and links the object it gave: make it the release the service made.
        for field in Release._meta.concrete_fields:
            setattr(obj, field.attname, getattr(made, field.attname))

    @admin.display(description="snapshot")
    def snapshot_seq(self, release: Release) -> int:
        return release.snapshot.seq

    @admin.display(description="changes")
    def changes(self, release: Release) -> str:
        counts = release.notes.get("counts", {})
        return ", ".join(f"{counts.get(k, 0)} {k}" for k in ("added", "revised", "retracted"))

    @admin.display(description="release notes")
    def notes_links(self, release: Release) -> str:
        base = f"/published/releases/{release.name}/notes"
        return format_html('<a href="{}.html">HTML</a> · <a href="{}.json">JSON</a>', base, base)


def partial_form(form_class, **bound):
    """``form_class`` made with ``bound`` keyword arguments (the admin makes forms itself)."""

    class Bound(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**bound, **kwargs})

    Bound.__name__ = form_class.__name__
    return Bound
