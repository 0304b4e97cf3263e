"""The Django admin: editors propose, reviewers decide, and nothing else writes evidence.

Thin callers only. Every write goes through ``curation.services`` (which holds the rules and
says why it refuses); this module turns forms into service calls and service errors into
messages and form errors.

- Evidence records (trials, citations, interventions, topics) are read-only. For members of
  the Editors group their change page is the proposal form: saving it opens a submitted
  change request (``services.propose``) instead of writing the record.
- Change requests are never edited through a model form: their page is the review page, with
  the diff, the conflict check and only the buttons ``services.allowed_actions`` allows.
- Events are read-only for everyone, superusers included.
- History pages (simple-history's per-version pages included) are read-only for everyone:
  they only show what the services wrote.
- Every registered admin, ours or another app's (users, groups, API tokens), goes through
  ``harden_admin_site`` (called from ``CurationConfig.ready``): bad ids are 404s, control
  characters in list filters and searches are refused, and accounts are for superusers only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from evidence import models as ev
from evidence.diff import describe_path, diff_documents
from evidence.documents import SETTING_LABELS

from . import selectors, services
from .admin_forms import ProposalForms, RationaleForms
from .errors import CurationError, ValidationFailed
from .models import ChangeRequest, Event

admin.site.site_header = "Evidence curation"
admin.site.site_title = "Evidence curation"
admin.site.index_title = "Propose and review evidence"


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


def refused(request, reason: str, status: int = 403) -> TemplateResponse:
    """A refusal page naming the reason; nothing was changed."""
    context = {**admin.site.each_context(request), "title": "Not allowed", "reason": reason}
    return TemplateResponse(request, "admin/curation/refused.html", context, status=status)


# --- Guards shared by every admin ---------------------------------------------------------------

# The apps whose rows only the services write. Everything else registered in the admin (users,
# groups, API tokens, whatever another app adds) is account administration: superusers only.
SERVICE_APPS = frozenset({"evidence", "curation", "publishing"})


def control_characters(value: str) -> bool:
    """NUL and other control characters: PostgreSQL refuses NUL in a text parameter (a 500
    if it reaches a query), and no slug, search term or filter value legitimately holds one."""
    return any(unicodedata.category(char) == "Cc" for char in value)


def bad_query_parameter(params: Mapping) -> str | None:
    """Why a changelist's query string is refused, or None."""
    for name in params:
        for value in [name, *params.getlist(name)]:
            if control_characters(value):
                return f"the filter or search “{name}” holds a control character; remove it"
    return None


