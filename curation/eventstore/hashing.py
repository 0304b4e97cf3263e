"""The hash chain: each event's sha256 covers its content and the hash of the event before."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from ..models import Event

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def event_hash(fields: dict[str, Any], prev_hash: str, document_json: bytes | None = None) -> str:
    """sha256 over the canonical JSON of an event's content and the previous hash.
    ``document_json``: ``canonical_json(fields["document"])``, when the caller has it: the
    same bytes are hashed, the document not written out again."""
    if document_json is None:
        return hashlib.sha256(canonical_json({**fields, "prev_hash": prev_hash})).hexdigest()
    return hashlib.sha256(_with_document(fields, prev_hash, document_json)).hexdigest()


def _with_document(fields: dict[str, Any], prev_hash: str, document_json: bytes) -> bytes:
    """``canonical_json({**fields, "prev_hash": prev_hash})`` given the document's canonical
    JSON: the top-level names sorted before "document", then it, then those after, each
    part written as orjson writes it inside the whole (no spaces, names sorted)."""
    rest = {name: value for name, value in fields.items() if name != "document"}
    rest["prev_hash"] = prev_hash
    before = canonical_json({n: v for n, v in rest.items() if n < "document"})
    after = canonical_json({n: v for n, v in rest.items() if n > "document"})
    parts = [before[1:-1], b'"document":' + document_json, after[1:-1]]
    return b"{" + b",".join(part for part in parts if part) + b"}"


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
