"""Builds one snapshot's files from the evidence as of an event position.

``SnapshotBuilder(seq, position, previous).build(directory)`` writes every file into
``directory`` (a fresh temporary directory) and returns the manifest. The output depends only
on the event log: the same events give byte-identical files (sorted keys, times taken from
events, no wall clock), so any snapshot can be rebuilt and compared.

Every snapshot also carries the evidence as FHIR R5 (``fhir_files``), validated as it is
written.

Incremental: each per-record file carries an ``inputs`` fingerprint in the manifest (the
versions of every record it shows, plus the renderer's own fingerprint; see
``fingerprints``). When the previous snapshot has the same file with the same fingerprint,
its manifest entry is reused (its body is an object both snapshots share) instead of being
rendered again, so an approval only re-renders the pages it touches, stores only their bodies
and rewrites only the manifest parts that list them (``manifest``).

A warm worker's build changes the previous files dict in place, touching only what shows the
records written since (``warm_snapshot.touched_since``, ``composite.ChunkedArray``).

``build_into(sink)`` stores bodies as objects (publication); ``build(directory)`` writes every
file, the manifest and its parts at their paths (a rebuild to compare, nothing reused).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.runtime import cyclic_gc_paused
from evidence.documents import record_types

from .. import pages
from ..selectors import EvidenceAsOf, evidence_as_of
from . import composite, rendering
from . import manifest as split_manifest
from .changes_files import write_changes_files
from .composite import CompositeWriter
from .entries import forget_entries_of, forget_stale_entries, record_entry
from .fhir_files import warm_fhir, write_fhir_files
from .file_entry import FileEntry
from .file_table import FileTable, as_file_table
from .files import dumps
from .fingerprints import inputs_fingerprint
from .rendering import GroupResult, PendingPages, RenderPlan, page_groups
from .schema import schema_json
from .sinks import TreeSink
from .warm_pages import page_parts, warm_pages
from .warm_snapshot import touched_since, warm_snapshot

logger = logging.getLogger(__name__)
FORMAT = split_manifest.FORMAT
ProgressCallback = Callable[[int, int], None]
# The sha256 of the manifest this process built last, its files and its parts: the next build
# starts from them instead of reading every part again (parsing costs as much as writing).
_last_built: list[Any] = [None, None, None]


def last_built(manifest_sha256: str) -> tuple[dict, split_manifest.PartTable] | None:
    return (_last_built[1], _last_built[2]) if _last_built[0] == manifest_sha256 else None


@dataclass
class PreviousSnapshot:
    seq: int
    position: int
    state: Any = None  # storage.PreviousState; None: reuse nothing (full rebuild)


@dataclass
class BuildResult:
    meta: dict[str, Any]  # manifest.json
    files: FileTable  # every file's entry by path
    manifest_bytes: bytes
    manifest_sha256: str
    files_rendered: int
    files_reused: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest with every file listed (as one unsplit list, in path order)."""
        return {**self.meta, "files": [self.files[path] for path in sorted(self.files)]}