def valid_id(field, value: str) -> bool:
    """Whether ``value`` (from a URL) can be an id of ``field`` at all: "not-a-uuid", "²",
    a 5,000-digit number or a NUL would otherwise reach the query and fail there (a 500)."""
    if control_characters(value):
        return False
    try:
        field.to_python(unquote(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


class AdminGuard:
    """Mixed into every registered ModelAdmin (see ``harden_admin_site``): bad input is a 400
    or a 404 with a reason, never a query that fails with a 500."""

    def changelist_view(self, request, extra_context=None):
        reason = bad_query_parameter(request.GET)
        if reason:
            return refused(request, reason, status=400)
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete view searches without going through changelist_view.
        if control_characters(search_term):
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_object(self, request, object_id, from_field=None):
        if isinstance(object_id, str) and control_characters(object_id):
            return None  # a NUL in a text primary key would fail in PostgreSQL
        return super().get_object(request, object_id, from_field)


class SuperusersOnly:
    """Account administration (users, groups, tokens): superusers only, whatever permissions a
    group was given. Whoever may edit accounts may put themselves in the Reviewers group, so the
    four-eyes rule would hold only as long as nobody ever granted an auth permission."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class ReadOnlyHistoryAdmin(AdminGuard, SimpleHistoryAdmin):
    """simple-history's pages, read-only for everyone.

    Its per-version page (``<id>/history/<history_id>/``) saves the whole model form on POST
    for anyone who may *view* the object: a trial rewritten without a change request, a change
    request's author, status or document swapped. Hiding the "Revert" button does not stop a
    POST, so the page answers only GET; its form has no editable field either.
    """

    def revert_disabled(self, request, obj=None) -> bool:
        return True  # reverting would write a row without going through the services

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_view(self, request, object_id, extra_context=None):
        if not valid_id(self.model._meta.pk, object_id):
            raise Http404(f"no {self.model._meta.verbose_name} {object_id!r}")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        history_model = self.model.history.model
        if not (
            valid_id(self.model._meta.pk, object_id)
            and valid_id(history_model._meta.pk, version_id)
        ):
            raise Http404(f"no version {version_id!r} of {object_id!r}")
        request.history_read_only = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if getattr(request, "history_read_only", False):
            # Every field shown as text: the version page has no form to submit.
            return [*fields, *(f.name for f in self.model._meta.fields if f.name not in fields)]
        return fields


def harden_admin_site(site: admin.AdminSite) -> None:
    """Give every registered ModelAdmin the guards it lacks; run once all admins registered.

    Generic over ``site._registry`` so that an admin another app registers (the auth user and
    group admins, DRF's or knox's token admin) is covered without being named here.
    """
    for model, model_admin in list(site._registry.items()):
        cls = type(model_admin)
        bases: list[type] = []
        if model._meta.app_label not in SERVICE_APPS and not isinstance(
            model_admin, SuperusersOnly
        ):
            bases.append(SuperusersOnly)
        if isinstance(model_admin, SimpleHistoryAdmin):
            if not isinstance(model_admin, ReadOnlyHistoryAdmin):
                bases.append(ReadOnlyHistoryAdmin)  # which includes AdminGuard
        elif not isinstance(model_admin, AdminGuard):
            bases.append(AdminGuard)
        if bases:
            site.unregister(model)
            site.register(model, type(cls.__name__, (*bases, cls), {"__module__": cls.__module__}))


# --- Events: read-only for everyone ------------------------------------------------------------


class ReadOnlyModelAdmin(AdminGuard, admin.ModelAdmin):
    """Rows written only by the services (events, snapshots): shown, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


# --- Evidence records: read-only, edited only by proposing -------------------------------------


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

    @admin.display(description="Events")
    def events_link(self, obj) -> str:
        count = Event.objects.filter(stream_type=self.record_type, stream_id=obj.pk).count()
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

    def _event(self, historical) -> Event | None:
        version = historical.version + (1 if historical.history_type == "-" else 0)
        return (
            Event.objects.filter(
                stream_type=self.record_type, stream_id=historical.id, version=version
            )
            .select_related("proposer", "approver")
            .first()
        )

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
        labels = [describe_path(c["path"], event.document) for c in event.changes[:6]]
        more = len(event.changes) - len(labels)
        return "; ".join(labels) + (f"; and {more} more" if more > 0 else "")

    def set_history_delta_changes(self, request, page_obj) -> None:
        """The whole document is one field; the changed-fields column says what changed."""

    # Views ---------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, unquote(object_id))
        if record is None or not services.can_propose(request.user):
            if request.method == "POST":
                return refused(request, services.propose_refusal(request.user) or "not allowed")
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
        for arm in arms:
            value = values.get(arm["key"])
            if value is None:
                cells.append("—")
            elif value.get("not_reached"):
                cells.append("not reached")
            else:
                cells.append(f"{value.get('value')}")
        rows.append((outcome.get("label"), outcome.get("unit"), cells))
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


class TrialSettingFilter(admin.SimpleListFilter):
    title = "setting"
    parameter_name = "setting"

    def lookups(self, request, model_admin):
        return list(SETTING_LABELS.items())

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
        return SETTING_LABELS.get(obj.setting, obj.setting)

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


# --- Change requests: the review queue and the review page -------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """The queue opens on requests waiting for review; "All" shows every request."""

    title = "status"
    parameter_name = "status"
    default = ChangeRequest.Status.SUBMITTED

    def lookups(self, request, model_admin):
        return [*ChangeRequest.Status.choices, ("all", "All")]

    def choices(self, changelist):
        current = self.value() or self.default
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.default
        return queryset if value == "all" else queryset.filter(status=value)


class AgeFilter(admin.SimpleListFilter):
    """How long a request has been waiting since it was (last) submitted."""

    title = "waiting"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("day", "Less than a day"), ("week", "1 to 7 days"), ("older", "More than 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        day, week = now - timedelta(days=1), now - timedelta(days=7)
        if self.value() == "day":
            return queryset.filter(submitted_at__gte=day)
        if self.value() == "week":
            return queryset.filter(submitted_at__lt=day, submitted_at__gte=week)
        if self.value() == "older":
            return queryset.filter(submitted_at__lt=week)
        return queryset


ACTION_LABELS = {
    "approve": "Approve",
    "request_changes": "Request changes",
    "reject": "Reject",
    "submit": "Submit again",
    "withdraw": "Withdraw",
    "rebase": "Rebase onto the current version",
}
# What each button calls; the service checks permission and state and says why it refuses.
ACTION_SERVICES = {
    "approve": lambda cr, user, comment: services.approve(cr, user=user, comment=comment),
    "reject": lambda cr, user, comment: services.reject(cr, user=user, comment=comment),
    "request_changes": lambda cr, user, comment: services.request_changes(
        cr, user=user, comment=comment
    ),
    "withdraw": lambda cr, user, comment: services.withdraw(cr, user=user, comment=comment),
    "submit": lambda cr, user, comment: services.submit(cr, user=user, comment=comment),
    "rebase": lambda cr, user, comment: services.rebase(cr, user=user),
    "comment": lambda cr, user, comment: services.add_comment(cr, user=user, comment=comment),
}
ACTION_DONE = {
    "approve": "Approved: the change is recorded and published.",
    "reject": "Rejected.",
    "request_changes": "Sent back to the author for changes.",
    "withdraw": "Withdrawn.",
    "submit": "Submitted again for review.",
    "rebase": "Rebased onto the record's current version.",
    "comment": "Comment added.",
}


def _display(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(_display(v).removeprefix("key=").removeprefix("arm=") for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_display(v)}" for k, v in value.items())
    return str(value)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "__str__",
        "record_type",
        "record_slug",
        "action",
        "status",
        "author",
        "submitted_at",
        "waiting",
        "needs_rebase",
    )
    list_filter = (StatusFilter, "record_type", "author", AgeFilter, "needs_rebase")
    search_fields = ("record_slug",)
    list_select_related = ("author",)
    ordering = ("submitted_at", "id")

    def has_add_permission(self, request) -> bool:
        return False  # proposals start from the record's page

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # never edited through a model form; transitions are buttons

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="waiting")
    def waiting(self, obj) -> str:
        if not obj.submitted_at or not obj.is_open:
            return ""
        days = (timezone.now() - obj.submitted_at).days
        return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cr = self.get_object(request, unquote(object_id))
        if cr is None:
            raise Http404(f"no change request {object_id}")
        if not self.has_view_permission(request, cr):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            action = request.POST.get("action", "")
            comment = request.POST.get("comment", "")
            call = ACTION_SERVICES.get(action)
            if call is None:
                messages.error(request, f"unknown action {action!r}")
                status = 400
            else:
                try:
                    call(cr, request.user, comment)
                except CurationError as exc:
                    messages.error(request, f"Not done: {exc.message}")
                    status = exc.http_status
                else:
                    messages.success(request, ACTION_DONE[action])
                    return HttpResponseRedirect(request.path)
            cr.refresh_from_db()
        return TemplateResponse(
            request,
            "admin/curation/changerequest/review.html",
            self.review_context(request, cr),
            status=status,
        )

    # Editing a proposal: the author's answer to "Request changes" --------------------------------

    def get_urls(self):
        edit = path(
            "<path:object_id>/edit/",
            self.admin_site.admin_view(self.edit_view),
            name="curation_changerequest_edit",
        )
        return [edit, *super().get_urls()]

    def edit_view(self, request, object_id):
        """The proposal form, showing the request's proposed document; saving submits again."""
        cr = self.get_object(request, unquote(object_id))
        if cr is None:
            raise Http404(f"no change request {object_id}")
        reason = services.refusal("edit", cr, request.user)
        if reason:
            return refused(request, reason)
        status = 200
        if request.method == "POST":
            forms = self._edit_forms(
                cr, data=request.POST, add_row_to=request.POST.get("_add_rows")
            )
            status = 200 if forms.adding_rows else self._handle_edit(request, cr, forms)
            if status == 302:
                messages.success(
                    request,
                    f"Your edited proposal is submitted again: {cr} waits for a reviewer. "
                    "Nothing about the record changes until a reviewer approves it.",
                )
                return HttpResponseRedirect(self._review_url(cr))
        else:
            forms = self._edit_forms(cr)
        record_opts = ev.RECORD_MODELS[cr.record_type]._meta
        context = {
            **self.admin_site.each_context(request),
            "is_nav_sidebar_enabled": False,  # the results grid needs the page's full width
            "opts": record_opts,
            "app_label": record_opts.app_label,
            "title": f"Edit {cr}",
            "forms": forms,
            "cr": cr,
            "review_url": self._review_url(cr),
        }
        return TemplateResponse(
            request, "admin/curation/changerequest/edit.html", context, status=status
        )

    @staticmethod
    def _review_url(cr: ChangeRequest) -> str:
        return reverse("admin:curation_changerequest_change", args=[cr.pk])

    @staticmethod
    def _edit_forms(
        cr: ChangeRequest, data=None, add_row_to: str | None = None
    ) -> ProposalForms | RationaleForms:
        """Forms showing what the request proposes (not the record as it is now);
        ``add_row_to`` re-shows submitted data with one more blank row (see ProposalForms)."""
        if cr.action == ChangeRequest.Action.RETRACT:
            return RationaleForms(
                base_version=cr.base_version,
                data=data,
                rationale=cr.rationale,
                citations=cr.citations,
            )
        return ProposalForms(
            cr.record_type,
            base_document=cr.document,
            base_version=cr.base_version,
            data=data,
            add_row_to=add_row_to,
            creating=cr.action == ChangeRequest.Action.CREATE,
            rationale=cr.rationale,
            citations=cr.citations,
        )

    @staticmethod
    def _handle_edit(request, cr: ChangeRequest, forms: ProposalForms | RationaleForms) -> int:
        """Save and submit again; the HTTP status to answer with (302: done)."""
        if not forms.is_valid():
            return 400
        if forms.base_version != cr.base_version:
            # The request was rebased in between: the form showed an older proposal.
            forms.errors_without_field.append(
                f"this request was rebased onto version {cr.base_version} after you opened "
                "the form; reload the page to edit the rebased proposal"
            )
            return 409
        try:
            services.revise_and_resubmit(
                cr,
                user=request.user,
                document=forms.to_document(),
                rationale=forms.rationale,
                citations=forms.citations,
            )
        except ValidationFailed as exc:
            forms.add_errors(exc.errors)
            return 400
        except CurationError as exc:
            forms.errors_without_field.append(exc.message)
            return exc.http_status
        return 302

    def review_context(self, request, cr: ChangeRequest) -> dict[str, Any]:
        labels_from = cr.document or cr.base_document
        changes = [
            {
                "label": describe_path(change["path"], labels_from),
                "path": change["path"],
                "old": _display(change["old"]),
                "new": _display(change["new"]),
            }
            for change in diff_documents(cr.base_document, cr.document)
        ]
        check = services.approval_check(cr) if cr.is_open else None
        allowed = [a for a in services.allowed_actions(cr, request.user) if a in ACTION_LABELS]
        citation_titles = dict(
            ev.Citation.objects.filter(slug__in=cr.citations).values_list("slug", "title")
        )
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "original": cr,
            "title": f"Review {cr}",
            "cr": cr,
            "changes": changes,
            "check": check,
            "conflict_fields": [
                describe_path(path, labels_from)
                for path in (check.conflict_fields if check else [])
            ],
            "buttons": [(action, ACTION_LABELS[action]) for action in allowed],
            "can_comment": services.can_propose(request.user) or services.can_review(request.user),
            "citations": [(slug, citation_titles.get(slug, "")) for slug in cr.citations],
            "reviews": cr.reviews.select_related("author"),
            "events": cr.events.all(),
            "record_url": record_url(cr.record_type, cr.record_id),
            "history_url": reverse("admin:curation_changerequest_history", args=[cr.pk]),
            "edit_url": (
                reverse("admin:curation_changerequest_edit", args=[cr.pk])
                if services.refusal("edit", cr, request.user) is None
                else None
            ),
        }
