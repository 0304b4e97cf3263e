"""Reads for publishing: snapshots, and the evidence as it stood at an event position.

The evidence is read from the event log (immutable), not from the live read models, so a
build at position P shows exactly the state after event P even while approvals continue, and
a rebuild of an old snapshot reads the same data again.
"""

from __future__ import annotations

import sys
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from curation import eventstore
from curation.models import Event
from evidence.documents import record_types

from .models import Snapshot
from .spill import Spill, size_of


def latest_complete_snapshot() -> Snapshot | None:
    return Snapshot.objects.filter(status=Snapshot.Status.COMPLETE).order_by("-seq").first()


def complete_snapshots():
    return Snapshot.objects.filter(status=Snapshot.Status.COMPLETE).select_related("previous")


def timestamp(value: datetime) -> str:
    """Event times as UTC ISO 8601 with a Z, identical on every database backend."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)  # one per event, kept by a worker for every record: no __dict__
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


# Records' documents are kept packed (compressed compact JSON) in a file on disk (``Spill``), a
# record state holding only its handle: a build holds every live record's state, and the
# documents as dicts took seven times the memory of packed bytes (about 11 KB for a 3 KB trial
# document), which were still 150 MB at 100,000 trials. The last documents read are kept
# decoded (pages read the same topics and citations again and again); a document is never
# changed once written.
DECODED_DOCUMENTS = 1024


class DocumentSpill:
    """The spill file new documents are written to. Each state names the file its document
    is in (kept open while any state names it): when most of the current file is dead (old
    versions of revised records), the worker's kept states are copied to a new one
    (``LogCache.compact_documents``), and the old one is closed once no state names it."""

    def __init__(self) -> None:
        self.current = Spill()

    def put(self, document: dict[str, Any]) -> tuple[Spill, int]:
        return self.current, self.current.put(zlib.compress(orjson.dumps(document), 1))


DOCUMENTS = DocumentSpill()
# A spill file is compacted once it has grown by this much more than twice its size at the
# last check, and most of it is dead (``LogCache.compact_documents``).
DEAD_DOCUMENTS = 64 << 20


@lru_cache(maxsize=DECODED_DOCUMENTS)
def _unpack(spill: Spill, handle: int) -> dict[str, Any]:
    return orjson.loads(zlib.decompress(spill.get(handle)))


class RecordState:
    """One record as of a position: its history, the hash of the event behind its current
    version, and its current document (kept spilled, decoded when read)."""

    __slots__ = ("record_type", "id", "slug", "history", "spill", "packed", "current_hash")
    # One object per record in a build: identity is equality (and fast), as before.

    def __init__(
        self,
        record_type: str,
        id: str,  # noqa: A002 - the record's id, as published
        slug: str,
        history: list[Version],
        document: dict[str, Any] | None = None,
        current_hash: str = "",  # hash of the event that made the current version
    ):
        self.record_type = record_type
        self.id = id
        self.slug = slug
        self.history = history
        self.document = document
        self.current_hash = current_hash

    @property
    def document(self) -> dict[str, Any] | None:
        packed = self.packed
        return None if packed is None else _unpack(self.spill, packed)

    @document.setter
    def document(self, document: dict[str, Any] | None) -> None:
        if document is None:
            self.spill, self.packed = None, None
        else:
            self.spill, self.packed = DOCUMENTS.put(document)

    def __repr__(self) -> str:
        return f"RecordState({self.record_type!r}, {self.slug!r}, version={self.version})"

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
        default_factory=lambda: {t: {} for t in record_types.names()}
    )

    def get(self, record_type: str, slug: str) -> RecordState | None:
        return self.records[record_type].get(slug)

    def version_of(self, record_type: str, slug: str) -> int:
        record = self.get(record_type, slug)
        return record.version if record else 0


def _intern(value: Any) -> Any:
    return sys.intern(value) if type(value) is str else value


def logged_version(event: eventstore.LoggedEvent, changed: dict[int, list[str]]) -> Version:
    # Interned: a worker keeps every event's version, and these few names (and the rationales
    # of imports) repeat across thousands of events.
    return Version(
        event.position,
        event.version,
        _intern(event.type),
        event.change_request_id,
        _intern(event.proposer),
        _intern(event.approver),
        timestamp(event.recorded_at),
        _intern(event.rationale),
        changed.get(event.position),
    )


class LogCache:
    """What the last build of this process read, kept for the next one.

    Events never change, so a long-lived worker reads only the events appended since its last
    build (the newest kept event's hash is checked against the database first: a different
    or reset database starts over), and keeps every record's state (history, current
    document) as of its last build: the next build applies only the events appended since,
    and fetches only the documents they wrote.

    Of the log itself it keeps, for each event, only the state the event wrote (``writers``,
    a pointer each): the event's version is in that state's history, and its hash matters
    only while it is the record's current one. An entry per event (its stream's UUID, slug
    and hash beside the version) was 40 MB of a build at 100,000 trials.
    """

    def __init__(self) -> None:
        self.streams: dict[str, RecordState] = {}  # by stream id
        self.writers: list[RecordState] = []  # the state the event at position i + 1 wrote
        self.newest_hash = ""  # the hash of the event at position len(writers)
        # The live records of ``streams`` by type, each type's in slug order (None: not made).
        self.live: dict[str, dict[str, RecordState]] | None = None
        self.spilled = 0  # the document spill's size when last checked for compaction

    @property
    def position(self) -> int:
        """The position ``streams`` is the state after."""
        return len(self.writers)

    def follows_log(self) -> bool:
        """Whether the kept states are of this database's log: its event at the newest kept
        position is the one read then (events are never changed)."""
        return not self.writers or (
            Event.objects.filter(position=self.position, hash=self.newest_hash).exists()
        )

    def reset(self) -> None:
        self.streams, self.writers, self.newest_hash, self.live = {}, [], "", None

    def read_until(self, position: int) -> list[RecordState]:
        """Apply the events after the kept position up to ``position``; the states they wrote."""
        start = len(self.writers)
        last = _apply(self.streams, self.position, position, self.writers)
        if last is not None:
            self.newest_hash = last.current_hash
        return self.writers[start:]

    def compact_documents(self) -> None:
        """Copy the kept states' documents to a new spill file when most of the current one
        is dead (checked once the file has doubled since the last check); the old file is
        closed once no state names it."""
        spill = DOCUMENTS.current
        if spill.end <= 2 * self.spilled + DEAD_DOCUMENTS:
            return
        kept = [state for state in self.streams.values() if state.packed is not None]
        if spill.end > 2 * sum(size_of(state.packed) for state in kept) + DEAD_DOCUMENTS:
            new = DOCUMENTS.current = Spill()
            for state in kept:
                state.spill, state.packed = new, new.put(state.spill.get(state.packed))
        self.spilled = DOCUMENTS.current.end


CACHE = LogCache()


def _apply(
    streams: dict[str, RecordState],
    after: int,
    upto: int,
    writers: list[RecordState] | None = None,
) -> RecordState | None:
    """Apply the log's events in (after, upto] to the states ``streams`` (by stream id),
    noting in ``writers`` the state each event wrote; the last event's state (None: none)."""
    changed = eventstore.changed_paths(after, upto)
    state = None
    for event in eventstore.iter_notifications(after, upto):
        stream_id = str(event.stream_id)
        state = streams.get(stream_id)
        if state is None:
            state = streams[stream_id] = RecordState(event.stream_type, stream_id, event.slug, [])
        state.history.append(logged_version(event, changed))
        state.current_hash = event.hash
        state.document = None  # the document of this version: fetched below, if live
        if writers is not None:
            writers.append(state)
    return state


