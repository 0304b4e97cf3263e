"""Building snapshots: the files of one snapshot from the evidence as of an event position.

- ``builder``: ``SnapshotBuilder``, the orchestration (plan, reuse, render, manifest);
- ``manifest``: the manifest split in parts by path, rewritten only where files changed;
- ``composite``: evidence.json and the FHIR bundle stored as chunks of records;
- ``sinks``: where bodies go (content-addressed objects, or a plain directory for rebuilds);
- ``entries``: records as ``evidence.json`` publishes them (cached per event);
- ``fingerprints``: what each page is made from, so unchanged pages are reused;
- ``rendering``: page groups, rendered in forked processes when there are many;
- ``fhir_files``: the FHIR R5 resources of every record and their bundle (validated);
- ``schema``: the JSON Schema of ``evidence.json``;
- ``files``: encodings, writing files, comparing snapshot directories.
"""

from .builder import BuildResult, PreviousSnapshot, SnapshotBuilder
from .files import compare_directories

__all__ = ["BuildResult", "PreviousSnapshot", "SnapshotBuilder", "compare_directories"]
