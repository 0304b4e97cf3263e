"""A snapshot's FHIR files: ``fhir/<ResourceType>/<id>.json`` per resource of every record
(``publishing.fhir.resources_for``) and ``fhir/bundle.json``, a ``collection`` Bundle of them
all, in path order.

Incremental like the pages: all the files of one record carry one ``inputs`` fingerprint in
the manifest (the record's version, the canonical base and the mapping code). When the
previous snapshot has every one of the record's files with that fingerprint, their manifest
entries are kept (the bodies are shared objects); otherwise the record's resources are
validated with fhir.resources and written.
A resource that does not validate fails the build with ``InvalidResource``, which names its
path and elements; the build stops, so the previous snapshot stays the one served. Our own
code systems (``fhir.code_systems``: the endpoint codes) are published the same way, with the
mapping code and the canonical base as their inputs.

The resources themselves are cached per process (by that fingerprint and the event hash), so
a worker maps an unchanged record once, not once per snapshot (the bundle needs every record's
resources).
"""

from __future__ import annotations

import bisect
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from evidence.documents import record_types

from .. import fhir
from ..selectors import EvidenceAsOf, RecordState
from .composite import CompositeWriter, chunk_ends_of
from .files import dumps

PUBLISHING = Path(__file__).resolve().parent.parent
BUNDLE_PATH = "fhir/bundle.json"

# (paths, resources) of each record's last mapping, by inputs fingerprint and event hash.
_resource_cache: dict[str, list[tuple[str, dict[str, Any]]]] = {}


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


def record_resources(record: RecordState, inputs: str, base: str) -> list[tuple[str, dict]]:
    """The record's (path, resource) pairs: from the cache, or mapped now (``write_fhir_files``
    caches them once they are validated or reused)."""
    found = _resource_cache.get(_cache_key(record, inputs))
    if found is None:
        resources = fhir.resources_for(
            record.record_type, record.document, record.history, base=base
        )
        found = [(fhir.resource_path(r), r) for r in resources]
    return found


def _cache_key(record: RecordState, inputs: str) -> str:
    # The event hash too: "slug@version" names different documents in another database
    # (the hash chains the whole log, so it also covers the record's history).
    return f"{inputs}:{record.current_hash}"


def write_fhir_files(builder, evidence: EvidenceAsOf) -> None:
    """Write (or reuse) every record's FHIR files and the bundle through ``builder``
    (``SnapshotBuilder``: its ``write`` and ``reuse`` keep the manifest)."""
    base = fhir.canonical_base()
    if warm_fhir.follows(builder, base):
        warm_fhir.update(builder, evidence, base)
    else:
        _write_all(builder, evidence, base)
    writer = CompositeWriter(builder.sink, BUNDLE_PATH)
    _bundle_composite(writer, warm_fhir.items, warm_fhir.rows, base, evidence)
    builder.add_composite(writer)
    warm_fhir.files_of = builder.files


def _write_all(builder, evidence: EvidenceAsOf, base: str) -> None:
    """Every record's files (reused where the previous snapshot has them); fills the warm
    table (``WarmFhir``) afresh."""
    warm_fhir.reset(builder, base)
    live: set[str] = set()
    for record_type in fhir_record_types():
        for record in evidence.records[record_type].values():
            key = _write_record(builder, record, base)
            live.add(key)
    code_systems = [(fhir.resource_path(r), r) for r in fhir.code_systems(base)]
    code_system_inputs = _code_system_inputs(base)
    _write_or_reuse(builder, code_systems, code_system_inputs)
    for path, resource in code_systems:
        warm_fhir.items[path] = (code_system_inputs, resource)
        warm_fhir.entries[path] = builder.files[path]
    for stale in [key for key in _resource_cache if key not in live]:
        del _resource_cache[stale]
    order = _sorted_paths(set(warm_fhir.items))
    warm_fhir.order = list(order)
    warm_fhir.rows = [_bundle_row(path) for path in order]


def _bundle_row(path: str) -> tuple:
    """The bundle's item for ``path`` (``composite.Item``: ends a chunk, cache key, path)."""
    return (chunk_ends_of(path), (path, warm_fhir.items[path][0]), path)


def _write_record(builder, record: RecordState, base: str) -> str:
    """Write (or reuse) one record's files and note them in the warm table; its cache key."""
    inputs = fhir_inputs(record, base)
    key = _cache_key(record, inputs)
    resources = record_resources(record, inputs, base)
    _write_or_reuse(builder, resources, inputs)
    _resource_cache[key] = resources  # valid: written now, or reused from before
    paths = [path for path, _ in resources]
    for path, resource in resources:
        warm_fhir.items[path] = (key, resource)
        warm_fhir.entries[path] = builder.files[path]
    warm_fhir.records[record.record_type][record.slug] = (record.current_hash, key, paths)
    return key


