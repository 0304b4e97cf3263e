"""Evidence records (trials, citations, interventions, topics) in the admin.

Records are read-only here: they change only through approved change requests. For members
of the Editors group a record's change page (and the add page) is the proposal form: saving
it opens a submitted change request (``services.propose``) instead of writing the record.
Its History page lists who proposed and who approved each version.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from evidence import models as ev
from evidence.diff import labelled_changes
from evidence.documents import TrialSetting, vocabulary

from .. import selectors, services
from ..errors import CurationError, ValidationFailed
from ..models import ChangeRequest, Event
from .forms import ProposalForms, vocabulary_choices
from .guards import ReadOnlyHistoryAdmin, refused
from .links import events_url

# The events of the record whose History page is being built, by version. The page's three
# event columns (proposed by, approved by, changed fields) read the same event on every row,
# and every row is a version of the same record: one query per page, not three per row. A
# ContextVar rather than an attribute, because one ModelAdmin instance serves every request.
_page_events: ContextVar[dict[uuid.UUID, dict[int, Event]] | None] = ContextVar(
    "record_history_events", default=None
)


class RecordAdmin(ReadOnlyHistoryAdmin):
    """Shared by the four record types. The change page of a proposer is the proposal form."""

    record_type = ""
    list_display = ("slug", "version", "approved_at", "events_link")
    search_fields = ("slug",)
    readonly_fields = ("events_link", "open_requests")
    history_list_display = ["version", "proposed_by", "approved_by", "changed_fields"]

    def has_add_permission(self, request) -> bool:
        return services.can_propose(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # records change only through approved change requests

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Columns and read-only fields --------------------------------------------------------------

    def get_queryset(self, request):
        # The "Events" column's counts come with the rows (one query per page, not per row).
        return selectors.with_event_counts(super().get_queryset(request), self.record_type)

    @admin.display(description="Events")
    def events_link(self, obj) -> str:
        count = getattr(obj, "event_count", None)
        if count is None:  # a record not read through get_queryset
            count = selectors.event_count(self.record_type, obj.pk)
        return format_html(
            '<a href="{}">{} event{}</a>',
            events_url(self.record_type, obj.pk),
            count,
            "" if count == 1 else "s",
        )

    @admin.display(description="Open change requests")
    def open_requests(self, obj) -> str:
        requests = selectors.open_requests_for(self.record_type, obj.pk)
        if not requests:
            return "none"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:curation_changerequest_change", args=[cr.pk]), str(cr))
                for cr in requests
            ),
        )

    # History view columns: who proposed and who approved each version ------------------------

    def history_view(self, request, object_id, extra_context=None):
        token = _page_events.set({})
        try:
            return super().history_view(request, object_id, extra_context)
        finally:
            _page_events.reset(token)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # simple-history joins the "Changed by" user, then drops the join again (a bare
        # select_related() for the tracked foreign keys replaces it): a user query per row.
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return queryset.select_related("history_user")

    def _event(self, historical) -> Event | None:
        """The event that made this version (a retraction's row: the retraction)."""
        version = historical.version + (1 if historical.history_type == "-" else 0)
        page_events = _page_events.get()
        if page_events is None:  # a column read outside the History page
            return selectors.event_at_version(self.record_type, historical.id, version)
        if historical.id not in page_events:
            page_events[historical.id] = selectors.events_by_version(
                self.record_type, historical.id
            )
        return page_events[historical.id].get(version)

    def proposed_by(self, historical) -> str:
        event = self._event(historical)
        return str(event.proposer) if event else ""

    def approved_by(self, historical) -> str:
        event = self._event(historical)
        return str(event.approver) if event else ""

    def changed_fields(self, historical) -> str:
        event = self._event(historical)
        if event is None:
            return ""
        shown = labelled_changes(None, event.upcast_document, changes=event.upcast_changes[:6])
        labels = [change["label"] for change in shown]
        more = len(event.upcast_changes) - len(labels)
        return "; ".join(labels) + (f"; and {more} more" if more > 0 else "")

    def set_history_delta_changes(self, request, page_obj) -> None:
        """The whole document is one field; the changed-fields column says what changed."""

    # Views ---------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, unquote(object_id))
        reason = services.propose_refusal(request.user)
        if record is None or reason:
            if request.method == "POST":
                return refused(request, reason or "not allowed")
            return super().change_view(request, object_id, form_url, extra_context)
        return self.propose_view(request, record)

    def add_view(self, request, form_url="", extra_context=None):
        reason = services.propose_refusal(request.user)
        if reason:
            return refused(request, reason)
        return self.propose_view(request, None)

    def propose_view(self, request, record: ev.Record | None):
        """Show a record as forms; saving proposes it (a submitted change request)."""
        status = 200
        if request.method == "POST":
            forms, status = self._handle_proposal(request, record)
            if status == 302:
                return forms  # the redirect to the new change request
        else:
            forms = ProposalForms(
                self.record_type,
                base_document=record.document if record else None,
                base_version=record.version if record else 0,
            )
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            # The results grid needs the page's full width.
            "is_nav_sidebar_enabled": False,
            "opts": opts,
            "app_label": opts.app_label,
            "title": (
                f"Propose a change to {opts.verbose_name} “{record.slug}”"
                if record
                else f"Propose a new {opts.verbose_name}"
            ),
            "forms": forms,
            "record": record,
            "record_type": self.record_type,
            "events_url": events_url(self.record_type, record.pk) if record else None,
            "history_url": (
                reverse(f"admin:evidence_{self.record_type}_history", args=[record.pk])
                if record
                else None
            ),
            "open_requests": (
                selectors.open_requests_for(self.record_type, record.pk) if record else []
            ),
        }
        return TemplateResponse(request, "admin/curation/propose.html", context, status=status)

    def _handle_proposal(self, request, record: ev.Record | None):
        try:
            base_version = int(request.POST.get("proposal-base_version", ""))
        except ValueError:
            base_version = record.version if record else 0
        try:
            base_document = (
                selectors.document_at_version(self.record_type, record.pk, base_version)
                if record
                else None
            )
        except CurationError as exc:
            forms = ProposalForms(
                self.record_type, base_document=record.document, base_version=record.version
            )
            forms.errors_without_field.append(exc.message)
            return forms, 400
        forms = ProposalForms(
            self.record_type,
            base_document=base_document,
            base_version=base_version,
            data=request.POST,
            add_row_to=request.POST.get("_add_rows"),
        )
        if forms.adding_rows:
            return forms, 200  # an "Add ..." button: show the form again, propose nothing
        if not forms.is_valid():
            forms.add_document_errors(services.document_errors)
            return forms, 400
        try:
            cr = services.propose(
                user=request.user,
                record_type=self.record_type,
                action=ChangeRequest.Action.REVISE if record else ChangeRequest.Action.CREATE,
                document=forms.to_document(),
                record=record.slug if record else None,
                base_version=forms.base_version if record else None,
                rationale=forms.rationale,
                citations=forms.citations,
                reviewer_note=forms.reviewer_note,
            )
        except ValidationFailed as exc:
            forms.add_errors(exc.errors)
            return forms, 400
        except CurationError as exc:
            forms.errors_without_field.append(exc.message)
            return forms, exc.http_status
        messages.success(
            request,
            f"Your change was not applied yet: it is now {cr} and waits for a reviewer. "
            "Nothing about the record changes until a reviewer approves it.",
        )
        url = reverse("admin:curation_changerequest_change", args=[cr.pk])
        return HttpResponseRedirect(url), 302


