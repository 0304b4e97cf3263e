"""The snapshot-wide composites that list every record: ``evidence.json`` and ``index.html``.

Both are stored as composites (``composite``): literal pieces around arrays of per-record
chunks. A cold build walks every record (``write_whole``) and keeps each array's chunks
(``composite.ChunkedArray``); the next build on a warm worker, told which records an event
wrote since (``selectors.touched_records``), makes again only the chunks that hold one of
them (``write_touched``). Both give the same bytes as the file made at once (tested).
"""

from __future__ import annotations

from typing import Any

from evidence.documents import record_types

from .. import fhir
from ..pages.snapshot_pages import index_head_tail, index_row
from ..selectors import EvidenceAsOf, RecordState, touched_records
from .composite import ChunkedArray, CompositeWriter, ends_chunk
from .entries import (
    evidence_array_items,
    evidence_findings_item,
    evidence_literal_keys,
    evidence_record_item,
    finding_owner_types,
    record_part,
    write_snapshot_literal,
)
from .fhir_files import warm_fhir
from .warm_pages import MAX_TOUCHED, warm_pages

INDEX_PATH = "index.html"


class WarmSnapshotFiles:
    """The chunks of ``evidence.json``'s arrays and of ``index.html``'s trial list as of
    this process's last build, and how many findings each record has."""

    def __init__(self) -> None:
        self.files_of: dict | None = None
        self.identity: Any = None
        self.arrays: dict[str, ChunkedArray] = {}
        self.index_rows = ChunkedArray()
        self.findings: dict[tuple[int, str], int] = {}  # (owner type's order, slug) -> count

    def follows(self, builder) -> bool:
        return builder.follows_build(self.files_of, self.identity)

    def write_whole(self, builder, evidence: EvidenceAsOf, snapshot: dict, changes: int) -> int:
        """Both files from every record (keeping their chunks); how many findings there are."""
        self.files_of, self.identity = None, builder.sink.identity
        self.arrays = {key: ChunkedArray() for key in evidence_literal_keys()}
        self.findings = {}
        writer = CompositeWriter(builder.sink, "evidence.json")
        total = 0

        def array(key: str) -> None:
            nonlocal total
            items, keys, counts = evidence_array_items(evidence, key)
            self.findings.update(counts)
            total += sum(counts.values())
            writer.array_items(items, record_part, keys=keys, kept=self.arrays[key])

        write_snapshot_literal(writer, snapshot, array)
        builder.add_composite(writer)
        self._index(builder, evidence, changes, None)
        return total

    def write_touched(
        self,
        builder,
        evidence: EvidenceAsOf,
        snapshot: dict,
        changes: int,
        touched: set[tuple[str, str]],
    ) -> int:
        """Both files, making again only the chunks that hold a record in ``touched``."""
        self.files_of = None  # a build that fails from here leaves a table no build follows
        owners = finding_owner_types()
        plurals = {entry.name: entry.plural for entry in record_types.REGISTRY}
        changed: dict[str, list] = {key: [] for key in self.arrays}
        for name, slug in touched:
            changed[plurals[name]].append(slug)
            if name in owners:
                key = (owners.index(name), slug)
                changed["findings"].append(key)
                record = evidence.records[name].get(slug)
                count = len(record.document.get("findings", [])) if record else 0
                if count:
                    self.findings[key] = count
                else:
                    self.findings.pop(key, None)

        def lookup_in(key: str):
            if key == "findings":

                def found(item_key):
                    if item_key not in self.findings:
                        return None
                    owner = owners[item_key[0]]
                    record = evidence.records[owner][item_key[1]]
                    return evidence_findings_item(owner, record)[1:]

                return found
            name = next(n for n, plural in plurals.items() if plural == key)
            records = evidence.records[name]

            def record_item(slug):
                record = records.get(slug)
                return evidence_record_item(record)[1:] if record is not None else None

            return record_item

        writer = CompositeWriter(builder.sink, "evidence.json")

        def array(key: str) -> None:
            writer.kept_array(self.arrays[key], changed[key], lookup_in(key), record_part)

        write_snapshot_literal(writer, snapshot, array)
        builder.add_composite(writer)
        trials = [slug for name, slug in touched if name == "trial"]
        self._index(builder, evidence, changes, trials)
        return sum(self.findings.values())

    def _index(self, builder, evidence: EvidenceAsOf, changes: int, touched) -> None:
        """index.html: its head and tail (the topics, counts and footer) rendered whole, its
        trial list in chunks of rows."""
        writer = CompositeWriter(builder.sink, INDEX_PATH, separator=b"")
        head, tail = index_head_tail(evidence, builder.seq, changes)
        writer.literal(head)
        trials = evidence.records["trial"]
        if touched is None:
            items = [_index_item(trial) for trial in trials.values()]
            writer.array_items(items, _row_bytes, keys=list(trials), kept=self.index_rows)
        else:

            def lookup(slug: str):
                trial = trials.get(slug)
                return _index_item(trial) if trial is not None else None

            writer.kept_array(self.index_rows, touched, lookup, _row_bytes)
        writer.literal(tail)
        builder.add_composite(writer)

    def finish(self, builder) -> None:
        self.files_of = builder.files


def _index_item(trial: RecordState) -> tuple:
    # No commas between rows: each row's bytes carry their own newline (``_row_bytes``).
    return (ends_chunk(trial.slug), ("index", trial.current_hash), trial)


def _row_bytes(trial: RecordState) -> bytes:
    return index_row(trial)


warm_snapshot = WarmSnapshotFiles()


def touched_since(builder) -> set[tuple[str, str]] | None:
    """The records an event wrote since the previous snapshot, when every warm table (pages,
    FHIR files, these composites) follows the build before (``follows_build``) and they are
    few: the build then changes the previous snapshot's files in place. None: a full pass."""
    previous = builder.previous
    if not (
        previous
        and previous.position <= builder.position
        and warm_pages.follows(builder)
        and warm_fhir.follows(builder, fhir.canonical_base())
        and warm_snapshot.follows(builder)
    ):
        return None
    touched = touched_records(previous.position, builder.position)
    return touched if len(touched) <= MAX_TOUCHED else None