class SnapshotBuilder:
    def __init__(
        self,
        seq: int,
        position: int,
        previous: PreviousSnapshot | None = None,
        progress: ProgressCallback | None = None,
    ):
        self.seq = seq
        self.position = position
        self.previous = previous
        self.progress = progress or (lambda done, total: None)
        self.files: FileTable = FileTable()
        # Shards with a path written (not the paths: 1.7 M at 100k trials); in place, paths too.
        self.dirty: set[int] = set()
        self.written: set[str] = set()
        # A warm build changes the previous snapshot's files dict in place (``in_place``):
        # the paths it removes are noted, the others are the previous snapshot's.
        self.in_place = False
        self.removed: set[str] = set()
        self.sink = None
        self._plan: RenderPlan | None = None
        self.rendered = self.reused = 0

    # Files ------------------------------------------------------------------------------------

    def write(self, path: str, data: bytes, inputs: str | None = None) -> None:
        self.add_written(FileEntry.stored(self.sink, path, data, inputs))

    def add_written(self, entry: FileEntry) -> None:
        """A file whose body was stored (here or by a forked child): its manifest entry."""
        self.files[entry.path] = entry
        self._written(entry.path)
        self.rendered += 1

    def _written(self, path: str) -> None:
        self.dirty.add(split_manifest.shard_number(path))
        if self.in_place:
            self.written.add(path)

    def remove(self, path: str) -> None:
        """A file of the previous snapshot that this one no longer has (in place only)."""
        if self.files.pop(path, None) is not None:
            self.removed.add(path)

    def add_composite(self, writer: CompositeWriter) -> None:
        """A whole-corpus file whose parts ``writer`` stored (``composite``)."""
        entry = writer.entry()
        self.files[writer.path] = entry
        self._written(writer.path)
        self.rendered += 1

    def reuse(self, path: str, inputs: str) -> bool:
        """Keep the previous snapshot's file if it was made from the same inputs: its manifest
        entry, whose body both snapshots share."""
        old = self.previous_files.get(path)
        if not (old and old.get("inputs") == inputs and self.sink.reuses):
            return False
        if not self.sink.reuse(path, old):
            return False
        self.files[path] = old  # entries are never changed once made
        self.reused += 1
        return True

    # Build ------------------------------------------------------------------------------------

    def build(self, directory: Path) -> BuildResult:
        """Every file, the manifest and its parts at their paths in ``directory``."""
        result = self.build_into(TreeSink(directory))
        (directory / "manifest.json").write_bytes(result.manifest_bytes)
        return result

    def follows_build(self, files_of: dict | None, identity) -> bool:
        """Whether this build starts from the snapshot whose files dict is ``files_of`` (the
        one a warm table was filled beside), in the same store (``identity``), with no
        old-format bodies left to bring in: only then does the table describe exactly the
        previous snapshot (``fhir_files.WarmFhir``, ``warm_pages``)."""
        return (
            files_of is not None
            and self.previous_files is files_of
            and self.sink.reuses
            and self.sink.legacy_dir is None
            and identity == self.sink.identity
        )

    def build_into(self, sink) -> BuildResult:
        """Store the snapshot's bodies and manifest parts in ``sink`` (``sinks``); the result
        carries manifest.json, for the store to put in place."""
        self.sink = sink
        state = self.previous.state if self.previous and sink.reuses else None
        if state is not None and state.legacy_dir is not None:
            sink.legacy_dir = state.legacy_dir
        self.previous_files = as_file_table(state.files if state is not None else None)
        self.previous_parts = state.parts if state is not None else split_manifest.PartTable.empty()
        # A build allocates millions of acyclic dicts and strings and leaves no cycles
        # behind (tested); the cyclic collector would walk the loaded evidence again and again.
        composite.begin(sink.identity)
        with cyclic_gc_paused():
            result = self._build()
        composite.end()
        if sink.reuses:
            _last_built[:] = [result.manifest_sha256, result.files, self.part_table]
            # What the worker keeps for the next build is long-lived and acyclic: out of the
            # cyclic collector's walks, which would otherwise cost a warm approval seconds.
            gc.freeze()
        return result

    def _build(self) -> BuildResult:
        """Load, then render the record pages that changed (forked when there are many) while
        this process writes the snapshot-wide files, then write the manifest."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        evidence = evidence_as_of(self.position)
        timings["load"] = time.perf_counter() - started
        trials = list(evidence.records["trial"].values())
        topics = list(evidence.records["topic"].values())
        total = 2 * len(trials) + len(topics) + 1  # record pages, plus the snapshot-wide files
        self.progress(0, total)

        mark = time.perf_counter()
        record_pages = self.record_pages = pages.RecordPages(evidence)
        touched = touched_since(self)  # the records written since, on a warm worker
        if touched is not None:
            self.in_place, self.files = True, self.previous_files
            # Until this build is complete, no one may take the files dict for the previous
            # snapshot's: it is being changed.
            _last_built[:] = [None, None, None]
            for table in (warm_pages, warm_fhir, warm_snapshot):
                table.files_of = None
            pending = warm_pages.plan(self, evidence, touched)
        else:
            pending = self.plan_every_page(evidence, record_pages, trials, topics)
        done = total - 1 - len(pending)
        self.progress(done, total)
        self._plan = RenderPlan(evidence, record_pages, pending)
        renderer = self._start_rendering()
        timings["plan"] = time.perf_counter() - mark

        mark = time.perf_counter()
        change_count, findings = self.write_snapshot_files(evidence, touched)
        timings["snapshot_files"] = time.perf_counter() - mark

        fhir_mark = time.perf_counter()
        write_fhir_files(self, evidence, touched)
        timings["fhir"] = time.perf_counter() - fhir_mark

        for rendered in renderer:
            done += rendered
            self.progress(done, total)
        self._plan = None
        warm_pages.finish(self)
        warm_snapshot.finish(self)
        if self.in_place:
            self.reused = len(self.files) - len(self.written)
        timings["pages"] = time.perf_counter() - mark

        mark = time.perf_counter()
        counts = {e.plural: len(evidence.records[e.name]) for e in record_types.REGISTRY}
        counts["findings"] = findings
        counts["changed_records"] = change_count
        meta = {
            "format": FORMAT,
            "seq": self.seq,
            "position": self.position,
            "as_of": evidence.as_of,
            "previous": (
                {"seq": self.previous.seq, "position": self.previous.position}
                if self.previous
                else None
            ),
            "counts": counts,
            "parts": self._store_parts(),
        }
        if self.in_place:
            forget_entries_of(warm_pages.stale)
        else:
            forget_stale_entries(evidence)
        manifest_bytes = dumps(meta)
        manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
        timings["manifest"] = time.perf_counter() - mark
        self.progress(total, total)
        timings["total"] = time.perf_counter() - started
        return BuildResult(
            meta=meta,
            files=self.files,
            manifest_bytes=manifest_bytes,
            manifest_sha256=manifest_sha256,
            files_rendered=self.rendered,
            files_reused=self.reused,
            timings=timings,
        )

    def _store_parts(self) -> list[dict[str, Any]]:
        """The manifest's parts: those listing a path written or removed in this build are
        made and stored again, the others are the previous snapshot's."""
        # In place, the removed paths are noted; otherwise, what the previous snapshot had.
        removed = (
            self.removed if self.in_place else self.previous_files.paths_missing_from(self.files)
        )

        def store_part(path: str, data: bytes, count: int) -> dict[str, Any]:
            sha256 = hashlib.sha256(data).hexdigest()
            self.sink.put(path, sha256, data)
            return split_manifest.part_entry(path, sha256, len(data), count)

        dirty = self.dirty | split_manifest.shards_of(removed)
        parts, self.part_table = split_manifest.split(
            self.files, dirty, self.previous_parts, store_part
        )
        return parts

    def write_snapshot_files(
        self,
        evidence: EvidenceAsOf,
        touched: set[tuple[str, str]] | None,
    ) -> tuple[int, int]:
        """evidence.json, schema.json, changes.json/.html and index.html; returns how many
        records changed since the previous snapshot, and how many findings there are.
        ``touched``: the records written since, on a warm build (``touched_since``)."""
        snapshot = {"seq": self.seq, "position": self.position, "as_of": evidence.as_of}
        self.write("schema.json", schema_json())
        changes = write_changes_files(
            self,
            evidence,
            {
                "previous_seq": self.previous.seq if self.previous else None,
                "from_position": self.previous.position if self.previous else 0,
                "to_position": self.position,
            },
        )
        if touched is None:
            findings = warm_snapshot.write_whole(self, evidence, snapshot, changes)
        else:
            findings = warm_snapshot.write_touched(self, evidence, snapshot, changes, touched)
        return changes, findings

    def plan_every_page(self, evidence, record_pages, trials, topics) -> list:
        """(group, path, inputs) of every record page whose inputs changed since the previous
        snapshot; the others are reused. Fills the warm worker's table afresh."""
        warm_pages.reset(self, evidence)
        pending = PendingPages()
        for group, (group_trials, group_topics) in enumerate(
            page_groups(trials, topics, record_pages)
        ):
            to_render = []
            for path, owner, parts in page_parts(
                evidence, record_pages, group_trials, group_topics
            ):
                warm_pages.note(path, owner, parts)
                inputs = self.inputs_of(parts)
                if not self.reuse(path, inputs):
                    to_render.append((path, inputs))
            pending.add_group(group, to_render)
        return pending

    @staticmethod
    def inputs_of(parts: list[str]) -> str:
        return inputs_fingerprint(parts)

    def render_page(self, path: str, inputs: str) -> None:
        plan = self._plan
        evidence, record_pages = plan.evidence, plan.record_pages
        folder, name = path.split("/")
        slug, extension = name.rsplit(".", 1)
        record_type = next(e.name for e in record_types.REGISTRY if e.plural == folder)
        if extension == "json":  # a record file: trials only (``RecordType.record_files``)
            # Made afresh, not kept: a forked renderer would keep every trial's entry.
            data = dumps(record_entry(evidence.records["trial"][slug]))
        else:
            render = getattr(record_pages, f"{record_type}_page")  # trial_page, topic_page
            data = render(evidence.records[record_type][slug])
        self.write(path, data, inputs)

    def render_group(self, group: int) -> int:
        jobs = self._plan.pending.of_group(group)
        for path, inputs in jobs:
            self.render_page(path, inputs)
        self._plan.record_pages.forget_rendered()
        return len(jobs)

    def _render_group_apart(self, group: int) -> GroupResult:
        """In a forked child: render one group and give what it added to the manifest."""
        self.parent_files = self.files  # the parent's table: kept referenced, never closed here
        self.files, self.rendered = {}, 0
        covered = self.render_group(group)
        return self.files, self.rendered, covered

    def _start_rendering(self) -> Iterator[int]:
        """Start rendering the pages that changed; iterate to wait, getting progress.

        Many pages: forked processes start rendering now, while this process goes on with
        the snapshot-wide files. Few: they are rendered here, when iterated.
        """
        pending = self._plan.pending
        groups = pending.groups()
        if not rendering.should_fork(len(pending), len(groups)):
            return (self.render_group(group) for group in groups)
        logger.info("rendering %s pages in forked processes", len(pending))
        return self._merge(rendering.render_forked(self._render_group_apart, groups))

    def _merge(self, results: Iterator[GroupResult]) -> Iterator[int]:
        for files, rendered, covered in results:
            self.files.update(files)
            for path in files:
                self._written(path)
            self.rendered += rendered
            yield covered
