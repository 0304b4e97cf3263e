"""Sending the outbox: each pending notification in its own transaction, with its row
locked (another worker skips it), marked sent, or tried again later backing off, and given
up after NOTIFY_MAX_ATTEMPTS."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from ..models import Notification

logger = logging.getLogger(__name__)

BATCH = 200


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def deliver(ids: list[int] | None = None) -> int:
    """Send the pending notifications that are due (only ``ids``, when given). Returns how
    many were sent."""
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now()
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    sent = 0
    for pk in list(due.order_by("id").values_list("pk", flat=True)[:BATCH]):
        sent += _send_one(pk)
    return sent


@transaction.atomic
def _send_one(pk: int) -> int:
    row = (
        Notification.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=Notification.Status.PENDING)
        .first()
    )
    if row is None:
        return 0  # another worker has it, or sent it meanwhile
    message = EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_address],
    )
    row.attempts += 1
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - SMTP, DNS, disk: all mean "try again later"
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            row.status = Notification.Status.FAILED
            logger.error("gave up sending notification %s: %s", row.pk, row.last_error)
        else:
            row.next_attempt_at = timezone.now() + _backoff(row.attempts)
            logger.warning("could not send notification %s: %s", row.pk, row.last_error)
        row.save()
        return 0
    row.status = Notification.Status.SENT
    row.sent_at = timezone.now()
    row.last_error = ""
    row.save()
    return 1
