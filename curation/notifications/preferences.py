"""Each person's choice of which kinds of notification they get (all on unless turned off)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..errors import PermissionDenied, ValidationFailed
from ..models import NotificationPreference
from .kinds import KINDS


def preferences_of(user) -> list[dict[str, Any]]:
    """Every kind with its label, who gets it and whether ``user`` gets it."""
    off = set(
        NotificationPreference.objects.filter(user=user, enabled=False).values_list(
            "kind", flat=True
        )
    )
    return [
        {"kind": kind.name, "label": kind.label, "who": kind.who, "enabled": kind.name not in off}
        for kind in KINDS.values()
    ]


def wants(user, kind: str) -> bool:
    return not NotificationPreference.objects.filter(user=user, kind=kind, enabled=False).exists()


def _refusal(user) -> PermissionDenied | None:
    from ..services.policy import takes_part  # the services call notify: import late

    if not (user and user.is_authenticated):
        return PermissionDenied("you must be logged in")
    if not takes_part(user):
        return PermissionDenied("only editors and reviewers get notifications")
    return None


@transaction.atomic
def set_preferences(user, choices: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn kinds on (True) or off (False) for ``user``; an unknown kind or a value that is
    not true or false is refused naming it, and nothing is changed."""
    if (refused := _refusal(user)) is not None:
        raise refused
    errors = []
    if not isinstance(choices, dict) or not choices:
        errors.append({"path": "preferences", "message": "name at least one kind"})
    for kind, enabled in choices.items() if isinstance(choices, dict) else []:
        if kind not in KINDS:
            errors.append(
                {
                    "path": f"preferences.{kind}",
                    "message": f"no notification {kind!r}; the kinds are {', '.join(KINDS)}",
                }
            )
        elif not isinstance(enabled, bool):
            errors.append({"path": f"preferences.{kind}", "message": "must be true or false"})
    if errors:
        raise ValidationFailed(errors, "the notification preferences are invalid")
    for kind, enabled in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"enabled": enabled}
        )
    return preferences_of(user)
