"""Reads for publishing: snapshots, and the evidence as it stood at an event position.

The evidence is read from the event log (immutable), not from the live read models, so a
build at position P shows exactly the state after event P even while approvals continue, and
a rebuild of an old snapshot reads the same data again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection

from curation.models import Event
from evidence.documents import RECORD_TYPES

from .models import Snapshot


def latest_complete_snapshot() -> Snapshot | None:
    return Snapshot.objects.filter(status=Snapshot.Status.COMPLETE).order_by("-seq").first()


def complete_snapshots():
    return Snapshot.objects.filter(status=Snapshot.Status.COMPLETE).select_related("previous")


def newest_event_position() -> int:
    return Event.objects.order_by("-position").values_list("position", flat=True).first() or 0


def timestamp(value: datetime) -> str:
    """Event times as UTC ISO 8601 with a Z, identical on every database backend."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Version:
    """One approved change of a record: who, when, why, what."""

    position: int
    version: int
    type: str
    change_request: int | None
    proposer: str
    approver: str
    approved_at: str
    rationale: str
    changed_fields: list[str] | None  # None for "created" (every field is new)

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "version": self.version,
            "type": self.type,
            "change_request": self.change_request,
            "proposer": self.proposer,
            "approver": self.approver,
            "approved_at": self.approved_at,
            "rationale": self.rationale,
            "changed_fields": self.changed_fields,
        }


@dataclass(eq=False)  # one object per record in a build: identity is equality (and fast)
class RecordState:
    record_type: str
    id: str
    slug: str
    history: list[Version]
    document: dict[str, Any] | None = None
    current_hash: str = ""  # hash of the event that made the current version

    @property
    def current(self) -> Version:
        return self.history[-1]

    @property
    def version(self) -> int:
        return self.current.version

    @property
    def retracted(self) -> bool:
        return self.current.type == Event.Type.RETRACTED


@dataclass
class EvidenceAsOf:
    """Every live record after event ``position``, with its full history."""

    position: int
    as_of: str | None
    records: dict[str, dict[str, RecordState]] = field(
        default_factory=lambda: {t: {} for t in RECORD_TYPES}
    )

    def get(self, record_type: str, slug: str) -> RecordState | None:
        return self.records[record_type].get(slug)

    def version_of(self, record_type: str, slug: str) -> int:
        record = self.get(record_type, slug)
        return record.version if record else 0


def _versions(position_from: int, position_to: int) -> list[tuple]:
    return list(
        Event.objects.filter(position__gt=position_from, position__lte=position_to)
        .order_by("position")
        .values_list(
            "position",
            "stream_type",
            "stream_id",
            "slug",
            "version",
            "type",
            "change_request_id",
            "proposer__username",
            "approver__username",
            "rationale",
            "recorded_at",
            "hash",
        )
    )


def _changed_paths(position_from: int, position_to: int) -> dict[int, list[str]]:
    """Changed field paths of revisions (creations change everything; not loaded)."""
    rows = Event.objects.filter(
        position__gt=position_from, position__lte=position_to, type=Event.Type.REVISED
    ).values_list("position", "changes")
    return {position: [c["path"] for c in changes] for position, changes in rows}


