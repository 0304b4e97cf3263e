"""Bundle entries a full build takes instead of mapping a record to FHIR again.

The FHIR bundle needs every resource's entry, and mapping every record again (and serialising
its resources) is most of a full build's cost: about 30 minutes at 100,000 trials. A record
whose files the previous snapshot has from the same inputs (``fhir_files.fhir_inputs``: the
record's version, the canonical base and the mapping code) has the same entries, which a full
build finds in one of two places (``KnownEntries``):

- the warm table of this process's last build (``fhir_files.WarmFhir``): each record's cache
  key and paths, and each path's spilled entry;
- on a cold worker (a new process: no table yet), the previous snapshot's ``fhir/bundle.json``
  itself, read part by part (``previous_entries``), each part checked against the sha256 and
  size the manifest lists for it, and each entry filed under the inputs the previous manifest
  lists for its path. A part missing, not matching, or not parsing makes the whole bundle
  unknown, and every record is mapped again (a full build), never a partial table.

Either way the record's files are still reused only when the previous snapshot lists each with
the same inputs (``fhir_files._reuse_all``); otherwise the record is mapped, as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from .. import fhir
from .fhir_items import FhirItems, record_key

logger = logging.getLogger(__name__)

BUNDLE_HEAD = b'{"entry":['
# (path, spill handle) of each resource of one record.
Entries = list[tuple[str, int]]


class PreviousBundleUnreadable(Exception):
    """A part of the previous bundle is missing, does not match its sha256, or is not the
    bundle's JSON: its entries are not taken."""


class KnownEntries:
    """The entries of records mapped before: ``take(record, inputs)`` gives a record's
    (path, spill handle) pairs, or None when they are unknown (the record is mapped)."""

    def __init__(self, items: FhirItems | None = None, by_inputs: FhirItems | None = None):
        self.items = items  # the warm table's (``fhir_items.FhirItems``)
        # The previous bundle's entries, filed under their inputs as their "record".
        self.by_inputs = by_inputs

    def take(self, record, inputs: str) -> Entries | None:
        key = record_key(record.record_type, record.slug)
        seen = self.items.record_made_from(key) if self.items is not None else None
        # The event hash too: "slug@version" (in the inputs) names different documents in
        # another database (the hash chains the whole log, so it also covers the history).
        if seen is not None and seen[0] == record.current_hash and seen[1] == inputs:
            # None when the table lists none of its resources: the record is mapped.
            return self.items.of_record(key) or None
        if not self.by_inputs:
            return None
        return self.by_inputs.take_record(inputs) or None  # taken once


def previous_entries(builder, put: Callable[[bytes], int]) -> FhirItems | None:
    """The entries of the previous snapshot's bundle filed under the inputs its manifest
    lists for their paths (as their ``FhirItems`` "record"; on disk: 1.5 million at 100,000
    trials), each stored by ``put(compact entry bytes)`` (its spill handle); None when the
    previous snapshot has no composite bundle to read, or any part of it is unreadable."""
    from .fhir_files import BUNDLE_PATH

    state = builder.previous.state if builder.previous else None
    entry = builder.previous_files.get(BUNDLE_PATH)
    if (
        state is None
        or state.read_object is None
        or entry is None
        or "parts" not in entry
        or not builder.sink.reuses
        or builder.sink.legacy_dir is not None
    ):
        return None
    previous_files = builder.previous_files
    by_inputs = FhirItems()
    try:
        for resource, data in bundle_entries(entry["parts"], state.read_object):
            try:
                path = fhir.resource_path(resource)
            except KeyError as exc:
                raise PreviousBundleUnreadable(f"an entry's resource has no {exc}") from exc
            old = previous_files.get(path)
            inputs = old.get("inputs") if old is not None else None
            if inputs:
                by_inputs.put(old["path"], put(data), inputs)
    except PreviousBundleUnreadable as exc:
        # The handles put so far are left dead in the spill (compaction drops them).
        logger.warning("the previous FHIR bundle is not reused (%s): mapping every record", exc)
        by_inputs.close()
        return None
    return by_inputs


def bundle_entries(
    parts: list[list[Any]], read_object: Callable[[str], bytes]
) -> Iterator[tuple[dict, bytes]]:
    """Each entry of a composite bundle (``composite``: its head, chunks of comma-separated
    compact entries, its tail): its resource, and the entry as compact JSON, exactly the bytes
    the bundle holds. Raises ``PreviousBundleUnreadable``."""
    last = len(parts) - 1
    for number, (sha256, size) in enumerate(parts):
        try:
            data = read_object(sha256)
        except Exception as exc:  # noqa: BLE001 - any store's failure to give the object
            raise PreviousBundleUnreadable(f"part {sha256} unreadable: {exc}") from exc
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            raise PreviousBundleUnreadable(f"part {sha256} does not match its sha256")
        if number == 0:
            if not data.startswith(BUNDLE_HEAD):
                raise PreviousBundleUnreadable("the first part is not the bundle's head")
            data = data[len(BUNDLE_HEAD) :]
        if number == last:
            if not data.startswith(b"]"):
                raise PreviousBundleUnreadable("the last part is not the bundle's tail")
            continue
        yield from _chunk_entries(data.removeprefix(b","))


def _chunk_entries(chunk: bytes) -> Iterator[tuple[dict, bytes]]:
    """A chunk's comma-separated entries, each as the compact bytes it was made from (orjson,
    sorted keys: parsing and serialising again gives back the same bytes)."""
    if not chunk:
        return
    try:
        values = orjson.loads(b"[" + chunk + b"]")
    except orjson.JSONDecodeError as exc:
        raise PreviousBundleUnreadable(f"a chunk is not JSON: {exc}") from exc
    for value in values:
        if not (isinstance(value, dict) and isinstance(value.get("resource"), dict)):
            raise PreviousBundleUnreadable("a chunk holds something other than entries")
        yield value["resource"], orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
