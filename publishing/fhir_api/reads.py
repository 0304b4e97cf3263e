"""What the FHIR API reads: the latest snapshot's FHIR files and bundle, and a resource's
earlier versions from the event log.

Current resources come from the snapshot, exactly as published (same bytes, same hash). A
resource's versions are its record's versions (every resource made from a record carries the
record's version as ``meta.versionId``): each one is the record's document at that version,
mapped with ``publishing.fhir.resources_for``, up to the snapshot's event position, so history
never shows a version the served snapshot does not have yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from curation import selectors as curation_selectors
from curation.errors import NotFound
from curation.models import Event

from .. import fhir, storage
from ..build.fhir_files import BUNDLE_PATH
from ..models import Snapshot
from ..selectors import timestamp

RESOURCE_FILE = re.compile(r"^fhir/(?P<type>[A-Za-z]+)/(?P<id>[A-Za-z0-9.\-]{1,64})\.json$")


@dataclass(frozen=True)
class ServedSnapshot:
    """The latest complete snapshot: what the API answers from."""

    seq: int
    position: int
    published_at: str
    manifest: storage.PublishedManifest
    store: storage.SnapshotStore

    def resource_types(self) -> list[str]:
        """The resource types this snapshot has files of, sorted."""
        found = {m["type"] for path in self.manifest.files if (m := RESOURCE_FILE.match(path))}
        return sorted(found)

    def entry(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        """The manifest entry of a resource's file (sha256, size), or None."""
        return self.manifest.entry(f"fhir/{resource_type}/{resource_id}.json")

    def read_bytes(self, path: str) -> bytes:
        with self.store.open(self.seq, path, self.manifest.entry(path)) as handle:
            return handle.read()


def latest_snapshot() -> ServedSnapshot | None:
    """The latest complete snapshot, or None before the first one is published."""
    store = storage.snapshot_store()
    seq = store.latest_seq()
    if seq is None:
        return None
    snapshot = Snapshot.objects.filter(seq=seq, status=Snapshot.Status.COMPLETE).first()
    if snapshot is None:
        return None
    try:
        manifest = store.manifest(seq)
    except storage.SnapshotNotFound:
        return None
    published = snapshot.finished_at or snapshot.created_at
    return ServedSnapshot(seq, snapshot.position, timestamp(published), manifest, store)


# The parsed bundle of the last snapshot searched, by manifest hash: a snapshot never changes,
# so a process parses each one once (one at a time; a new snapshot replaces it).
_bundle_cache: dict[str, dict[str, list[dict[str, Any]]]] = {}


def resources_of_type(snapshot: ServedSnapshot, resource_type: str) -> list[dict[str, Any]]:
    """Every resource of ``resource_type`` in the snapshot, in path (id) order."""
    by_type = _bundle_cache.get(snapshot.manifest.sha256)
    if by_type is None:
        by_type = {}
        if snapshot.manifest.entry(BUNDLE_PATH) is not None:
            bundle = orjson.loads(snapshot.read_bytes(BUNDLE_PATH))
            for entry in bundle.get("entry", []):
                resource = entry["resource"]
                by_type.setdefault(resource["resourceType"], []).append(resource)
        _bundle_cache.clear()
        _bundle_cache[snapshot.manifest.sha256] = by_type
    return by_type.get(resource_type, [])


def current_resource(snapshot: ServedSnapshot, resource_type: str, resource_id: str) -> dict:
    return orjson.loads(snapshot.read_bytes(f"fhir/{resource_type}/{resource_id}.json"))


def _owning_record(resource: dict[str, Any]) -> tuple[str, str] | None:
    """The record a resource was made from, by our business identifier (system
    ``<base>/<record type>``, value ``<slug>[/<key>...]``), which every resource but a
    Provenance carries; not by its id, which is shortened with a hash when it is long."""
    for identifier in resource.get("identifier") or []:
        base, _, record_type = identifier.get("system", "").rpartition("/")
        if base == fhir.canonical_base() and record_type in fhir.MAIN_RESOURCE:
            return record_type, identifier["value"].split("/")[0]
    return None


def _versions(events: list[Event]) -> list[dict[str, Any]]:
    return [
        {
            "version": event.version,
            "type": event.type,
            "change_request": event.change_request_id,
            "proposer": event.proposer.username,
            "approver": event.approver.username,
            "approved_at": timestamp(event.recorded_at),
            "rationale": event.rationale,
        }
        for event in events
    ]


def retracted_resource(snapshot: ServedSnapshot, resource_type: str, resource_id: str) -> bool:
    """Whether the resource was made from a record retracted by the snapshot's position: a
    deleted resource (410 Gone), not one that never existed (404). The resources of the
    record's last version before its retraction, mapped again; retractions are few."""
    for events in curation_selectors.retracted_records(snapshot.position):
        record_type = events[0].stream_type if events else None
        document = events[-1].upcast_document if events else None
        if record_type not in fhir.MAIN_RESOURCE or document is None:
            continue
        for resource in fhir.resources_for(record_type, document, _versions(events)):
            if resource["resourceType"] == resource_type and resource["id"] == resource_id:
                return True
    return False


def resource_history(
    snapshot: ServedSnapshot, resource_type: str, resource_id: str
) -> list[dict[str, Any]]:
    """Every version of a resource of the snapshot, newest first (empty: not in the snapshot).

    A Provenance describes one record version and is never revised, and a resource not made
    from a record (our CodeSystems) has no versions in the event log: their one version is
    the published file. Any other resource: each version of its record up to the snapshot's
    position in which the resource exists, mapped from the document of that version.
    """
    if snapshot.entry(resource_type, resource_id) is None:
        return []
    current = current_resource(snapshot, resource_type, resource_id)
    owner = None if resource_type == "Provenance" else _owning_record(current)
    if owner is None:
        return [current]
    record_type, slug = owner
    try:
        events = list(
            curation_selectors.record_history(record_type, slug).filter(
                position__lte=snapshot.position
            )
        )
    except NotFound:
        return []
    versions = _versions(events)
    found = []
    for index, event in enumerate(events):
        document = event.upcast_document
        if event.type == Event.Type.RETRACTED or document is None:
            continue
        for resource in fhir.resources_for(record_type, document, versions[: index + 1]):
            if resource["resourceType"] == resource_type and resource["id"] == resource_id:
                found.append(resource)
                break
    return found[::-1]
