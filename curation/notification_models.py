"""The notification outbox and each person's choices of kinds (``curation.notifications``):
models of the curation app, kept apart from the workflow's."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .models import ChangeRequest


class Notification(models.Model):
    """One e-mail to one person, written in the same transaction as the workflow step it is
    about: the outbox. A Celery task sends it after the commit; the beat sends what is still
    pending (the broker was down, the mail server refused), so a notification is delayed by
    an outage, never lost. Kinds are listed in ``curation.notifications.kinds``."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed", "failed (gave up)"

    kind = models.CharField(max_length=40)
    change_request = models.ForeignKey(
        ChangeRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="What it is about (none for a digest).",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did what it is about.",
    )
    to_address = models.EmailField(help_text="The recipient's address when it was written.")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # A digest is written at most once per person and day (the beat may ask twice).
    dedupe_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


class NotificationPreference(models.Model):
    """A person's choice for one kind of notification; no row means on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"
