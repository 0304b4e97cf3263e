"""The reviewer's desk in the admin: claiming on the review page, the queue's filters
(status, waiting, overdue, claim), each person's notification settings, and the outbox
(superusers)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from .. import desk_selectors, notifications, services
from ..errors import CurationError
from ..models import ChangeRequest, Notification
from ..services.policy import claim_refusal, unclaim_refusal
from .guards import ReadOnlyModelAdmin, SuperusersOnly, refused, valid_id

# --- The queue ------------------------------------------------------------------------------


class ClaimFilter(admin.SimpleListFilter):
    title = "in review by"
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("nobody", "Nobody (unclaimed)"), ("others", "Someone else")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(claimed_by=request.user)
        if self.value() == "nobody":
            return queryset.filter(claimed_by__isnull=True)
        if self.value() == "others":
            return queryset.filter(claimed_by__isnull=False).exclude(claimed_by=request.user)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return desk_selectors.filter_overdue(queryset, self.value() == "yes")
        return queryset


def due_column(obj: ChangeRequest) -> str:
    """The due date, flagged when it has passed."""
    if obj.due_at is None:
        return ""
    due = timezone.localtime(obj.due_at).strftime("%Y-%m-%d")
    return f"OVERDUE (due {due})" if obj.is_overdue else due


# --- Claiming on the review page ------------------------------------------------------------

CLAIM_STEPS = {"claim": "Claimed: it is in review by you.", "unclaim": "Claim given up."}


def claim_context(cr: ChangeRequest, user) -> dict:
    """What the review page's claim box shows and offers this user."""
    return {
        "claimed_by": cr.claimed_by,
        "claimed_at": cr.claimed_at,
        "due_at": cr.due_at,
        "overdue": cr.is_overdue,
        "can_claim": cr.claimed_by_id is None and claim_refusal(cr, user) is None,
        "can_take_over": (
            cr.claimed_by_id not in (None, user.pk) and claim_refusal(cr, user, True) is None
        ),
        "can_unclaim": unclaim_refusal(cr, user) is None,
        "url": reverse("admin:curation_changerequest_claim", args=[cr.pk]),
    }


def claim_view(request, object_id):
    """POST claim, take_over or unclaim, then back to the review page with what happened."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not valid_id(ChangeRequest._meta.pk, object_id):
        raise Http404(f"no change request {object_id!r}")
    pk = int(unquote(object_id))
    step = request.POST.get("claim", "")
    try:
        if step == "claim":
            services.claim(pk, user=request.user)
        elif step == "take_over":
            services.claim(pk, user=request.user, take_over=True)
        elif step == "unclaim":
            services.unclaim(pk, user=request.user)
        else:
            return refused(request, f"unknown claim step {step[:30]!r}", status=400)
    except CurationError as exc:
        return refused(request, exc.message, status=exc.http_status)
    done = "Taken over: it is in review by you." if step == "take_over" else CLAIM_STEPS[step]
    messages.success(request, done)
    return HttpResponseRedirect(reverse("admin:curation_changerequest_change", args=[pk]))


# --- Notification settings and the outbox ---------------------------------------------------


class PreferencesForm(forms.Form):
    """One checkbox per kind of notification, labelled with the kind and who gets it."""

    def __init__(self, preferences: list[dict], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for preference in preferences:
            self.fields[preference["kind"]] = forms.BooleanField(
                required=False,
                initial=preference["enabled"],
                label=preference["label"],
                help_text=f"Sent to {preference['who']}.",
            )


@admin.register(Notification)
class NotificationAdmin(SuperusersOnly, ReadOnlyModelAdmin):
    """The outbox, for administrators: what was sent, what waits, what failed and why."""

    list_display = ("id", "kind", "recipient", "to_address", "status", "attempts", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("to_address", "subject")
    list_select_related = ("recipient",)

    def get_urls(self):
        preferences = path(
            "preferences/",
            self.admin_site.admin_view(self.preferences_view),
            name="notification-preferences",
        )
        return [preferences, *super().get_urls()]

    def preferences_view(self, request):
        """Anyone who takes part (editors, reviewers) turns their own notifications on or off."""
        if not services.takes_part(request.user):
            return refused(request, "only editors and reviewers get notifications")
        status = 200
        current = notifications.preferences_of(request.user)
        form = PreferencesForm(current, data=request.POST if request.method == "POST" else None)
        if request.method == "POST":
            unknown = set(request.POST) - {*form.fields, "csrfmiddlewaretoken"}
            if unknown:
                form.errors.setdefault("__all__", form.error_class()).append(
                    f"no notification {sorted(unknown)[0][:40]!r}"
                )
                status = 400
            elif form.is_valid():
                notifications.set_preferences(request.user, dict(form.cleaned_data))
                messages.success(request, "Your notification settings are saved.")
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": "Your notifications",
            "form": form,
            "address": request.user.email,
        }
        return TemplateResponse(
            request, "admin/curation/notification_preferences.html", context, status=status
        )


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