def fhir_record_types() -> list[str]:
    # A record type without a FHIR mapping (yet) is not published as FHIR.
    return [name for name in record_types.names() if name in fhir.MAIN_RESOURCE]


class WarmFhir:
    """What this process's last build published as FHIR, so that the next build on a warm
    worker touches only the records whose current event changed: each record's event hash,
    cache key and paths; every FHIR file's manifest entry; the bundle's items and their order.
    Used only when the previous snapshot is the one this process built with it (the files
    dict ``files_of`` is the very one ``previous_state`` hands back), with the same base and
    store; any other build fills it again from every record."""

    def __init__(self) -> None:
        self.files_of: dict | None = None
        self.identity: Any = None
        self.base: str | None = None
        self.records: dict[str, dict[str, tuple[str, str, list[str]]]] = {}
        self.entries: dict[str, dict[str, Any]] = {}
        self.items: dict[str, tuple[str, dict[str, Any]]] = {}
        self.order: list[str] = []
        self.rows: list[tuple] = []  # the bundle's items, in ``order`` (``_bundle_row``)

    def reset(self, builder, base: str) -> None:
        self.files_of = None  # until the build has written every file
        self.identity, self.base = builder.sink.identity, base
        self.records = {name: {} for name in fhir_record_types()}
        self.entries, self.items, self.order, self.rows = {}, {}, [], []

    def follows(self, builder, base: str) -> bool:
        return builder.follows_build(self.files_of, self.identity) and self.base == base

    def update(self, builder, evidence: EvidenceAsOf, base: str) -> None:
        """Write the files of records created or changed since, drop those of records gone,
        and keep every other entry as it is."""
        self.files_of = None  # a build that fails here leaves a table no build follows
        written_before = builder.rendered
        for record_type in fhir_record_types():
            records, known = evidence.records[record_type], self.records[record_type]
            changed = [
                record
                for record in records.values()
                if (seen := known.get(record.slug)) is None or seen[0] != record.current_hash
            ]
            for slug in [*(known.keys() - records.keys()), *(r.slug for r in changed)]:
                self._forget(record_type, slug)
            for record in changed:
                _write_record(builder, record, base)
                for path in known[record.slug][2]:
                    index = bisect.bisect_left(self.order, path)
                    self.order.insert(index, path)
                    self.rows.insert(index, _bundle_row(path))
        builder.files.update(self.entries)
        builder.reused += len(self.entries) - (builder.rendered - written_before)

    def _forget(self, record_type: str, slug: str) -> None:
        found = self.records[record_type].pop(slug, None)
        if found is None:
            return
        _, key, paths = found
        _resource_cache.pop(key, None)
        for path in paths:
            self.entries.pop(path, None)
            self.items.pop(path, None)
            index = bisect.bisect_left(self.order, path)
            if index < len(self.order) and self.order[index] == path:
                del self.order[index]
                del self.rows[index]


warm_fhir = WarmFhir()


# The bundle's paths in order, as of this process's last build: kept sorted by taking out and
# putting in only the paths that changed (sorting every resource's path again each build cost
# more than the rest of an approval's bundle).
_bundle_order: list[Any] = [set(), []]


def _sorted_paths(paths: set[str]) -> list[str]:
    known, order = _bundle_order
    if not order or len(paths ^ known) > len(paths) // 4:
        order = sorted(paths)
    else:
        for path in known - paths:
            del order[bisect.bisect_left(order, path)]
        for path in paths - known:
            bisect.insort(order, path)
    _bundle_order[:] = [paths, order]
    return order


def _bundle_composite(
    writer, items: dict, rows: list[tuple], base: str, evidence: EvidenceAsOf
) -> None:
    """The bundle (``_bundle``) as a composite: every resource in path order, in chunks."""

    def make(path: str) -> bytes:
        resource = items[path][1]
        url = f"{base}/{resource['resourceType']}/{resource['id']}"
        return _compact({"fullUrl": url, "resource": resource})

    head = _compact(_bundle([], base, evidence))  # {"entry":[],"id":...}: entry sorts first
    writer.literal(b'{"entry":[')
    writer.array_items(rows, make)
    writer.literal(b"]" + head[len(b'{"entry":[]') :] + b"\n")


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


def _reuse_all(builder, resources: list[tuple[str, dict]], inputs: str) -> bool:
    """Keep the record's files when the previous snapshot has all of them from the same
    inputs. All or none: the record's files are validated together when any is made."""
    previous = builder.previous_files
    olds = [previous.get(path) for path, _ in resources]
    if not resources or not all(old and old.get("inputs") == inputs for old in olds):
        return False
    if builder.sink.reuses and builder.sink.legacy_dir is None:
        # Nothing to take in (the bodies are objects already): one pass, no per-file checks.
        builder.files.update(zip((path for path, _ in resources), olds, strict=True))
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
