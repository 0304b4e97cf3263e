"""The peer: pyeventsourcing (the ``eventsourcing`` package, optional dependency group
``bench``) on the same PostgreSQL database, and the floor: the same append written by hand.

``Peer`` keeps one aggregate per trial holding the trial's document, as our event store keeps
one stream per record, with its events in pyeventsourcing's own tables; ``Floor`` appends to
our events table with the statements an append needs and nothing else (lock, version, head,
insert, commit) on a plain psycopg connection, hashing exactly as ``eventstore.append`` does.
"""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import urlsplit

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # pragma: no cover - the bench group is not installed
    Application = None


def available() -> bool:
    return Application is not None


def _env() -> dict[str, str]:
    url = urlsplit(os.environ["DATABASE_URL"])
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_POOL_SIZE": "2",
    }


if Application is not None:

    class TrialRecord(Aggregate):
        @event("Created")
        def __init__(self, document: dict[str, Any]):
            self.document = document

        @event("Revised")
        def revise(self, document: dict[str, Any]) -> None:
            self.document = document

    class EvidenceApp(Application):
        name = "BenchEvidence"


class Peer:
    def __init__(self) -> None:
        self.app = EvidenceApp(env=_env())
        self.ids: dict[str, uuid.UUID] = {}
        self.held: dict[str, Any] = {}

    def load(self, documents: dict[str, dict], revisions: int, batch: int = 250) -> int:
        """One aggregate per document, then ``revisions`` revisions spread over them: the
        same number of events as our log. Saved ``batch`` aggregates per transaction."""
        slugs = sorted(documents)
        pending: dict[str, Any] = {}
        count = 0

        def flush() -> None:
            self.app.save(*pending.values())
            self.held.update(pending)
            pending.clear()

        for slug in slugs:
            aggregate = TrialRecord(documents[slug])
            self.ids[slug] = aggregate.id
            pending[slug] = aggregate
            count += 1
            if len(pending) >= batch:
                flush()
        flush()
        for n in range(revisions):
            slug = slugs[n % len(slugs)]
            aggregate = pending.get(slug) or self.held[slug]
            aggregate.revise({**documents[slug], "summary": f"Synthetic revision {n}"})
            pending[slug] = aggregate
            count += 1
            if len(pending) >= batch or n % batch == batch - 1:
                flush()
        flush()
        return count

    def fill(self, documents: dict[str, dict], count: int) -> None:
        """``count`` more revisions of the aggregates held, spread over them."""
        slugs = sorted(documents)
        pending: dict = {}
        for n in range(count):
            slug = slugs[n % len(slugs)]
            aggregate = pending.get(slug) or self.held[slug]
            aggregate.revise({**documents[slug], "summary": f"Peer revision {n}"})
            pending[slug] = aggregate
            # At most a few hundred events per save: one save of thousands stalls its pipeline.
            if len(pending) >= 250 or n % 250 == 249:
                self.app.save(*pending.values())
                pending.clear()
        if pending:
            self.app.save(*pending.values())

    def read_modify_save(self, slug: str, document: dict) -> None:
        aggregate = self.app.repository.get(self.ids[slug])
        aggregate.revise(document)
        self.app.save(aggregate)
        self.held[slug] = aggregate

    def save(self, slug: str, document: dict) -> None:
        """An append: one new event of an aggregate in hand, one transaction."""
        aggregate = self.held[slug]
        aggregate.revise(document)
        self.app.save(aggregate)

    def read_log(self, chunk: int = 1000) -> int:
        """select_notifications over the whole log, each decoded into its domain event."""
        recorder, mapper = self.app.recorder, self.app.mapper
        start, count = 1, 0
        while notifications := recorder.select_notifications(start, chunk):
            for notification in notifications:
                mapper.to_domain_event(notification)
            count += len(notifications)
            start = notifications[-1].id + 1
        return count

    def close(self) -> None:
        self.app.close()


class Floor:
    """Our append, written by hand on a plain psycopg connection."""

    def __init__(self) -> None:
        import psycopg

        from curation.eventstore.recorders import POSTGRES, TABLE

        self.conn = psycopg.connect(os.environ["DATABASE_URL"])
        self.table, self.lock_id = TABLE, POSTGRES.APPEND_LOCK_ID

    def append(self, new, expected_version: int) -> None:
        from django.utils import timezone
        from psycopg.types.json import Jsonb

        from curation.eventstore import event_hash, hashed_fields
        from curation.models import Event

        t = self.table
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [self.lock_id])
            cur.execute(
                f"SELECT COALESCE(MAX(version), 0) FROM {t} WHERE stream_type = %s "
                "AND stream_id = %s",
                [new.stream_type, new.stream_id],
            )
            version = cur.fetchone()[0]
            if version != expected_version:
                raise RuntimeError("stale version")
            cur.execute(f"SELECT position, hash FROM {t} ORDER BY position DESC LIMIT 1")
            position, prev = cur.fetchone()
            event = Event(
                position=position + 1,
                stream_type=new.stream_type,
                stream_id=new.stream_id,
                slug=new.slug,
                version=version + 1,
                type=new.type,
                document=new.document,
                changes=new.changes,
                change_request_id=None,
                proposer_id=new.proposer_id,
                approver_id=new.approver_id,
                rationale=new.rationale,
                recorded_at=timezone.now(),
            )
            digest = event_hash(hashed_fields(event), prev)
            cur.execute(
                f"INSERT INTO {t} (position, stream_type, stream_id, slug, version, type, "
                "document, changes, change_request_id, proposer_id, approver_id, rationale, "
                "recorded_at, prev_hash, hash) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s)",
                [
                    event.position,
                    event.stream_type,
                    event.stream_id,
                    event.slug,
                    event.version,
                    event.type,
                    Jsonb(event.document),
                    Jsonb(event.changes),
                    event.proposer_id,
                    event.approver_id,
                    event.rationale,
                    event.recorded_at,
                    prev,
                    digest,
                ],
            )

    def close(self) -> None:
        self.conn.close()
