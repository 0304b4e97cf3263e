"""A snapshot's FHIR files: ``fhir/<ResourceType>/<id>.json`` per resource of every record
(``publishing.fhir.resources_for``) and ``fhir/bundle.json``, a ``collection`` Bundle of them
all, in path order.

Incremental like the pages: all the files of one record carry one ``inputs`` fingerprint in
the manifest (the record's version, the canonical base and the mapping code). When the
previous snapshot has every one of the record's files with that fingerprint, their manifest
entries are kept (the bodies are shared objects); otherwise the record's resources are
validated with fhir.resources and written. With many records and nothing to reuse (a first
publication), they are mapped, validated and written in forked children (``fhir_forked``).
A resource that does not validate fails the build with ``InvalidResource``, which names its
path and elements; the build stops, so the previous snapshot stays the one served. Our own
code systems (``fhir.code_systems``: the endpoint codes) are published the same way, with the
mapping code and the canonical base as their inputs.

The resources' bundle entries are kept per process as compressed compact bytes spilled to disk
(``spill``), named in the warm table by record (that fingerprint and the event hash), so a
worker maps an unchanged record once, not once per snapshot (the bundle needs every resource).
A new worker takes them from the previous snapshot's bundle instead (``previous_bundle``).
"""

from __future__ import annotations

import hashlib
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from evidence.documents import record_types

from .. import fhir
from ..selectors import EvidenceAsOf, RecordState
from ..spill import Spill
from . import fhir_forked
from .composite import ChunkedArray, CompositeWriter, ends_chunk
from .fhir_items import FhirItems, record_key
from .files import dumps
from .previous_bundle import KnownEntries, previous_entries

PUBLISHING = Path(__file__).resolve().parent.parent
BUNDLE_PATH = "fhir/bundle.json"

# Every resource's bundle entry, compressed compact JSON, named by a handle. On disk, not in
# memory: a worker keeps them for every resource (millions at 100,000 trials), and even
# compressed bytes objects took more than a gigabyte there (``spill``).
SPILL = Spill()


