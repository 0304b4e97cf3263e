"""Records as ``evidence.json`` publishes them: document, provenance and version history.

Entries are cached per process by the hash of the event behind a record's current version
(immutable), so a worker builds an unchanged record's entry once, not once per snapshot.
"""

from __future__ import annotations

from typing import Any

from evidence.documents import record_types

from ..selectors import EvidenceAsOf, RecordState
from .fingerprints import forget_stale_references


def record_entry(record: RecordState) -> dict[str, Any]:
    """A record as published: document, provenance, and every version's history."""
    current = record.current
    return {
        "record_type": record.record_type,
        "id": record.id,
        "slug": record.slug,
        "version": record.version,
        "provenance": {
            "version": current.version,
            "position": current.position,
            "change_request": current.change_request,
            "proposer": current.proposer,
            "approver": current.approver,
            "approved_at": current.approved_at,
        },
        "history": [version.as_dict() for version in record.history],
        "document": record.document,
    }


# Published entries of the last build by the hash of the event behind their current version:
# an unchanged record's entry is the same dict again (built once per version in a worker).
_entry_cache: dict[str, dict[str, Any]] = {}


def cached_entries(records) -> list[dict[str, Any]]:
    entries = []
    for record in records:
        entry = _entry_cache.get(record.current_hash)
        if entry is None:
            entry = _entry_cache[record.current_hash] = record_entry(record)
        entries.append(entry)
    return entries


def forget_stale_entries(evidence: EvidenceAsOf) -> None:
    live = {r.current_hash for records in evidence.records.values() for r in records.values()}
    for key in [k for k in _entry_cache if k not in live]:
        del _entry_cache[key]
    forget_stale_references(live)


def finding_owner_types() -> list[str]:
    """The record types whose documents have findings, in registry order."""
    return [entry.name for entry in record_types.REGISTRY if entry.findings]


def findings_of(evidence: EvidenceAsOf) -> list[dict[str, Any]]:
    findings = []
    for owner_type in finding_owner_types():
        for record in evidence.records[owner_type].values():
            for order, finding in enumerate(record.document.get("findings", [])):
                findings.append(
                    {**finding, "owner_type": owner_type, "owner": record.slug, "order": order}
                )
    return findings