def _trial_results(obj: ev.Trial) -> str:
    """The trial's results as a small outcomes-by-arms table (read-only view)."""
    document = obj.document or {}
    arms = document.get("arms") or []
    rows = []
    for outcome in document.get("outcomes") or []:
        values = {v.get("arm"): v for v in outcome.get("values") or []}
        cells = []
        dispersion = (outcome.get("dispersion") or {}).get("kind")
        for arm in arms:
            value = values.get(arm["key"])
            cells.append("—" if value is None else _result_text(value, dispersion))
        unit = outcome.get("unit_text") or outcome.get("unit")
        rows.append((outcome.get("title"), vocabulary.OUTCOME_UNIT_LABELS.get(unit, unit), cells))
    header = format_html_join("", "<th>{}</th>", ((arm.get("label"),) for arm in arms))
    body = format_html_join(
        "",
        "<tr><th>{} ({})</th>{}</tr>",
        (
            (label, unit, format_html_join("", "<td>{}</td>", ((c,) for c in cells)))
            for label, unit, cells in rows
        ),
    )
    return format_html(
        '<table class="results"><thead><tr><th>Outcome</th>{}</tr></thead><tbody>{}</tbody>'
        "</table>",
        header,
        body,
    )


def _result_text(value: dict, dispersion: str | None) -> str:
    """One arm's value as the read-only table shows it: "12.4 (SD 3.1)", "14 (IQR 10 to 21)",
    or the reason it is missing, in words."""
    if value.get("value") is None:
        reason = vocabulary.MISSING_REASON_LABELS.get(value.get("missing"), "—")
        return f"{reason} ({value['raw']})" if value.get("raw") else reason
    text = str(value["value"])
    kind = vocabulary.DISPERSION_LABELS.get(dispersion, "")
    if value.get("spread") is not None:
        text += f" ({kind} {value['spread']})"
    elif value.get("low") is not None or value.get("high") is not None:
        low, high = value.get("low"), value.get("high")
        text += f" ({kind} {'—' if low is None else low} to {'—' if high is None else high})"
    return text


class TrialSettingFilter(admin.SimpleListFilter):
    title = "setting"
    parameter_name = "setting"

    def lookups(self, request, model_admin):
        return vocabulary_choices(TrialSetting)

    def queryset(self, request, queryset):
        return queryset.filter(setting=self.value()) if self.value() else queryset


@admin.register(ev.Trial)
class TrialAdmin(RecordAdmin):
    record_type = "trial"
    list_display = ("slug", "name", "setting_label", "version", "approved_at", "events_link")
    list_filter = (TrialSettingFilter,)
    search_fields = ("slug", "name", "registry_ids_text")
    readonly_fields = ("results", "events_link", "open_requests")

    @admin.display(description="Setting", ordering="setting")
    def setting_label(self, obj) -> str:
        if obj.setting:
            return vocabulary.SETTING_LABELS.get(obj.setting, obj.setting)
        # Schema 2: a trial may give its setting only in words.
        return (obj.document or {}).get("setting_text") or ""

    @admin.display(description="Results")
    def results(self, obj) -> str:
        return _trial_results(obj)


@admin.register(ev.Citation)
class CitationAdmin(RecordAdmin):
    record_type = "citation"
    list_display = ("slug", "title", "journal", "year", "version", "events_link")
    search_fields = ("slug", "title", "doi", "pmid")


@admin.register(ev.Intervention)
class InterventionAdmin(RecordAdmin):
    record_type = "intervention"
    list_display = ("slug", "name", "generic_name", "version", "events_link")
    search_fields = ("slug", "name", "generic_name")


@admin.register(ev.Topic)
class TopicAdmin(RecordAdmin):
    record_type = "topic"
    list_display = ("slug", "title", "condition", "version", "events_link")
    search_fields = ("slug", "title")
