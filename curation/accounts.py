"""Who may log in, and what happens around a login.

One rule, used everywhere an account is let in: in production (``DJANGO_ENV=production``) a
*demo account* may not log in — not through the admin, not for an API token, not with a token
or session it got earlier — and ``manage.py check --deploy`` fails while one exists
(``curation.checks``). A demo account is

- one that ``setup_demo_accounts`` created: it is put in the "Demo accounts" group, a mark
  that survives renaming the user and is only lost when an administrator removes it; or
- one of the demo usernames still having a published demo password (``curation-demo`` or
  ``DEMO_PASSWORD``): that covers databases set up before the group existed.

Also here: revoking a user's API tokens when their password changes, and the answer to a
login locked out by django-axes.
"""

from __future__ import annotations

import math
from functools import lru_cache

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

DEMO_GROUP = "Demo accounts"
DEMO_USERNAMES = ("editor", "reviewer", "reviewer2", "admin")
PUBLISHED_DEMO_PASSWORD = "curation-demo"  # noqa: S105 - it is in the README: that is the point


def demo_passwords() -> frozenset[str]:
    return frozenset({PUBLISHED_DEMO_PASSWORD, settings.DEMO_PASSWORD})


@lru_cache(maxsize=1024)
def _is_demo_hash(encoded: str, passwords: frozenset[str]) -> bool:
    # Cached by the stored hash (salted, so unique per password set): a session request of a
    # user named "admin" must not pay a password hash every time.
    return any(check_password(password, encoded) for password in passwords)


def is_demo_account(user) -> bool:
    if user.groups.filter(name=DEMO_GROUP).exists():
        return True
    return user.get_username() in DEMO_USERNAMES and _is_demo_hash(user.password, demo_passwords())


def refused_in_production(user) -> bool:
    """The rule: in production, demo accounts are refused wherever one logs in."""
    return settings.PRODUCTION and is_demo_account(user)


def demo_accounts() -> list[str]:
    """Usernames of every demo account in the database (whatever the environment)."""
    candidates = (
        get_user_model()
        .objects.filter(Q(groups__name=DEMO_GROUP) | Q(username__in=DEMO_USERNAMES))
        .distinct()
        .order_by("username")
    )
    return [user.get_username() for user in candidates if is_demo_account(user)]


class AccountBackend(ModelBackend):
    """Django's backend plus the rule. ``user_can_authenticate`` is asked both at login and
    when a session's user is loaded, so a session opened before the switch is refused too."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not refused_in_production(user)


# --- Tokens die with the password ------------------------------------------------------------


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="curation_note_password")
def _note_password_change(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. the last_login update of every login
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    changed = old is not None and old != instance.password
    # A new hash of the same password (a hasher upgrade at login) is not a change.
    raw_password = getattr(instance, "_password", None)
    if changed and raw_password is not None and check_password(raw_password, old):
        changed = False
    instance._password_was_changed = changed


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="curation_revoke_tokens")
def _revoke_tokens_after_password_change(sender, instance, **kwargs):
    if getattr(instance, "_password_was_changed", False):
        instance._password_was_changed = False
        instance.auth_token_set.all().delete()


# --- The answer to a locked-out login (django-axes' AXES_LOCKOUT_CALLABLE) ------------------


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    from axes.helpers import get_cool_off, get_lockout_message

    cool_off = get_cool_off(request)
    retry_after = str(math.ceil(cool_off.total_seconds())) if cool_off else None
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        from curation.api.exceptions import error_body

        body = error_body(
            "locked_out",
            "too many failed logins for this username from this address; "
            + (
                f"try again in {retry_after} seconds"
                if retry_after
                else "ask an administrator to unlock it"
            ),
        )
        response = JsonResponse(body, status=status)
    else:
        context = {
            **admin.site.each_context(request),
            "title": "Login locked",
            "message": get_lockout_message(),
            "cool_off_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
        }
        response = render(request, "curation/locked_out.html", context, status=status)
    if retry_after:
        response["Retry-After"] = retry_after
    return response