def documents_at(positions: list[int], chunk: int = 1000) -> dict[int, Any]:
    """Documents of the given events, decoded with orjson (the build's hot path)."""
    found: dict[int, Any] = {}
    cast = "::text" if connection.vendor == "postgresql" else ""
    table = Event._meta.db_table
    for start in range(0, len(positions), chunk):
        part = positions[start : start + chunk]
        placeholders = ", ".join(["%s"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT position, document{cast} FROM {table} "  # noqa: S608 - no user input
                f"WHERE position IN ({placeholders})",
                part,
            )
            for pos, doc in cursor.fetchall():
                found[pos] = orjson.loads(doc) if doc is not None else None
    return found


# Documents of the last build, by event hash. Events never change and a hash names one
# event's content, so a long-lived worker fetches and decodes only what is new since its last
# build. Holds one build's live documents at most (replaced by each build).
_document_cache: dict[str, Any] = {}


def _cached_documents(wanted: list[tuple[int, str]]) -> dict[int, Any]:
    global _document_cache
    missing = [pos for pos, digest in wanted if digest not in _document_cache]
    fetched = documents_at(missing)
    by_hash = {}
    found = {}
    for pos, digest in wanted:
        document = _document_cache[digest] if pos not in fetched else fetched[pos]
        by_hash[digest] = found[pos] = document
    _document_cache = by_hash
    return found


@dataclass(frozen=True)
class LogEntry:
    stream_type: str
    stream_id: uuid.UUID
    slug: str
    hash: str
    version: Version


def _read_log(after: int, upto: int) -> list[LogEntry]:
    changed = _changed_paths(after, upto)
    return [
        LogEntry(
            stream_type,
            stream_id,
            slug,
            digest,
            Version(
                pos, version, type_, cr, proposer, approver, timestamp(at), why, changed.get(pos)
            ),
        )
        for (
            pos,
            stream_type,
            stream_id,
            slug,
            version,
            type_,
            cr,
            proposer,
            approver,
            why,
            at,
            digest,
        ) in _versions(after, upto)
    ]


# The event log as read by the last build. Events never change, so a long-lived worker reads
# only the events appended since; the newest cached event's hash is checked against the
# database first (a different or reset database starts over).
_log: list[LogEntry] = []


def event_log(position: int) -> list[LogEntry]:
    """Every event up to ``position`` (metadata, no documents), in order."""
    global _log
    if _log:
        newest = _log[-1]
        valid = Event.objects.filter(position=newest.version.position, hash=newest.hash).exists()
        if valid and newest.version.position <= position:
            _log = _log + _read_log(newest.version.position, position)
            return _log
        if valid:  # an older position (rebuilding a past snapshot): positions are gapless
            return _log[:position]
    _log = _read_log(0, position)
    return _log


def evidence_as_of(position: int) -> EvidenceAsOf:
    """The evidence after event ``position``: live records, documents and histories."""
    streams: dict[tuple[str, uuid.UUID], RecordState] = {}
    hashes: dict[int, str] = {}
    as_of = None
    for entry in event_log(position):
        key = (entry.stream_type, entry.stream_id)
        state = streams.get(key)
        if state is None:
            state = streams[key] = RecordState(
                entry.stream_type, str(entry.stream_id), entry.slug, []
            )
        state.slug = entry.slug
        state.history.append(entry.version)
        state.current_hash = entry.hash
        hashes[entry.version.position] = entry.hash
        as_of = entry.version.approved_at
    evidence = EvidenceAsOf(position=position, as_of=as_of)
    live = [state for state in streams.values() if not state.retracted]
    documents = _cached_documents(
        [(state.current.position, hashes[state.current.position]) for state in live]
    )
    for state in live:
        state.document = documents[state.current.position]
        evidence.records[state.record_type][state.slug] = state
    for record_type in RECORD_TYPES:
        evidence.records[record_type] = dict(sorted(evidence.records[record_type].items()))
    return evidence


@dataclass
class RecordChange:
    """How one record changed between two positions."""

    record_type: str
    slug: str
    from_version: int
    to_version: int
    kind: str  # created | revised | retracted
    versions: list[Version]
    old_document: dict[str, Any] | None  # loaded for revisions only
    new_document: dict[str, Any] | None


def changes_between(position_from: int, position_to: int) -> list[RecordChange]:
    """Records changed by events in (position_from, position_to], with their net change."""
    rows = _versions(position_from, position_to)
    changed = _changed_paths(position_from, position_to)
    by_stream: dict[tuple[str, uuid.UUID], list[tuple]] = {}
    for row in rows:
        by_stream.setdefault((row[1], row[2]), []).append(row)
    before: dict[tuple[str, uuid.UUID], int] = {}
    if position_from and by_stream:
        prior = (
            Event.objects.filter(
                position__lte=position_from, stream_id__in={key[1] for key in by_stream}
            )
            .order_by("position")
            .values_list("stream_type", "stream_id", "position")
        )
        for stream_type, stream_id, pos in prior:
            before[(stream_type, stream_id)] = pos

    def kind_of(key: tuple[str, uuid.UUID], last: tuple) -> str:
        if last[5] == Event.Type.RETRACTED:
            return "retracted"
        return "revised" if key in before else "created"

    # Documents are needed only to diff revisions (a first snapshot diffs nothing).
    revised = {key for key, events in by_stream.items() if kind_of(key, events[-1]) == "revised"}
    documents = documents_at(
        sorted({before[key] for key in revised} | {by_stream[key][-1][0] for key in revised})
    )
    result = []
    for key, events in by_stream.items():
        first, last = events[0], events[-1]
        kind = kind_of(key, last)
        old = documents.get(before[key]) if key in revised else None
        new = documents.get(last[0]) if key in revised else None
        versions = [
            Version(r[0], r[4], r[5], r[6], r[7], r[8], timestamp(r[10]), r[9], changed.get(r[0]))
            for r in events
        ]
        result.append(
            RecordChange(key[0], last[3], first[4] - 1, last[4], kind, versions, old, new)
        )
    result.sort(key=lambda change: (RECORD_TYPES.index(change.record_type), change.slug))
    return result
