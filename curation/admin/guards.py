"""Guards every admin page has, ours or another app's: bad input is a 400 or a 404 with a
reason (never a query failing with a 500), accounts are for superusers only, and rows the
services write (history versions, events, snapshots) are read-only.

``harden_admin_site`` (called from ``CurationConfig.ready`` once every admin is registered)
mixes the guards into every registered ModelAdmin that lacks them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin


def refused(request, reason: str, status: int = 403) -> TemplateResponse:
    """A refusal page naming the reason; nothing was changed."""
    context = {**admin.site.each_context(request), "title": "Not allowed", "reason": reason}
    return TemplateResponse(request, "admin/curation/refused.html", context, status=status)


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


class ReadOnlyModelAdmin(AdminGuard, admin.ModelAdmin):
    """Rows written only by the services (events, snapshots): shown, never edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
