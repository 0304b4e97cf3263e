"""The hash chain: each event's sha256 covers its content and the hash of the event before."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from ..models import Event

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256 over the canonical JSON of an event's content and the previous hash."""
    return hashlib.sha256(canonical_json({**fields, "prev_hash": prev_hash})).hexdigest()


def hashed_fields(event: Event) -> dict[str, Any]:
    """What the hash covers: everything that says what happened, by whom and when."""
    return {
        "position": event.position,
        "stream_type": event.stream_type,
        "stream_id": str(event.stream_id),
        "slug": event.slug,
        "version": event.version,
        "type": event.type,
        "document": event.document,
        "changes": event.changes,
        "change_request": event.change_request_id,
        "proposer": event.proposer_id,
        "approver": event.approver_id,
        "rationale": event.rationale,
        "recorded_at": event.recorded_at.isoformat(),
    }
