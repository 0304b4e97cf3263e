"""The append-only event store.

Appends are serialised so that positions are gapless and in commit order and the hash chain
stays linear (PostgreSQL: a transaction-scoped advisory lock taken before reading the chain's
head; SQLite: every transaction starts with BEGIN IMMEDIATE, see settings). The database
refuses UPDATE and DELETE on events (triggers, see the migrations).

- ``store``: ``append`` and ``Batch``, under the append lock;
- ``heads``: where the log and a stream stand (the reads an append relies on);
- ``reading``: one stream (``select_events``), the whole log (``select_notifications``;
  ``iter_notifications`` a chunk at a time),
  documents by position (``documents_at``);
- ``recorders``: what differs between PostgreSQL and SQLite, one recorder each;
- ``hashing`` and ``verify``: the hash chain and its check.
"""

from .hashing import GENESIS_HASH, canonical_json, event_hash, hashed_fields
from .heads import (
    StreamHead,
    current_version,
    head,
    head_from_row,
    head_query,
    last_position,
    stream_head,
)
from .reading import (
    LoggedEvent,
    RecordedEvent,
    StoredEvent,
    as_utc,
    changed_paths,
    changed_paths_at,
    documents_at,
    events_at,
    iter_events,
    iter_notifications,
    read_log,
    select_events,
    select_notifications,
)
from .recorders import recorder
from .store import (
    DOCUMENT_OF_REQUEST,
    Batch,
    ConcurrencyConflict,
    NewEvent,
    append,
    append_many,
    lock_for_append,
)
from .verify import ChainReport, verify_chain

__all__ = [
    "DOCUMENT_OF_REQUEST",
    "GENESIS_HASH",
    "Batch",
    "ChainReport",
    "ConcurrencyConflict",
    "LoggedEvent",
    "RecordedEvent",
    "StoredEvent",
    "NewEvent",
    "StreamHead",
    "append",
    "append_many",
    "as_utc",
    "canonical_json",
    "changed_paths",
    "changed_paths_at",
    "current_version",
    "documents_at",
    "events_at",
    "event_hash",
    "hashed_fields",
    "head",
    "head_from_row",
    "head_query",
    "iter_events",
    "iter_notifications",
    "last_position",
    "lock_for_append",
    "read_log",
    "recorder",
    "select_events",
    "select_notifications",
    "stream_head",
    "verify_chain",
]
