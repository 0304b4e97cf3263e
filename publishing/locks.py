"""Single-flight publishing across any number of worker processes, held in the database.

- PostgreSQL: a session-level ``pg_try_advisory_lock``; if the worker dies, its connection
  closes and the server releases the lock.
- SQLite (no advisory locks): a lease row in ``PublishLease``, taken in a short IMMEDIATE
  transaction and renewed while the build runs. A dead holder's lease is taken over when it
  expires, or at once if the holder was a process on this host that no longer exists.

Neither holds a transaction open during the build, so approvals keep committing meanwhile.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import PublishLease

# Arbitrary constant naming the publishing lock among PostgreSQL advisory locks ("PUBL").
PUBLISH_LOCK_ID = 0x5055424C
LEASE_NAME = "publish"


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease_seconds() -> float:
    return float(getattr(settings, "PUBLISH_LEASE_SECONDS", 120))


def _holder_is_dead(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: trust the lease's expiry
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lock:
    """A held publishing lock. ``renew()`` keeps a lease alive during long builds."""

    def __init__(self, holder: str):
        self.holder = holder

    def renew(self) -> None:
        """Nothing to renew: an advisory lock lasts as long as its session."""


class Lease(Lock):
    def renew(self) -> None:
        PublishLease.objects.filter(name=LEASE_NAME, holder=self.holder).update(
            expires_at=timezone.now() + timedelta(seconds=_lease_seconds())
        )


@contextmanager
def _advisory_lock(holder: str) -> Iterator[Lock | None]:
    """PostgreSQL: a session-level advisory lock, released by the server if the worker dies."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PUBLISH_LOCK_ID])
        acquired = cursor.fetchone()[0]
    try:
        yield Lock(holder) if acquired else None
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PUBLISH_LOCK_ID])


def _try_lease(holder: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        lease, _ = PublishLease.objects.select_for_update().get_or_create(name=LEASE_NAME)
        taken = lease.holder and lease.expires_at and lease.expires_at > now
        if taken and not _holder_is_dead(lease.holder):
            return False
        lease.holder = holder
        lease.expires_at = now + timedelta(seconds=_lease_seconds())
        lease.save()
        return True


@contextmanager
def _lease(holder: str) -> Iterator[Lock | None]:
    """Any database (SQLite has no advisory locks): a lease row, renewed during the build."""
    acquired = _try_lease(holder)
    try:
        yield Lease(holder) if acquired else None
    finally:
        if acquired:
            PublishLease.objects.filter(name=LEASE_NAME, holder=holder).update(
                holder="", expires_at=None
            )


def publish_lock():
    """Try to take the publishing lock without waiting; yields a Lock, or None if busy."""
    take = _advisory_lock if connection.vendor == "postgresql" else _lease
    return take(holder_id())
