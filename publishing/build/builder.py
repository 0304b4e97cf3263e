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
its bytes are reused (hard-linked) instead of rendered again, so an approval only re-renders
the pages it touches.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from curation.runtime import cyclic_gc_paused
from evidence.documents import record_types

from .. import pages
from ..selectors import EvidenceAsOf, changes_between, evidence_as_of
from .entries import EntryParts, forget_stale_entries
from .fhir_files import write_fhir_files
from .files import dumps, write_file
from .fingerprints import inputs_fingerprint, topic_page_inputs, trial_page_inputs
from .rendering import GroupResult, page_groups, render_forked, should_fork
from .schema import schema_json

logger = logging.getLogger(__name__)
FORMAT = 1
ProgressCallback = Callable[[int, int], None]
# (device, inode, size, mtime) of the manifest this process wrote last, and the manifest.
_last_manifest: list[Any] = [None, None]


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass
class RenderPlan:
    """What the record pages of one build are rendered from, and which still need rendering:
    (group, path, inputs fingerprint) of each page not reused from the previous snapshot."""

    directory: Path
    evidence: EvidenceAsOf
    record_pages: pages.RecordPages
    entries: EntryParts
    pending: list[tuple[int, str, str]]


@dataclass
class PreviousSnapshot:
    seq: int
    position: int
    directory: Path | None = None  # None: do not reuse files (full rebuild)

    def manifest(self) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        path = self.directory / "manifest.json"
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        # The manifest this worker wrote last is kept (parsing it costs as much as writing
        # it): the same file (inode; builds are renamed into place), unchanged since.
        identity = _identity(stat)
        if _last_manifest[0] == identity:
            return _last_manifest[1]
        return orjson.loads(path.read_bytes())