def evidence_as_of(position: int) -> EvidenceAsOf:
    """The evidence after event ``position``: live records, documents and histories.

    At or after the position of this process's last call, only the events in between are
    applied to the records' states kept from it (each record's state is exactly what applying
    its whole history gives: tested against a cold process); an older position is computed
    from the whole log, leaving the kept states alone.
    """
    if not CACHE.follows_log():
        CACHE.reset()
    if position < CACHE.position:  # an older snapshot's: from the log, the kept states kept
        streams: dict[str, RecordState] = {}
        last = _apply(streams, 0, position)
        return _evidence(position, streams.values(), last)
    written = CACHE.read_until(position)
    last = CACHE.writers[-1] if CACHE.writers else None
    if CACHE.live is None:
        evidence = _evidence(position, CACHE.streams.values(), last)
        CACHE.live = {name: dict(records) for name, records in evidence.records.items()}
    else:
        _fetch_documents([state for state in set(written) if not state.retracted])
        _update_live(CACHE.live, set(written))
        # Copies (cheap: pointers), so that an evidence object never changes under its user.
        evidence = EvidenceAsOf(position=position, as_of=_approved_at(last))
        evidence.records = {name: dict(records) for name, records in CACHE.live.items()}
    CACHE.compact_documents()
    return evidence


def _approved_at(last: RecordState | None) -> str | None:
    """When the log's last event was approved, given the state it wrote (None: no event)."""
    return last.current.approved_at if last is not None else None


def _evidence(position: int, states, last: RecordState | None) -> EvidenceAsOf:
    """The evidence of the record ``states`` as of ``position``; ``last``: the state the
    event at ``position`` wrote."""
    evidence = EvidenceAsOf(position=position, as_of=_approved_at(last))
    live = [state for state in states if not state.retracted]
    _fetch_documents(live)
    for state in sorted(live, key=lambda state: state.slug):
        evidence.records[state.record_type][state.slug] = state
    return evidence


# Documents are read (and packed) this many at a time: the rows' text and the decoded dicts
# of one batch are all a build ever holds of them at once. Small: the decoded dicts' many
# small blocks share allocator arenas with the packed states kept, which pins the arenas
# after the dicts are gone (10,000 trials: the load's peak was 153 MB with 1,000 at a time,
# 121 MB with 100, in no more time).
DOCUMENT_BATCH = 100


def _fetch_documents(live: list[RecordState]) -> None:
    missing = [state for state in live if state.packed is None]
    for start in range(0, len(missing), DOCUMENT_BATCH):
        batch = missing[start : start + DOCUMENT_BATCH]
        documents = eventstore.documents_at([state.current.position for state in batch])
        for state in batch:
            state.document = documents[state.current.position]


def _update_live(live: dict[str, dict[str, RecordState]], touched: set[RecordState]) -> None:
    """Bring the kept live records up to date with the streams ``touched`` since: a record
    retracted leaves, a new one is put in its place in slug order. (A stream's slug never
    changes: services refuse it.)"""
    unsorted: set[str] = set()
    for state in sorted(touched, key=lambda state: not state.retracted):  # leaving first
        records = live[state.record_type]
        if state.retracted:
            if records.get(state.slug) is state:
                del records[state.slug]
            continue
        if state.slug not in records:
            unsorted.add(state.record_type)
        records[state.slug] = state
    for name in unsorted:
        live[name] = dict(sorted(live[name].items()))


def touched_records(after: int, upto: int) -> set[tuple[str, str]]:
    """(record type, slug) of every record an event in (after, upto] wrote: created, revised
    or retracted (the log is read from this process's cache when it holds those events)."""
    writers = CACHE.writers
    if len(writers) >= upto:
        return {(state.record_type, state.slug) for state in writers[after:upto]}
    return {
        (event.stream_type, event.slug) for event in eventstore.select_notifications(after, upto)
    }
