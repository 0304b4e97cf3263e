"""Builds one snapshot's files from the evidence as of an event position.

``SnapshotBuilder(seq, position, previous).build(directory)`` writes every file into
``directory`` (a fresh temporary directory) and returns the manifest. The output depends only
on the event log: the same events give byte-identical files (sorted keys, times taken from
events, no wall clock), so any snapshot can be rebuilt and compared.

Incremental: each per-record file carries an ``inputs`` fingerprint in the manifest (the
versions of every record it shows, plus the renderer's own fingerprint). When the previous
snapshot has the same file with the same fingerprint, its bytes are reused (hard-linked)
instead of rendered again, so an approval only re-renders the pages it touches.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import pickle
import queue
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings

from curation.runtime import cyclic_gc_paused
from evidence.documents import RECORD_TYPES, document_json_schema, referenced_slugs

from . import pages
from .selectors import EvidenceAsOf, RecordState, changes_between, evidence_as_of

logger = logging.getLogger(__name__)
FORMAT = 1
# Builds with fewer pages to render than this render in-process; larger ones fork (one
# process per CPU, PUBLISH_BUILD_PROCESSES), in groups of about GROUP_SIZE records. Settings
# PUBLISH_PARALLEL_THRESHOLD / PUBLISH_RENDER_GROUP_SIZE override them (the tests do).
PARALLEL_THRESHOLD = 400
GROUP_SIZE = 250
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, None) or default)


PLURAL = {
    "topic": "topics",
    "intervention": "interventions",
    "trial": "trials",
    "citation": "citations",
}
ProgressCallback = Callable[[int, int], None]


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def dumps_compact(value: Any) -> bytes:
    """For the large files (evidence.json): no indentation, a third smaller and faster."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + b"\n"