@dataclass
class BuildResult:
    manifest: dict[str, Any]
    manifest_sha256: str
    files_rendered: int
    files_reused: int
    timings: dict[str, float] = field(default_factory=dict)


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
        self.files: dict[str, dict[str, Any]] = {}
        self._made: set[str] = set()  # directories made (paths as strings)
        self._plan: RenderPlan | None = None
        self.rendered = 0
        self.reused = 0

    # Files ------------------------------------------------------------------------------------

    def write(self, directory: Path, path: str, data: bytes, inputs: str | None = None) -> None:
        target = directory / path
        self._make_parent(str(target))
        write_file(target, data)
        entry = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        if inputs:
            entry["inputs"] = inputs
        self.files[path] = entry
        self.rendered += 1

    def _make_parent(self, target: str) -> None:
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)

    def reuse(self, directory: Path, path: str, inputs: str) -> bool:
        """Hard-link the previous snapshot's file if it was made from the same inputs.

        Plain string paths, not pathlib: an approval links every unchanged file (120,000 at
        7,000 trials, most of them FHIR resources), and pathlib's parsing cost more than the
        links themselves (profiled)."""
        old = self.previous_files.get(path)
        if not (old and old.get("inputs") == inputs and self.previous.directory is not None):
            return False
        source = f"{self.previous.directory}/{path}"
        target = f"{directory}/{path}"
        self._make_parent(target)
        try:
            os.link(source, target)
        except OSError:
            try:
                shutil.copyfile(source, target)
            except OSError:
                return False
        self.files[path] = old  # manifest entries are never changed once made
        self.reused += 1
        return True

    # Build ------------------------------------------------------------------------------------

    def build(self, directory: Path) -> BuildResult:
        # A build allocates millions of acyclic dicts and strings and leaves no cycles
        # behind (tested); the cyclic collector would walk the loaded evidence again and again.
        with cyclic_gc_paused():
            return self._build(directory)

    def _build(self, directory: Path) -> BuildResult:
        """Load, then render the record pages that changed (forked when there are many) while
        this process writes the snapshot-wide files, then write the manifest."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        previous_manifest = self.previous.manifest() if self.previous else None
        self.previous_files = {f["path"]: f for f in (previous_manifest or {}).get("files", [])}
        evidence = evidence_as_of(self.position)
        timings["load"] = time.perf_counter() - started
        trials = list(evidence.records["trial"].values())
        topics = list(evidence.records["topic"].values())
        total = 2 * len(trials) + len(topics) + 1  # record pages, plus the snapshot-wide files
        self.progress(0, total)

        mark = time.perf_counter()
        entries = EntryParts()
        record_pages = pages.RecordPages(evidence)
        pending = []  # (group, path, inputs): pages whose inputs changed since the previous
        for group, (group_trials, group_topics) in enumerate(
            page_groups(trials, topics, record_pages)
        ):
            for path, inputs in self.page_inputs(
                evidence, record_pages, group_trials, group_topics
            ):
                if not self.reuse(directory, path, inputs):
                    pending.append((group, path, inputs))
        done = total - 1 - len(pending)
        self.progress(done, total)
        self._plan = RenderPlan(directory, evidence, record_pages, entries, pending)
        renderer = self._start_rendering()
        timings["plan"] = time.perf_counter() - mark

        mark = time.perf_counter()
        change_count, findings = self.write_snapshot_files(directory, evidence, entries)
        timings["snapshot_files"] = time.perf_counter() - mark

        fhir_mark = time.perf_counter()
        write_fhir_files(self, directory, evidence)
        timings["fhir"] = time.perf_counter() - fhir_mark

        for rendered in renderer:
            done += rendered
            self.progress(done, total)
        self._plan = None
        timings["pages"] = time.perf_counter() - mark

        counts = {e.plural: len(evidence.records[e.name]) for e in record_types.REGISTRY}
        counts["findings"] = findings
        counts["changed_records"] = change_count
        manifest = {
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
            "files": [self.files[path] for path in sorted(self.files)],
        }
        forget_stale_entries(evidence)
        manifest_bytes = dumps(manifest)
        (directory / "manifest.json").write_bytes(manifest_bytes)
        _last_manifest[:] = [_identity((directory / "manifest.json").stat()), manifest]
        self.progress(total, total)
        timings["total"] = time.perf_counter() - started
        return BuildResult(
            manifest=manifest,
            manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
            files_rendered=self.rendered,
            files_reused=self.reused,
            timings=timings,
        )

    def write_snapshot_files(
        self,
        directory: Path,
        evidence: EvidenceAsOf,
        entries: EntryParts,
    ) -> tuple[int, int]:
        """evidence.json, schema.json, changes.json/.html and index.html; returns how many
        records changed since the previous snapshot, and how many findings there are."""
        snapshot = {"seq": self.seq, "position": self.position, "as_of": evidence.as_of}
        published, findings = entries.evidence_json(evidence, snapshot)
        self.write(directory, "evidence.json", published)
        del published  # tens of megabytes: not kept while the pages are written
        self.write(directory, "schema.json", schema_json())
        previous_position = self.previous.position if self.previous else 0
        change_rows = pages.change_rows(changes_between(previous_position, self.position))
        changes_meta = {
            "previous_seq": self.previous.seq if self.previous else None,
            "from_position": previous_position,
            "to_position": self.position,
        }
        self.write(directory, "changes.json", dumps({**changes_meta, "records": change_rows}))
        self.write(
            directory,
            "changes.html",
            pages.changes_page(change_rows, changes_meta, evidence, self.seq),
        )
        self.write(directory, "index.html", pages.index_page(evidence, self.seq, len(change_rows)))
        return len(change_rows), findings

    @staticmethod
    def page_inputs(evidence, record_pages, trials, topics):
        """(path, inputs fingerprint) of every record page of a group."""
        trial_type, topic_type = record_types.get("trial"), record_types.get("topic")
        for trial in trials:
            yield (
                trial_type.record_file_path(trial.slug),
                inputs_fingerprint([f"trial:{trial.slug}@{trial.version}"]),
            )
            page_inputs = trial_page_inputs(evidence, trial, record_pages.topics_of(trial))
            yield trial_type.page_path(trial.slug), inputs_fingerprint(page_inputs)
        for topic in topics:
            yield (
                topic_type.page_path(topic.slug),
                inputs_fingerprint(topic_page_inputs(evidence, topic)),
            )

    def render_page(self, path: str, inputs: str) -> None:
        plan = self._plan
        directory, evidence, record_pages = plan.directory, plan.evidence, plan.record_pages
        folder, name = path.split("/")
        slug, extension = name.rsplit(".", 1)
        record_type = next(e.name for e in record_types.REGISTRY if e.plural == folder)
        if extension == "json":  # a record file: trials only (``RecordType.record_files``)
            data = dumps(plan.entries.entry(evidence.records["trial"][slug]))
        else:
            render = getattr(record_pages, f"{record_type}_page")  # trial_page, topic_page
            data = render(evidence.records[record_type][slug])
        self.write(directory, path, data, inputs)

    def render_group(self, group: int) -> int:
        jobs = [(path, inputs) for g, path, inputs in self._plan.pending if g == group]
        for path, inputs in jobs:
            self.render_page(path, inputs)
        return len(jobs)

    def _render_group_apart(self, group: int) -> GroupResult:
        """In a forked child: render one group and give what it added to the manifest."""
        self.files, self.rendered = {}, 0
        covered = self.render_group(group)
        return self.files, self.rendered, covered

    def _start_rendering(self) -> Iterator[int]:
        """Start rendering the pages that changed; iterate to wait, getting progress.

        Many pages: forked processes start rendering now, while this process goes on with
        the snapshot-wide files. Few: they are rendered here, when iterated.
        """
        pending = self._plan.pending
        groups = sorted({group for group, _, _ in pending})
        if not should_fork(len(pending), len(groups)):
            return (self.render_group(group) for group in groups)
        logger.info("rendering %s pages in forked processes", len(pending))
        return self._merge(render_forked(self._render_group_apart, groups))

    def _merge(self, results: Iterator[GroupResult]) -> Iterator[int]:
        for files, rendered, covered in results:
            self.files.update(files)
            self.rendered += rendered
            yield covered
