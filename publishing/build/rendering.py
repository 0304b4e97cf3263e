"""Rendering record pages in forked processes, and how pages are grouped for it.

os.fork, not multiprocessing: a Celery prefork worker is a daemonic process, and
multiprocessing refuses to start children from one. The children inherit the loaded evidence,
touch no database (the parent goes on using its connection) and leave with ``os._exit``, so
they never close what they share with the parent.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ..pages import RecordPages
from ..selectors import EvidenceAsOf, RecordState

# Builds with fewer pages to render than this render in-process; larger ones fork (one
# process per CPU, PUBLISH_BUILD_PROCESSES), in groups of about GROUP_SIZE records. Settings
# PUBLISH_PARALLEL_THRESHOLD / PUBLISH_RENDER_GROUP_SIZE override them (the tests do).
PARALLEL_THRESHOLD = 400
GROUP_SIZE = 250
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

# What rendering one group gives: (manifest entries by path, files rendered, pages covered).
GroupResult = tuple[dict[str, dict[str, Any]], int, int]


class PendingPages:
    """(path, inputs fingerprint) of each record page still to render, by render group.

    A group's pages are kept as one string ("path\tinputs" lines): a first build at 100,000
    trials has 210,000 pages to render, and a tuple of two strings for each held about 45 MB
    of the build process (and of every forked renderer) until the end of rendering. Neither a
    path nor a fingerprint holds a tab or a newline.
    """

    def __init__(self) -> None:
        self._groups: dict[int, str] = {}
        self._count = 0

    def add_group(self, group: int, pages: list[tuple[str, str]]) -> None:
        if not pages:
            return
        if group in self._groups:
            raise ValueError(f"render group {group} was planned twice")
        self._groups[group] = "\n".join(f"{path}\t{inputs}" for path, inputs in pages)
        self._count += len(pages)

    def __len__(self) -> int:
        return self._count

    def groups(self) -> list[int]:
        return sorted(self._groups)

    def of_group(self, group: int) -> list[tuple[str, str]]:
        joined = self._groups.get(group)
        if not joined:
            return []
        return [tuple(line.split("\t")) for line in joined.split("\n")]

    def __iter__(self) -> Iterator[tuple[int, str, str]]:
        """(group, path, inputs) of every page, by group."""
        for group in self.groups():
            for path, inputs in self.of_group(group):
                yield group, path, inputs


@dataclass
class RenderPlan:
    """What the record pages of one build are rendered from, and which still need rendering:
    the pages not reused from the previous snapshot."""

    evidence: EvidenceAsOf
    record_pages: RecordPages
    pending: PendingPages


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, None) or default)


def render_processes() -> int:
    return int(getattr(settings, "PUBLISH_BUILD_PROCESSES", 0) or os.cpu_count() or 1)


def should_fork(pending: int, groups: int) -> bool:
    """Fork only when it pays: several processes, several groups, and enough pages."""
    return (
        render_processes() > 1
        and pending >= _setting("PUBLISH_PARALLEL_THRESHOLD", PARALLEL_THRESHOLD)
        and groups > 1
    )


@dataclass
class RenderingChild:
    pid: int
    reader: threading.Thread


def render_forked(
    render_group: Callable[[int], GroupResult], groups: list[int]
) -> Iterator[GroupResult]:
    """Render ``groups`` in forked children, yielding each group's result as it arrives;
    raise once all children ended if any of them failed.

    Each child renders every ``processes``-th group and sends its results down a pipe; a
    reader thread per child puts them on one queue for the parent (None: a child ended).
    """
    processes = render_processes()
    results: queue.Queue = queue.Queue()
    children = []
    for share in (groups[i::processes] for i in range(processes)):
        if share:
            children.append(_fork_child(render_group, share, results))
    errors = []
    finished = 0
    while finished < len(children):
        message = results.get()
        if message is None:
            finished += 1
        elif message[0] == "error":
            errors.append(message[1])
        else:
            yield message[1]
    for child in children:
        child.reader.join()
        _, status = os.waitpid(child.pid, 0)
        if status and not errors:
            errors.append(f"a rendering process ended with status {status}")
    if errors:
        raise RuntimeError("page rendering failed:\n" + "\n".join(errors))


def _fork_child(
    render_group: Callable[[int], GroupResult], share: list[int], results: queue.Queue
) -> RenderingChild:
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
                pickle.dump(("ok", render_group(group)), out)
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
    return RenderingChild(pid, reader)


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


def _read_child(pipe, results: queue.Queue) -> None:
    with pipe:
        while True:
            try:
                results.put(pickle.load(pipe))  # noqa: S301 - our own forked child
            except EOFError:
                break
    results.put(None)


def page_groups(
    trials: list[RecordState], topics: list[RecordState], record_pages: RecordPages
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