@cache
def renderer_fingerprint() -> str:
    """Changes whenever templates or rendering code change, so stale pages are not reused."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    sources = sorted((here / "jinja2").rglob("*.html")) + [
        here / "pages.py",
        here / "templating.py",
        here / "formatting.py",
        here / "builders.py",
    ]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class PreviousSnapshot:
    seq: int
    position: int
    directory: Path | None = None  # None: do not reuse files (full rebuild)

    def manifest(self) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        try:
            return orjson.loads((self.directory / "manifest.json").read_bytes())
        except FileNotFoundError:
            return None


@dataclass
class BuildResult:
    manifest: dict[str, Any]
    manifest_sha256: str
    files_rendered: int
    files_reused: int
    timings: dict[str, float] = field(default_factory=dict)


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


# Published entries of the last build by the hash of the event behind their current version:
# an unchanged record's entry is the same dict again (built once per version in a worker).
_entry_cache: dict[str, dict[str, Any]] = {}


def cached_entries(records) -> list[dict[str, Any]]:
    entries = []
    for record in records:
        entry = _entry_cache.get(record.current_hash)
        if entry is None:
            entry = _entry_cache[record.current_hash] = record_entry(record)
        entries.append(entry)
    return entries


def forget_stale_entries(evidence: EvidenceAsOf) -> None:
    live = {r.current_hash for t in RECORD_TYPES for r in evidence.records[t].values()}
    for per_event in (_entry_cache, _references_cache):
        for key in [k for k in per_event if k not in live]:
            del per_event[key]


def findings_of(evidence: EvidenceAsOf) -> list[dict[str, Any]]:
    findings = []
    for owner_type in ("topic", "trial"):
        for record in evidence.records[owner_type].values():
            for order, finding in enumerate(record.document.get("findings", [])):
                findings.append(
                    {**finding, "owner_type": owner_type, "owner": record.slug, "order": order}
                )
    return findings


@cache  # the same for every build of this code; generating it also leaves cycles behind
def schema_json() -> bytes:
    return dumps(evidence_schema())


def evidence_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of evidence.json, from the document models' own schemas."""
    defs: dict[str, Any] = {}
    document_refs = {}
    for record_type in RECORD_TYPES:
        schema = document_json_schema(record_type)
        for name, definition in schema.pop("$defs", {}).items():
            if name in defs and defs[name] != definition:
                raise RuntimeError(f"two different schemas are both called {name}")
            defs[name] = definition
        defs[schema["title"]] = schema
        document_refs[record_type] = {"$ref": f"#/$defs/{schema['title']}"}
    nullable_int = {"type": ["integer", "null"]}
    version = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "position",
            "version",
            "type",
            "change_request",
            "proposer",
            "approver",
            "approved_at",
            "rationale",
            "changed_fields",
        ],
        "properties": {
            "position": {"type": "integer", "minimum": 1},
            "version": {"type": "integer", "minimum": 1},
            "type": {"enum": ["created", "revised", "retracted"]},
            "change_request": nullable_int,
            "proposer": {"type": "string"},
            "approver": {"type": "string"},
            "approved_at": {"type": "string", "format": "date-time"},
            "rationale": {"type": "string"},
            "changed_fields": {
                "description": "Paths of the fields this version changed; null when created.",
                "type": ["array", "null"],
                "items": {"type": "string"},
            },
        },
    }
    defs["Version"] = version
    provenance_keys = [
        "version",
        "position",
        "change_request",
        "proposer",
        "approver",
        "approved_at",
    ]
    defs["Provenance"] = {
        "type": "object",
        "additionalProperties": False,
        "required": provenance_keys,
        "properties": {key: version["properties"][key] for key in provenance_keys},
    }

    def record(record_type: str) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "record_type",
                "id",
                "slug",
                "version",
                "provenance",
                "history",
                "document",
            ],
            "properties": {
                "record_type": {"const": record_type},
                "id": {"type": "string", "format": "uuid"},
                "slug": {"type": "string"},
                "version": {"type": "integer", "minimum": 1},
                "provenance": {"$ref": "#/$defs/Provenance"},
                "history": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Version"}},
                "document": document_refs[record_type],
            },
        }

    finding_schema = defs["Finding"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Published evidence (evidence.json)",
        "type": "object",
        "additionalProperties": False,
        "required": ["snapshot", "topics", "interventions", "trials", "citations", "findings"],
        "properties": {
            "snapshot": {
                "type": "object",
                "additionalProperties": False,
                "required": ["seq", "position", "as_of"],
                "properties": {
                    "seq": {"type": "integer", "minimum": 1},
                    "position": {"type": "integer", "minimum": 0},
                    "as_of": {"type": ["string", "null"], "format": "date-time"},
                },
            },
            **{PLURAL[t]: {"type": "array", "items": record(t)} for t in RECORD_TYPES},
            "findings": {
                "description": "Every finding of every topic and trial, with its owner.",
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        *finding_schema.get("required", []),
                        "owner_type",
                        "owner",
                        "order",
                    ],
                    "properties": {
                        **finding_schema["properties"],
                        "owner_type": {"enum": ["topic", "trial"]},
                        "owner": {"type": "string"},
                        "order": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
        "$defs": defs,
    }


def inputs_fingerprint(parts: list[str]) -> str:
    digest = hashlib.sha256(renderer_fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:32]


# Records a document refers to, by the hash of the event that wrote the document (immutable).
_references_cache: dict[str, list[tuple[str, str]]] = {}


def _refs(evidence: EvidenceAsOf, record: RecordState) -> list[str]:
    """What a record's pages show of other records: "type:slug@version" of each."""
    references = _references_cache.get(record.current_hash) if record.current_hash else None
    if references is None:
        references = [
            (ref_type, slug)
            for ref_type, slugs in sorted(
                referenced_slugs(record.record_type, record.document).items()
            )
            for slug in sorted(slugs)
        ]
        if record.current_hash:
            _references_cache[record.current_hash] = references
    records = evidence.records
    return [
        f"{ref_type}:{slug}@{records[ref_type][slug].version if slug in records[ref_type] else 0}"
        for ref_type, slug in references
    ]


def trial_page_inputs(
    evidence: EvidenceAsOf, trial: RecordState, topics: list[RecordState]
) -> list[str]:
    topics = [f"topic:{t.slug}@{t.version}" for t in topics]
    return [
        f"trial:{trial.slug}@{trial.version}",
        *_refs(evidence, trial),
        *topics,
    ]


def topic_page_inputs(evidence: EvidenceAsOf, topic: RecordState) -> list[str]:
    parts = [f"topic:{topic.slug}@{topic.version}", *_refs(evidence, topic)]
    for section in topic.document.get("sections", []):
        for slug in section.get("trials", []):
            trial = evidence.get("trial", slug)
            if trial:
                parts.extend(_refs(evidence, trial))
    return parts


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
        self._made: set[Path] = set()
        self._pages: tuple | None = None
        self.rendered = 0
        self.reused = 0
        self.delay = float(getattr(settings, "PUBLISH_TEST_DELAY_PER_RECORD", 0) or 0)

    # Files ------------------------------------------------------------------------------------

    def write(self, directory: Path, path: str, data: bytes, inputs: str | None = None) -> None:
        target = directory / path
        self._make_parent(target)
        write_file(target, data)
        entry = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        if inputs:
            entry["inputs"] = inputs
        self.files[path] = entry
        self.rendered += 1

    def _make_parent(self, target: Path) -> None:
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)

    def reuse(self, directory: Path, path: str, inputs: str) -> bool:
        """Hard-link the previous snapshot's file if it was made from the same inputs."""
        old = self.previous_files.get(path)
        if not (old and old.get("inputs") == inputs and self.previous.directory is not None):
            return False
        source, target = self.previous.directory / path, directory / path
        self._make_parent(target)
        try:
            os.link(source, target)
        except OSError:
            try:
                shutil.copyfile(source, target)
            except OSError:
                return False
        self.files[path] = dict(old)
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
        entries = {t: cached_entries(evidence.records[t].values()) for t in RECORD_TYPES}
        record_pages = pages.RecordPages(evidence)
        trial_entries = dict(zip((t.slug for t in trials), entries["trial"], strict=True))
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
        self._pages = (directory, evidence, record_pages, trial_entries, pending)
        renderer = self._start_rendering()
        timings["plan"] = time.perf_counter() - mark

        mark = time.perf_counter()
        findings = findings_of(evidence)
        change_count = self.write_snapshot_files(directory, evidence, entries, findings)
        timings["snapshot_files"] = time.perf_counter() - mark

        for rendered in renderer:
            done += rendered
            self.progress(done, total)
        self._pages = None
        timings["pages"] = time.perf_counter() - mark

        counts = {PLURAL[t]: len(evidence.records[t]) for t in RECORD_TYPES}
        counts["findings"] = len(findings)
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
        entries: dict[str, list[dict[str, Any]]],
        findings: list[dict[str, Any]],
    ) -> int:
        """evidence.json, schema.json, changes.json/.html and index.html; returns how many
        records changed since the previous snapshot."""
        published = {
            "snapshot": {"seq": self.seq, "position": self.position, "as_of": evidence.as_of},
            **{PLURAL[t]: entries[t] for t in RECORD_TYPES},
            "findings": findings,
        }
        self.write(directory, "evidence.json", dumps_compact(published))
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
        return len(change_rows)

    @staticmethod
    def page_inputs(evidence, record_pages, trials, topics):
        """(path, inputs fingerprint) of every record page of a group."""
        for trial in trials:
            yield (
                f"trials/{trial.slug}.json",
                inputs_fingerprint([f"trial:{trial.slug}@{trial.version}"]),
            )
            page_inputs = trial_page_inputs(evidence, trial, record_pages.topics_of(trial))
            yield f"trials/{trial.slug}.html", inputs_fingerprint(page_inputs)
        for topic in topics:
            yield (
                f"topics/{topic.slug}.html",
                inputs_fingerprint(topic_page_inputs(evidence, topic)),
            )

    def render_page(self, path: str, inputs: str) -> None:
        directory, evidence, record_pages, trial_entries, _ = self._pages
        folder, name = path.split("/")
        slug, extension = name.rsplit(".", 1)
        if folder == "trials" and extension == "json":
            data = dumps(trial_entries[slug])
        elif folder == "trials":
            data = self._slowly(record_pages.trial_page(evidence.records["trial"][slug]))
        else:
            data = self._slowly(record_pages.topic_page(evidence.records["topic"][slug]))
        self.write(directory, path, data, inputs)

    def render_group(self, group: int) -> int:
        jobs = [(path, inputs) for g, path, inputs in self._pages[4] if g == group]
        for path, inputs in jobs:
            self.render_page(path, inputs)
        return len(jobs)

    def _start_rendering(self) -> Iterator[int]:
        """Start rendering the pages that changed; iterate to wait, getting progress.

        Many pages: forked processes start rendering now, while this process goes on with
        the snapshot-wide files. Few: they are rendered here, when iterated.
        """
        pending = self._pages[4]
        groups = sorted({group for group, _, _ in pending})
        processes = int(getattr(settings, "PUBLISH_BUILD_PROCESSES", 0) or os.cpu_count() or 1)
        if (
            processes <= 1
            or len(pending) < _setting("PUBLISH_PARALLEL_THRESHOLD", PARALLEL_THRESHOLD)
            or len(groups) <= 1
        ):
            return (self.render_group(group) for group in groups)
        logger.info("rendering %s pages in %s forked processes", len(pending), processes)
        return self._collect(*self._fork_renderers(groups, processes))

    def _fork_renderers(
        self, groups: list[int], processes: int
    ) -> tuple[list[RenderingChild], queue.Queue]:
        """os.fork, not multiprocessing: a Celery prefork worker is a daemonic process, and
        multiprocessing refuses to start children from one. Each child renders every
        ``processes``-th group and sends (files, rendered, covered) per group down a pipe; a
        reader thread per child puts them on one queue for the parent (None: a child ended).
        The children inherit the loaded evidence, touch no database (the parent goes on using
        its connection) and leave with os._exit, so they never close what they share with the
        parent."""
        results: queue.Queue = queue.Queue()
        children = []
        for share in (groups[i::processes] for i in range(processes)):
            if not share:
                continue
            read_fd, write_fd = os.pipe()
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:  # the child: render, report, and leave without any cleanup
                _die_with(parent)
                os.close(read_fd)
                out = os.fdopen(write_fd, "wb")
                code = 0
                try:
                    for group in share:
                        self.files, self.rendered = {}, 0
                        covered = self.render_group(group)
                        pickle.dump(("ok", self.files, self.rendered, covered), out)
                        out.flush()
                except BaseException:  # noqa: BLE001 - reported to the parent
                    code = 1
                    pickle.dump(("error", traceback.format_exc()), out)
                    out.flush()
                finally:
                    os._exit(code)
            os.close(write_fd)
            reader = threading.Thread(
                target=_read_child, args=(os.fdopen(read_fd, "rb"), results), daemon=True
            )
            reader.start()
            children.append(RenderingChild(pid, reader))
        return children, results

    def _collect(self, children: list[RenderingChild], results: queue.Queue) -> Iterator[int]:
        """Merge what the children report into the manifest, yielding progress; raise if any
        of them failed."""
        errors = []
        finished = 0
        while finished < len(children):
            message = results.get()
            if message is None:
                finished += 1
            elif message[0] == "error":
                errors.append(message[1])
            else:
                _, files, rendered, covered = message
                self.files.update(files)
                self.rendered += rendered
                yield covered
        for child in children:
            child.reader.join()
            _, status = os.waitpid(child.pid, 0)
            if status and not errors:
                errors.append(f"a rendering process ended with status {status}")
        if errors:
            raise RuntimeError("page rendering failed:\n" + "\n".join(errors))

    def _slowly(self, data: bytes) -> bytes:
        # Tests slow builds down to kill a worker in the middle of one; zero otherwise.
        if self.delay:
            time.sleep(self.delay)
        return data


