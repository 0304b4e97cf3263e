"""Propose + approve by several processes at once, each on trials of its own: the service's
throughput (issue 16's 200 pairs per second), not one client's latency. Used by
``bench_eventstore`` after its serial pairs, beside which it is printed."""

from __future__ import annotations

import os
import statistics
import time

from bench.bench_eventstore import ms


def concurrent_pairs(workers: int, pairs: int, versions: dict, proposer, approver) -> dict:
    """``workers`` processes at once (forked, each with its own connection), each proposing and
    approving revisions of trials of its own (every ``workers``-th of ``versions``: slug ->
    (version, document)), ``pairs`` in all: total pairs per second from the first start to
    the last finish (the publish request after each commit included, as served)."""
    import multiprocessing

    from django.db import connections

    from curation import eventstore

    before = eventstore.last_position()
    # Closed before the fork: each child opens its own (one closing an inherited socket would
    # end the parent's session too).
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(workers)
    per_worker = [pairs // workers + (k < pairs % workers) for k in range(workers)]
    slugs = sorted(versions)
    answers = context.Queue()
    processes = [
        context.Process(
            target=_worker_pairs,
            # Forked: the arguments are inherited, not pickled.
            args=(
                {s: versions[s] for s in slugs[k::workers]},
                per_worker[k],
                (proposer, approver),
                start,
                answers,
            ),
        )
        for k in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [answers.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    if failed := [o["error"] for o in outcomes if "error" in o]:
        raise RuntimeError(f"a concurrent worker failed: {failed[0]}")
    appended = eventstore.last_position() - before
    began = min(o["started"] for o in outcomes)
    ended = max(o["ended"] for o in outcomes)
    done = sum(o["pairs"] for o in outcomes)
    return {
        "workers": workers,
        "pairs": done,
        "events_appended": appended,
        "seconds": round(ended - began, 2),
        "propose_approve_per_second": round(done / (ended - began), 1),
        "approve_ms_median": round(statistics.median(o["approve_ms"] for o in outcomes), 2),
        "propose_ms_median": round(statistics.median(o["propose_ms"] for o in outcomes), 2),
    }


def _worker_pairs(versions: dict, count: int, users: tuple, start, answers) -> None:
    """One concurrent worker: ``count`` propose + approve pairs on its own trials; what it
    measured (or the error that stopped it) goes to ``answers``."""
    try:
        answers.put(_pairs(versions, count, *users, start))
    except BaseException as exc:  # the parent reports it; a worker never hangs the run
        start.abort()
        answers.put({"error": repr(exc)})


def _pairs(state: dict, count: int, proposer, approver, start) -> dict:
    from django.db import connections

    from curation import services

    slugs = sorted(state)
    proposes, approves = [], []
    start.wait()
    started = time.perf_counter()
    for i in range(count):
        slug = slugs[i % len(slugs)]
        version, doc = state[slug]
        doc = {**doc, "summary": f"Concurrent revision {i} by {os.getpid()}"}
        t0 = time.perf_counter()
        cr = propose_revision(proposer, slug, version, doc)
        t1 = time.perf_counter()
        services.approve(cr, user=approver)
        approves.append(time.perf_counter() - t1)
        proposes.append(t1 - t0)
        state[slug] = (version + 1, doc)
    ended = time.perf_counter()
    connections.close_all()
    return {
        "started": started,
        "ended": ended,
        "pairs": count,
        "approve_ms": ms(approves),
        "propose_ms": ms(proposes),
    }


def propose_revision(proposer, slug: str, base_version: int, document: dict):
    """A benchmark revision of trial ``slug`` proposed through the services."""
    from curation import services  # after django.setup(), as this module's other imports

    return services.propose(
        user=proposer,
        record_type="trial",
        action="revise",
        record=slug,
        base_version=base_version,
        document=document,
        rationale="benchmark",
    )
