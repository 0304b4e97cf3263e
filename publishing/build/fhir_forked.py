"""Mapping, validating and writing every record's FHIR files in forked processes, when a build
has many and nothing to reuse (a first publication): done in the build process, the FHIR
step was four fifths of a first publication's time at 10,000 trials (55 of 69 s), and the
page renderers forked before it had finished theirs long before (11 s of CPU between them).

The records are split into batches (in the order the build walks them); each forked child
(``rendering.render_forked``: one per CPU, every ``processes``-th batch) maps a batch's
records, validates their resources, stores the bodies through the sink (as the page
renderers do) and sends back, per record, the files' manifest entries and the resources'
bundle entries (as the spill keeps them). The build process notes them as
``fhir_files._write_record`` would: the manifest, the spill and the warm table (which a
child never touches). The bytes are those of the same steps in one process.

A resource that does not validate stops its batch; the batch's error is raised once every
child has ended, the earliest batch's if several failed: the same resource (and message) the
build raises in one process.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .. import fhir
from . import rendering
from .file_entry import FileEntry
from .files import dumps

# A build with at least this many records to map forks for them (PUBLISH_BUILD_PROCESSES > 1),
# in batches of about BATCH_SIZE records. Settings PUBLISH_FHIR_PARALLEL_THRESHOLD and
# PUBLISH_FHIR_BATCH_SIZE override them (the tests do).
PARALLEL_THRESHOLD = 1000
BATCH_SIZE = 200

# One record's result: (record type, slug, event hash, inputs, [(file entry, bundle entry)]).
MappedRecord = tuple[str, str, str, str, list[tuple[FileEntry, bytes]]]


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, None) or default)


def should_fork(builder, records: int) -> bool:
    """Fork when there are several processes, enough records, and no file to reuse from the
    previous snapshot (which only the build process may read)."""
    return (
        rendering.render_processes() > 1
        and records >= _setting("PUBLISH_FHIR_PARALLEL_THRESHOLD", PARALLEL_THRESHOLD)
        and not builder.previous_files
    )


def batches_of(records: list) -> list[list]:
    size = _setting("PUBLISH_FHIR_BATCH_SIZE", BATCH_SIZE)
    return [records[start : start + size] for start in range(0, len(records), size)]


def map_forked(records: list, sink, map_record, bundle_bytes):
    """Yield each record's ``MappedRecord``, mapped in forked children, in no set order;
    raise the earliest batch's ``InvalidResource`` once all children ended.

    ``map_record(record)``: its inputs fingerprint and (path, resource) pairs;
    ``bundle_bytes(resource)``: its bundle entry as the spill keeps it (``fhir_files``'s)."""
    batches = batches_of(records)

    def map_batch(index: int) -> tuple[int, list[MappedRecord], Any]:
        """In a child: the batch's records, up to the first that does not validate."""
        mapped: list[MappedRecord] = []
        for record in batches[index]:
            inputs, resources = map_record(record)
            try:
                for path, resource in resources:
                    fhir.validate(resource, path)
            except fhir.InvalidResource as invalid:
                return index, mapped, invalid
            files = [
                (FileEntry.stored(sink, path, dumps(resource), inputs), bundle_bytes(resource))
                for path, resource in resources
            ]
            mapped.append((record.record_type, record.slug, record.current_hash, inputs, files))
        return index, mapped, None

    failed: dict[int, Any] = {}
    # Entered before the fork: each child validates with a memo of its own.
    with fhir.repeated_elements_remembered():
        for index, mapped, invalid in rendering.render_forked(map_batch, list(range(len(batches)))):
            if invalid is not None:
                failed[index] = invalid
            yield from mapped
    if failed:
        raise failed[min(failed)]