@dataclass
class RenderingChild:
    pid: int
    reader: threading.Thread


def _die_with(parent: int) -> None:
    """Make this forked renderer die when the build process does.

    A worker killed mid-build (SIGKILL from Celery's hard time limit, the OOM killer, an
    operator) would otherwise leave its renderers running for minutes, holding a copy of its
    database socket: PostgreSQL would keep the dead worker's session, and with it the publish
    lock, until they finished. Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op.
    """
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # libc, already loaded
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the build process died before prctl took effect
        os._exit(1)


def write_file(target: Path, data: bytes) -> None:
    """Path.write_bytes without the buffered-file layer: a build writes 20,000 files and
    the layer cost a tenth of the time it takes to write them."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _read_child(pipe, results: queue.Queue) -> None:
    with pipe:
        while True:
            try:
                results.put(pickle.load(pipe))  # noqa: S301 - our own forked child
            except EOFError:
                break
    results.put(None)


def page_groups(
    trials: list[RecordState], topics: list[RecordState], record_pages: pages.RecordPages
) -> list[tuple[list[RecordState], list[RecordState]]]:
    """Split the record pages into groups of about GROUP_SIZE records, each topic with its
    trials, so that a trial's block is rendered in the process that renders its topic."""
    groups: list[tuple[list[RecordState], list[RecordState]]] = []
    placed: set[str] = set()
    current: tuple[list, list] = ([], [])
    group_size = _setting("PUBLISH_RENDER_GROUP_SIZE", GROUP_SIZE)
    for topic in topics:
        for section in topic.document.get("sections", []):
            for slug in section.get("trials", []):
                if slug not in placed and slug in record_pages.evidence.records["trial"]:
                    placed.add(slug)
                    current[0].append(record_pages.evidence.records["trial"][slug])
        current[1].append(topic)
        if len(current[0]) + len(current[1]) >= group_size:
            groups.append(current)
            current = ([], [])
    for trial in trials:
        if trial.slug not in placed:
            current[0].append(trial)
            if len(current[0]) >= group_size:
                groups.append(current)
                current = ([], [])
    if current[0] or current[1]:
        groups.append(current)
    return groups


def compare_directories(expected: Path, actual: Path) -> list[str]:
    """Differences between two snapshot directories, file by file (empty when identical)."""

    def listing(root: Path) -> dict[str, Path]:
        return {
            str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file() or p.is_symlink()
        }

    left, right = listing(expected), listing(actual)
    problems = [f"missing from the rebuild: {p}" for p in sorted(left.keys() - right.keys())]
    problems += [f"only in the rebuild: {p}" for p in sorted(right.keys() - left.keys())]
    for path in sorted(left.keys() & right.keys()):
        if left[path].read_bytes() != right[path].read_bytes():
            problems.append(f"differs: {path}")
    return problems
