"""Change requests in the admin: the review queue, the review page and the edit page.

Change requests are never edited through a model form. Their page is the review page: the
field-by-field diff, the conflict check, the discussion, and only the buttons the workflow
allows this user (``services.ACTIONS``). The author answers "Request changes" on the edit
page, which shows the proposal's forms; saving submits it again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from evidence import models as ev
from evidence.diff import describe_path, flatten, labelled_changes

from .. import selectors, services
from ..errors import CurationError, ValidationFailed, VersionConflict
from ..imports.provenance import imported_source, source_beside
from ..models import ChangeRequest
from ..narratives import narrative_warnings
from ..request_history import with_documents
from . import desk
from .citation_imports import import_citations_view
from .diff_values import labelled, registry_id_text, value_labels
from .discussion import DISCUSSION_ACTIONS, UnresolvedCommentsFilter, discuss, threads_beside
from .forms import ProposalForms, RationaleForms
from .guards import ReadOnlyHistoryAdmin, refused
from .imports import import_ctgov_view
from .links import record_url


def _display(value: Any) -> str:
    """A value of the diff as the review page shows it (lists of item ids without "key=")."""
    if value is None or value == [] or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(_display(v).removeprefix("key=").removeprefix("arm=") for v in value)
    if isinstance(value, dict) and {"registry", "id"} <= value.keys():
        text = registry_id_text(value.get("registry"), value.get("id"))
        return f"{text} (editorial)" if value.get("editorial") else text
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_display(v)}" for k, v in value.items())
    return str(value)


def _imported_id(imported) -> str:
    """The imported record's registry and id for the review page ("ClinicalTrials.gov
    NCT00114101", "ISRCTN49407852": never the registry's name twice)."""
    if not imported:
        return ""
    registry, ident = imported.source.registry, imported.source.registry_id
    if registry == "NCT":
        return f"ClinicalTrials.gov {ident}"
    return registry_id_text(registry, ident)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyHistoryAdmin):
    # The state first (status, conflict, how long it waits, who has it), so that it stays in
    # view at 1,280 px beside the filters; the request's name already says action, type and slug.
    list_display = ("__str__", "state", "waiting", "due", "claimed_by", "unresolved", "author")
    list_filter = (
        desk.StatusFilter,
        "record_type",
        "author",
        desk.AgeFilter,
        desk.OverdueFilter,
        desk.ClaimFilter,
        "needs_rebase",
        UnresolvedCommentsFilter,
    )
    search_fields = ("record_slug",)
    list_select_related = ("author", "claimed_by")
    ordering = ("submitted_at", "id")
    actions = ["approve_selected"]

    @admin.action(description="Approve the selected change requests")
    def approve_selected(self, request, queryset) -> None:
        """One action for a reviewed batch (an import): every request checked as its own
        approval is, all approved or none, oldest first."""
        ids = list(queryset.order_by("submitted_at", "id").values_list("id", flat=True))
        try:
            events = services.approve_change_requests(request.user, ids)
        except CurationError as exc:
            self.message_user(request, f"Nothing was approved: {exc.message}", messages.ERROR)
            return
        self.message_user(request, f"Approved {len(events)} change requests.", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False  # proposals start from the record's page

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # never edited through a model form; transitions are buttons

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return selectors.with_unresolved_comments(super().get_queryset(request))

    def set_history_delta_changes(self, request, historical_records, *args, **kwargs):
        # An approval's row shows the documents it left as they were (``request_history``):
        # the History page lists the same versions and changes as when every row kept them.
        with_documents(historical_records)
        super().set_history_delta_changes(request, historical_records, *args, **kwargs)

    @admin.display(description="unresolved comments", ordering="unresolved_comments")
    def unresolved(self, obj) -> int | str:
        return obj.unresolved_comments or ""

    @admin.display(description="state", ordering="status")
    def state(self, obj) -> str:
        """The status, and "needs rebase" in words when the record moved on under it."""
        status = obj.get_status_display()
        return format_html(
            "{}{}",
            status,
            mark_safe(' <strong class="needs-rebase">⚠ needs rebase</strong>')
            if obj.needs_rebase and obj.is_open
            else "",
        )

    @admin.display(description="waiting")
    def waiting(self, obj) -> str:
        if not obj.submitted_at or not obj.is_open:
            return ""
        days = (timezone.now() - obj.submitted_at).days
        return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''}"

    @admin.display(description="due")
    def due(self, obj) -> str:
        return desk.due_column(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cr = self.get_object(request, unquote(object_id))
        if cr is None:
            raise Http404(f"no change request {object_id}")
        if not self.has_view_permission(request, cr):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            name = request.POST.get("action", "")
            comment = request.POST.get("comment", "")
            action = services.ACTIONS.get(name)
            try:
                if name in DISCUSSION_ACTIONS:
                    done = discuss(request, cr, name)
                # "edit" needs a whole proposal, not a comment: it has its own page (edit_view).
                elif action is None or not action.one_step:
                    messages.error(request, f"unknown action {name!r}")
                    status = 400
                    done = None
                else:
                    action.execute(cr, request.user, comment)
                    done = action.done
            except CurationError as exc:
                messages.error(request, f"Not done: {exc.message}")
                status = exc.http_status
            else:
                if done:
                    messages.success(request, done)
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
        import_ctgov = path(
            "import-ctgov/",
            self.admin_site.admin_view(lambda request: import_ctgov_view(request, self.admin_site)),
            name="curation_changerequest_import_ctgov",
        )
        claim = path(
            "<path:object_id>/claim/",
            self.admin_site.admin_view(desk.claim_view),
            name="curation_changerequest_claim",
        )
        import_citations = path(
            "import-citations/",
            self.admin_site.admin_view(
                lambda request: import_citations_view(request, self.admin_site)
            ),
            name="curation_changerequest_import_citations",
        )
        return [edit, import_ctgov, import_citations, claim, *super().get_urls()]

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
                reviewer_note=cr.reviewer_note,
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
            reviewer_note=cr.reviewer_note,
        )

    @staticmethod
    def _handle_edit(request, cr: ChangeRequest, forms: ProposalForms | RationaleForms) -> int:
        """Save and submit again; the HTTP status to answer with (302: done)."""
        if not forms.is_valid():
            forms.add_document_errors(services.document_errors)
            return 400
        try:
            services.revise_and_resubmit(
                cr,
                user=request.user,
                document=forms.to_document(),
                rationale=forms.rationale,
                citations=forms.citations,
                reviewer_note=forms.reviewer_note,
                expected_base_version=forms.base_version,
            )
        except ValidationFailed as exc:
            forms.add_errors(exc.errors)
            return 400
        except VersionConflict as exc:
            # The services refuse it (the request was rebased in between: the form showed an
            # older proposal); the page says what to do about it in the admin's words.
            forms.errors_without_field.append(
                f"this request was rebased onto version {cr.base_version} after you opened "
                "the form; reload the page to edit the rebased proposal"
            )
            return exc.http_status
        except CurationError as exc:
            forms.errors_without_field.append(exc.message)
            return exc.http_status
        return 302

    def review_context(self, request, cr: ChangeRequest) -> dict[str, Any]:
        labels_from = cr.document or cr.base_document
        # An open request shows each field's value in the record as it is now (which may
        # have moved on since the request's base version); a decided one what it was before.
        current = flatten(selectors.current_document(cr) or {}) if cr.is_open else None
        changes = [
            {
                **change,
                "old": _display(
                    labelled(
                        change["old"] if current is None else current.get(change["path"]),
                        value_labels(cr.record_type, change["path"]),
                    )
                ),
                "new": _display(
                    labelled(change["new"], value_labels(cr.record_type, change["path"]))
                ),
            }
            for change in labelled_changes(cr.base_document, cr.document)
        ]
        # An imported request: the registry's value beside each proposed one.
        beside = source_beside(cr, [change["path"] for change in changes])
        for change in changes:
            change["source"] = (beside or {}).get(change["path"])
        discussion = threads_beside(cr, changes, request.user)
        for change in changes:
            change["threads"] = discussion["by_row"].get(change["path"], [])
        check = services.approval_check(cr) if cr.is_open else None
        citation_titles = selectors.citation_titles(cr.citations)
        opts = self.model._meta
        return {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "original": cr,
            "title": f"Review {cr}",
            "cr": cr,
            "changes": changes,
            "columns": ("Current", "Proposed") if cr.is_open else ("Before", "After"),
            "check": check,
            "conflict_fields": [
                describe_path(path, labels_from)
                for path in (check.conflict_fields if check else [])
            ],
            "buttons": [
                (name, services.ACTIONS[name].label)
                for name in services.allowed_actions(cr, request.user)
                if services.ACTIONS[name].button
            ],
            "can_comment": services.takes_part(request.user),
            "claim": desk.claim_context(cr, request.user),
            "citations": [(slug, citation_titles.get(slug, "")) for slug in cr.citations],
            "reviews": selectors.reviews_of(cr),
            "discussion": discussion,
            "narrative_warnings": narrative_warnings(cr) if cr.is_open else [],
            "imported": imported_source(cr),
            "imported_id": _imported_id(imported_source(cr)),
            "shows_sources": beside is not None,
            "events": cr.events.all(),
            "record_url": record_url(cr.record_type, cr.record_id),
            "history_url": reverse("admin:curation_changerequest_history", args=[cr.pk]),
            "edit_url": (
                reverse("admin:curation_changerequest_edit", args=[cr.pk])
                if services.refusal("edit", cr, request.user) is None
                else None
            ),
        }