@cache
def mapping_fingerprint() -> str:
    """Changes whenever the mapping code or the words it takes from elsewhere change."""
    digest = hashlib.sha256()
    sources = sorted(
        [
            *(PUBLISHING / "fhir").glob("*.py"),
            Path(__file__),
            PUBLISHING / "formatting.py",
            PUBLISHING.parent / "evidence" / "documents" / "vocabulary.py",
        ]
    )
    for path in sources:
        digest.update(str(path.relative_to(PUBLISHING.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fhir_inputs(record: RecordState, base: str) -> str:
    parts = [mapping_fingerprint(), base, f"{record.record_type}:{record.slug}@{record.version}"]
    return "fhir-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:27]


def record_resources(record: RecordState, base: str) -> list[tuple[str, dict]]:
    """The record's (path, resource) pairs, mapped now."""
    resources = fhir.resources_for(record.record_type, record.document, record.history, base=base)
    return [(fhir.resource_path(r), r) for r in resources]


def bundle_entry(resource: dict[str, Any], base: str) -> int:
    """A resource's entry in the bundle, as compact JSON, compressed and spilled to disk: its
    handle in ``SPILL`` (``_bundle_item_bytes`` gives the bytes back)."""
    return spill_entry(bundle_entry_bytes(resource, base))


def bundle_entry_bytes(resource: dict[str, Any], base: str) -> bytes:
    url = f"{base}/{resource['resourceType']}/{resource['id']}"
    return _compact({"fullUrl": url, "resource": resource})


def spill_entry(data: bytes) -> int:
    return SPILL.put(packed(data))


def packed(data: bytes) -> bytes:
    """A bundle entry's bytes as the spill keeps them (``_bundle_item_bytes`` reads them)."""
    return zlib.compress(data, 1)


def write_fhir_files(builder, evidence: EvidenceAsOf, touched=None) -> None:
    """Write (or reuse) every record's FHIR files and the bundle through ``builder``
    (``SnapshotBuilder``: its ``write`` and ``reuse`` keep the manifest). ``touched``: the
    records an event wrote since the previous build, on a warm build changing the previous
    snapshot's files in place (``SnapshotBuilder.in_place``); only theirs are made again."""
    base = fhir.canonical_base()
    writer = CompositeWriter(builder.sink, BUNDLE_PATH)
    head = _bundle_head(base, evidence)
    writer.literal(head[0])
    make = _bundle_item_bytes
    if touched is not None:
        with fhir.repeated_elements_remembered():
            changed = warm_fhir.update(builder, evidence, base, touched)
        writer.kept_array(warm_fhir.bundle, changed, _bundle_row, make)
    else:
        with fhir.repeated_elements_remembered():
            _write_all(builder, evidence, base)
        # Made as the writer walks the table in path order: a list of every row (two tuples
        # per resource) was about 190 MB at 100,000 trials, all at once.
        rows = (_bundle_item(path, handle) for path, handle in warm_fhir.items.in_order())
        writer.array_items(rows, make, keys=iter(warm_fhir.items), kept=warm_fhir.bundle)
    writer.literal(head[1])
    builder.add_composite(writer)
    warm_fhir.compact_spill(full=touched is None)
    warm_fhir.files_of = builder.files


def _write_all(builder, evidence: EvidenceAsOf, base: str) -> None:
    """Every record's files (reused where the previous snapshot has them); fills the warm
    table (``WarmFhir``) afresh, taking the entries known before (``previous_bundle``)."""
    records = [r for t in fhir_record_types() for r in evidence.records[t].values()]
    forked = fhir_forked.should_fork(builder, len(records))
    known = None if forked else warm_fhir.known_entries(builder)  # forked: none to reuse
    warm_fhir.reset(builder, base)
    if forked:
        _write_forked(builder, records, base)
    else:
        for record in records:
            _write_record(builder, record, base, known)
    code_systems = [(fhir.resource_path(r), r) for r in fhir.code_systems(base)]
    code_system_inputs = _code_system_inputs(base)
    _write_or_reuse(builder, code_systems, code_system_inputs)
    for path, resource in code_systems:
        warm_fhir.items[path] = bundle_entry(resource, base)


def _write_forked(builder, records: list[RecordState], base: str) -> None:
    """``_write_record`` of every record, mapped in forked children (``fhir_forked``); the
    manifest entries, spilled bundle entries and warm table noted here."""

    def map_record(record: RecordState) -> tuple[str, list[tuple[str, dict]]]:
        return fhir_inputs(record, base), record_resources(record, base)

    def bundle_bytes(resource: dict[str, Any]) -> bytes:
        return packed(bundle_entry_bytes(resource, base))

    mapped = fhir_forked.map_forked(records, builder.sink, map_record, bundle_bytes)
    for record_type, slug, event_hash, inputs, files in mapped:
        for entry, _ in files:
            builder.add_written(entry)
        handles = [(entry.path, SPILL.put(spilled)) for entry, spilled in files]
        _note_warm(record_type, slug, event_hash, inputs, handles)


def _bundle_row(path: str) -> tuple | None:
    """The bundle's item for ``path`` (``composite.Item``: ends a chunk, cache key, its
    handle); None when no resource has that path any more."""
    handle = warm_fhir.items.get(path)
    return None if handle is None else _bundle_item(path, handle)


def _bundle_item(path: str, handle: int) -> tuple:
    # A handle names bytes that never change within one spill file (its generation).
    return (ends_chunk(path), (path, SPILL.generation, handle), handle)


def _write_record(
    builder, record: RecordState, base: str, known: KnownEntries | None = None
) -> list[str]:
    """Write (or reuse) one record's files and note them in the warm table, taking its bundle
    entries from ``known`` when they are known and its files reused; their paths."""
    inputs = fhir_inputs(record, base)
    entries = known.take(record, inputs) if known is not None else None
    if entries is None or not _reuse_all(builder, entries, inputs):
        # Mapped again (the files are written, or the bundle needs the entries).
        resources = record_resources(record, base)
        _write_or_reuse(builder, resources, inputs)
        entries = [(path, bundle_entry(resource, base)) for path, resource in resources]
    _note_warm(record.record_type, record.slug, record.current_hash, inputs, entries)
    return [path for path, _ in entries]


def _note_warm(
    record_type: str, slug: str, event_hash: str, inputs: str, handles: list[tuple[str, int]]
) -> None:
    """Note one record's FHIR in the warm table: each resource's bundle entry (its path and
    handle in ``SPILL``), and the record's event hash and inputs."""
    owner = record_key(record_type, slug)
    for path, handle in handles:
        warm_fhir.items.put(path, handle, owner)
    warm_fhir.items.note_record(owner, event_hash, inputs)


def fhir_record_types() -> list[str]:
    # A record type without a FHIR mapping (yet) is not published as FHIR.
    return [name for name in record_types.names() if name in fhir.MAIN_RESOURCE]


class WarmFhir:
    """What this process's last build published as FHIR, so that the next build on a warm
    worker touches only the records an event wrote since: every resource's bundle entry by
    path and record (its handle in ``SPILL``, of the spill file ``generation``), and each
    record's event hash and FHIR inputs, on disk (``fhir_items``); the bundle's chunks
    (``composite.ChunkedArray``).
    Used only when the previous snapshot is the one this process built with it (the files
    dict ``files_of`` is the very one ``previous_state`` hands back), with the same base and
    store; any other build fills it again from every record."""

    def __init__(self) -> None:
        self.files_of: dict | None = None
        self.identity: Any = None
        self.base: str | None = None
        # path -> bundle entry's handle in SPILL, and its record; each record's (hash, inputs)
        self.items = FhirItems()
        self.generation = SPILL.generation  # the spill file the handles are of
        # Its keys are the items table's paths: only each chunk's last path is held.
        self.bundle = ChunkedArray(keys_between=self._paths_between)
        self.spilled = 0  # the spill's size after the last full build (or compaction)

    def known_entries(self, builder) -> KnownEntries:
        """The entries a full build may take (``previous_bundle``): this table's, if it has
        any in the current spill file, else (a new worker) the previous snapshot's bundle."""
        if self.items and self.generation == SPILL.generation:
            return KnownEntries(items=self.items)
        return KnownEntries(by_inputs=previous_entries(builder, spill_entry))

    def forget(self) -> None:
        """Know nothing, as a new worker (the next full build reads the previous bundle)."""
        self.__init__()

    def reset(self, builder, base: str) -> None:
        self.files_of = None  # until the build has written every file
        self.identity, self.base = builder.sink.identity, base
        self.items = FhirItems()
        self.generation = SPILL.generation
        self.bundle = ChunkedArray(keys_between=self._paths_between)

    def compact_spill(self, full: bool) -> None:
        """Copy the live bundle entries to a new spill file when most of it is dead: checked
        after every full build, and after a warm one once the file has doubled since."""
        if not full and SPILL.end <= 2 * self.spilled + (64 << 20):
            return
        if SPILL.worth_compacting(self.items.live_bytes()):
            self.items.rename(SPILL.compact(sorted(self.items.handles())))
            self.generation = SPILL.generation
        self.spilled = SPILL.end

    def _paths_between(self, low: str | None, high: str | None) -> list[str]:
        return self.items.paths_between(low, high)

    def follows(self, builder, base: str) -> bool:
        return builder.follows_build(self.files_of, self.identity) and self.base == base

    def update(
        self, builder, evidence: EvidenceAsOf, base: str, touched: set[tuple[str, str]]
    ) -> set[str]:
        """Write the files of the ``touched`` records created or changed since, remove those
        of records gone; every other file stays as it is. Returns the paths whose bundle
        entries changed."""
        self.files_of = None  # a build that fails here leaves a table no build follows
        changed_paths: set[str] = set()
        types = set(fhir_record_types())
        for record_type, slug in sorted(touched):
            if record_type not in types:
                continue
            record = evidence.records[record_type].get(slug)
            seen = self.items.record_made_from(record_key(record_type, slug))
            if seen is not None and record is not None and seen[0] == record.current_hash:
                continue
            if seen is not None:
                changed_paths.update(self._forget(builder, record_type, slug))
            if record is not None:
                changed_paths.update(_write_record(builder, record, base))
        return changed_paths

    def _forget(self, builder, record_type: str, slug: str) -> list[str]:
        """Remove the record's files; their paths."""
        key = record_key(record_type, slug)
        self.items.forget_record(key)
        paths = [path for path, _ in self.items.take_record(key)]
        for path in paths:
            builder.remove(path)
        return paths


warm_fhir = WarmFhir()


def _bundle_head(base: str, evidence: EvidenceAsOf) -> tuple[bytes, bytes]:
    """The bundle's bytes before and after its entries (``_bundle``, every resource in path
    order, serialised at once, gives the same bytes as these around the entries)."""
    head = _compact(_bundle([], base, evidence))  # {"entry":[],"id":...}: entry sorts first
    return b'{"entry":[', b"]" + head[len(b'{"entry":[]') :] + b"\n"


def _bundle_item_bytes(handle: int) -> bytes:
    return zlib.decompress(SPILL.get(handle))


def _compact(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _code_system_inputs(base: str) -> str:
    parts = [mapping_fingerprint(), base, "code systems"]
    return "fhir-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:27]


def _write_or_reuse(builder, resources: list[tuple[str, dict]], inputs: str):
    """Keep the files of the previous snapshot, or validate them all, then write them."""
    if _reuse_all(builder, resources, inputs):
        return
    for path, resource in resources:
        fhir.validate(resource, path)
    for path, resource in resources:
        builder.write(path, dumps(resource), inputs)


def _reuse_all(builder, resources: list[tuple[str, Any]], inputs: str) -> bool:
    """Keep the record's files when the previous snapshot has all of them from the same
    inputs. All or none: the record's files are validated together when any is made."""
    previous = builder.previous_files
    olds = [previous.get(path) for path, _ in resources]
    if not resources or not all(old and old.get("inputs") == inputs for old in olds):
        return False
    if builder.sink.reuses and builder.sink.legacy_dir is None:
        # Nothing to take in (the bodies are objects already): one pass, no per-file checks.
        pairs = zip((path for path, _ in resources), olds, strict=True)
        builder.files.update(pairs)
        builder.reused += len(olds)
        return True
    kept = [path for path, _ in resources if builder.reuse(path, inputs)]
    if len(kept) == len(resources):
        return True
    for path in kept:  # a body could not be taken in: render the record's files instead
        builder.files.pop(path)
        builder.reused -= 1
    return False


def _bundle(entries: list[tuple[str, dict]], base: str, evidence: EvidenceAsOf) -> dict:
    """Every resource, in path order; ``fullUrl`` is its url under the canonical base."""
    return {
        "resourceType": "Bundle",
        "id": f"evidence-{evidence.position}",
        "identifier": {"system": f"{base}/snapshot-position", "value": str(evidence.position)},
        "type": "collection",
        **({"timestamp": evidence.as_of} if evidence.as_of else {}),
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
            }
            for _, resource in sorted(entries, key=lambda entry: entry[0])
        ],
    }
