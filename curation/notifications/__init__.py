"""Notifications by e-mail: an outbox written with the workflow step, sent by a worker.

- ``kinds``: every kind of notification, once (who gets it, subject, template);
- ``outbox``: ``notify(kind, change_request, actor, recipients=None, context=None)``, called
  by the services inside their transaction; the rows are sent after the commit;
- ``delivery``: ``deliver()``, the Celery task's body (and the beat's, for what the broker
  missed or the mail server refused);
- ``preferences``: each person's kinds turned off;
- ``digest``: the daily digest of overdue requests.

Mail texts are ``curation/templates/curation/mail/<kind>.txt``.
"""

from __future__ import annotations

from .delivery import deliver
from .digest import send_overdue_digest
from .kinds import KINDS, Kind
from .outbox import admin_url, held, notify, request_delivery
from .preferences import preferences_of, set_preferences, wants

__all__ = [
    "KINDS",
    "Kind",
    "admin_url",
    "deliver",
    "held",
    "notify",
    "preferences_of",
    "request_delivery",
    "send_overdue_digest",
    "set_preferences",
    "wants",
]
