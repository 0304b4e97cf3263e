"""Records as ``evidence.json`` publishes them: document, provenance and version history.

Each record's part of ``evidence.json`` (its entry, and its findings) is cached per process as
compact JSON bytes, by the hash of the event behind the record's current version (immutable):
a worker serialises an unchanged record once, not once per snapshot, and ``evidence_json``
assembles the file from those parts. Compact JSON with sorted keys is compositional, so the
assembled bytes are exactly ``dumps_compact`` of the whole (tested).
"""

from __future__ import annotations

from typing import Any

import orjson

from evidence.documents import record_types

from ..selectors import EvidenceAsOf, RecordState
from .composite import ends_chunk
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


# Compact bytes of each record's entry, and (count, comma-joined compact bytes) of its findings,
# by the hash of the event behind its current version.
_entry_cache: dict[str, bytes] = {}
_findings_cache: dict[str, tuple[int, bytes]] = {}


def _compact(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


class EntryParts:
    """One build's access to records' entries: the dict of a record whose entry was made in
    this build is kept for the build, so a changed trial's entry is made once for both
    ``evidence.json`` and ``trials/<slug>.json``."""

    def __init__(self) -> None:
        self.fresh: dict[str, dict[str, Any]] = {}

    def entry(self, record: RecordState) -> dict[str, Any]:
        entry = self.fresh.get(record.current_hash)
        if entry is None:
            entry = self.fresh[record.current_hash] = record_entry(record)
        return entry

    def entry_bytes(self, record: RecordState) -> bytes:
        data = _entry_cache.get(record.current_hash)
        if data is None:
            data = _entry_cache[record.current_hash] = _compact(self.entry(record))
        return data

    @staticmethod
    def findings_bytes(owner_type: str, record: RecordState) -> tuple[int, bytes]:
        found = _findings_cache.get(record.current_hash)
        if found is None:
            findings = record_findings(owner_type, record)
            found = (len(findings), b",".join(_compact(f) for f in findings))
            _findings_cache[record.current_hash] = found
        return found

    def evidence_json(self, evidence: EvidenceAsOf, snapshot: dict[str, Any]) -> tuple[bytes, int]:
        """``evidence.json`` (``dumps_compact`` of snapshot, every type's entries and the
        findings) assembled from the records' parts; and how many findings it lists."""
        values: dict[str, list[bytes] | bytes] = {"snapshot": _compact(snapshot)}
        for entry_type in record_types.REGISTRY:
            records = evidence.records[entry_type.name].values()
            values[entry_type.plural] = [self.entry_bytes(record) for record in records]
        findings: list[bytes] = []
        count = 0
        for owner_type in finding_owner_types():
            for record in evidence.records[owner_type].values():
                n, data = self.findings_bytes(owner_type, record)
                if n:
                    count += n
                    findings.append(data)
        values["findings"] = findings
        parts = [b"{"]
        for number, key in enumerate(sorted(values)):
            value = values[key]
            parts.append(b'%s"%s":' % (b"," if number else b"", key.encode()))
            parts.append(value if isinstance(value, bytes) else b"[" + b",".join(value) + b"]")
        parts.append(b"}\n")
        return b"".join(parts), count


def evidence_composite(writer, evidence: EvidenceAsOf, snapshot: dict[str, Any]) -> int:
    """``evidence.json`` as a composite (``composite.CompositeWriter``): the same bytes as
    ``EntryParts.evidence_json``, each record's part made only when its chunk is not stored
    yet (and not kept: the chunk is). Returns how many findings it lists."""
    total = 0

    def array(key: str) -> None:
        nonlocal total
        items, _, counts = evidence_array_items(evidence, key)
        total += sum(counts.values())
        writer.array_items(items, record_part)

    write_snapshot_literal(writer, snapshot, array)
    return total


def evidence_literal_keys() -> list[str]:
    """The arrays of ``evidence.json``: each record type's (plural), then the findings."""
    return [*(entry.plural for entry in record_types.REGISTRY), "findings"]


def write_snapshot_literal(writer, snapshot: dict[str, Any], array) -> None:
    """``evidence.json``'s keys in order, its snapshot object, and each array's brackets;
    ``array(key)`` writes that array's items."""
    keys = sorted([*evidence_literal_keys(), "snapshot"])
    writer.literal(b"{")
    for number, key in enumerate(keys):
        writer.literal(b'%s"%s":' % (b"," if number else b"", key.encode()))
        if key == "snapshot":
            writer.literal(_compact(snapshot))
        else:
            writer.literal(b"[")
            array(key)
            writer.literal(b"]")
    writer.literal(b"}\n")


def evidence_record_item(record: RecordState) -> tuple:
    """(order key, then ``composite.Item``) of a record's entry in its type's array."""
    return (record.slug, ends_chunk(record.slug), record.current_hash, (None, record))


def evidence_findings_item(owner_type: str, record: RecordState) -> tuple:
    """(order key, then ``composite.Item``) of a record's findings in the findings array."""
    key = f"{owner_type}:{record.slug}"
    # Cache key apart from the record's entry's (the same event hash).
    cache_key = ("findings", record.current_hash)
    order = (finding_owner_types().index(owner_type), record.slug)
    return (order, ends_chunk(key), cache_key, (owner_type, record))


def evidence_array_items(evidence: EvidenceAsOf, key: str) -> tuple[list, list, dict]:
    """The items of one array of ``evidence.json`` (``composite.Item``), their order keys,
    and (findings) how many findings each record has, by order key."""
    if key != "findings":
        name = next(e.name for e in record_types.REGISTRY if e.plural == key)
        keyed = [evidence_record_item(r) for r in evidence.records[name].values()]
        return [item[1:] for item in keyed], [item[0] for item in keyed], {}
    keyed, counts = [], {}
    for owner_type in finding_owner_types():
        for record in evidence.records[owner_type].values():
            n = _findings_count(record)
            if n:
                item = evidence_findings_item(owner_type, record)
                counts[item[0]] = n
                keyed.append(item)
    return [item[1:] for item in keyed], [item[0] for item in keyed], counts


def record_part(payload: tuple[str | None, RecordState]) -> bytes:
    """A record's entry (owner type None) or its findings, as compact JSON."""
    owner_type, record = payload
    if owner_type is None:
        return _compact(record_entry(record))
    return b",".join(_compact(f) for f in record_findings(owner_type, record))


# How many findings each record's document has, by event hash (a number: kept for every record).
_findings_counts: dict[str, int] = {}


def _findings_count(record: RecordState) -> int:
    found = _findings_counts.get(record.current_hash)
    if found is None:
        found = _findings_counts[record.current_hash] = len(record.document.get("findings", []))
    return found


def forget_stale_entries(evidence: EvidenceAsOf) -> None:
    live = {r.current_hash for records in evidence.records.values() for r in records.values()}
    for cache in (_entry_cache, _findings_cache, _findings_counts):
        for key in [k for k in cache if k not in live]:
            del cache[key]
    forget_stale_references(live)


def forget_entries_of(hashes: set[str]) -> None:
    """Drop what is cached for event hashes no longer current (a warm build knows which)."""
    for cache in (_entry_cache, _findings_cache, _findings_counts):
        for key in hashes:
            cache.pop(key, None)
    forget_stale_references(None, hashes)


def finding_owner_types() -> list[str]:
    """The record types whose documents have findings, in registry order."""
    return [entry.name for entry in record_types.REGISTRY if entry.findings]


def record_findings(owner_type: str, record: RecordState) -> list[dict[str, Any]]:
    return [
        {**finding, "owner_type": owner_type, "owner": record.slug, "order": order}
        for order, finding in enumerate(record.document.get("findings", []))
    ]


def findings_of(evidence: EvidenceAsOf) -> list[dict[str, Any]]:
    findings = []
    for owner_type in finding_owner_types():
        for record in evidence.records[owner_type].values():
            findings.extend(record_findings(owner_type, record))
    return findings
