"""Event-store benchmarks, each figure beside the peer's (pyeventsourcing on the same
PostgreSQL, same documents) and the floor's (the same SQL written by hand), runs alternating:

- approve one change request (services) vs the peer's read-modify-save of one aggregate;
  propose + approve per second, serially and by ``--workers`` processes at once (each on
  trials of its own: the service's throughput, not one client's latency), the log checked
  gapless and chained afterwards;
- one append per transaction: ``eventstore.append`` vs the peer's save vs the floor;
- a batch approval (``approve_change_requests``) in events per second;
- the whole-log read, decoded: ``eventstore.read_log`` vs the peer's ``select_notifications``
  plus decoding into domain events;
- upcasting v1 documents and ``reading.changed_paths``; a replay and the chain's check.

The corpus (``--events`` / 10 trials with their citations, interventions and topics, at least
one trial per approval and per request of the batch) is loaded through the batch path; the
log is then filled to ``--events`` with revisions.
"""

from __future__ import annotations

import copy
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
# Issue 16's targets for these figures (printed by ``bench.summary``).
TARGET_APPROVE_TO_PEER = 3.0  # approve median / the peer's read-modify-save
TARGET_PROPOSE_APPROVE = 200  # propose + approve per second
TARGET_APPEND_TO_FLOOR = 1.3  # one append per transaction / the same SQL by hand
TARGET_BATCH_EVENTS_PER_SECOND = 2000


def replay_in_subprocess() -> dict:
    """Run rebuild_projections in a fresh process; its wall time, rate and peak RSS."""
    code = (
        "import resource, time, django; django.setup();"
        "from curation.projection import rebuild;"
        "t = time.perf_counter(); r = rebuild(); e = time.perf_counter() - t;"
        "print(r.events, r.records, e, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    events, records, elapsed, max_rss_kb = int(out[0]), int(out[1]), float(out[2]), int(out[3])
    return {
        "events": events,
        "records": records,
        "seconds": round(elapsed, 2),
        "events_per_second": round(events / elapsed),
        "peak_rss_mb": round(max_rss_kb / 1024, 1),
    }


def ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 2) if ours and theirs else None


def run(args) -> dict:
    from bench.database import use_fresh_database

    backend = use_fresh_database("curation_bench_events")
    from django.test.utils import override_settings

    # As served (DEBUG off, as in the reads benchmark): no query log, which the peer lacks.
    with override_settings(DEBUG=False):
        return _run(args, backend)


def _run(args, backend: str) -> dict:
    from django.db import transaction

    from bench import peer as peer_module
    from bench.concurrent_pairs import concurrent_pairs, propose_revision
    from bench.generator import bench_users, load_dataset
    from curation import eventstore, services
    from curation.permissions import EDITORS, REVIEWERS, ensure_groups
    from evidence.diff import diff_documents
    from evidence.models import Trial
    from publishing import services as publishing_services

    target = args.events
    # Enough trials for the approvals and a batch of ``--batch`` requests, each on its own.
    n_trials = max(20, target // 10, args.approvals + args.batch)
    results: dict = {"backend": backend, "target_events": target, "django_debug": False}

    started = time.perf_counter()
    counts = load_dataset(n_trials, seed=1)
    elapsed = time.perf_counter() - started
    created = sum(counts.values())
    results["load_created"] = {
        "events": created,
        "seconds": round(elapsed, 1),
        "events_per_second": round(created / elapsed),
        "note": "the batch path: eventstore.Batch + projection.apply_many, 2000 per transaction",
    }
    print(f"  loaded {created} records in {elapsed:.1f} s", flush=True)

    proposer, approver = bench_users()
    groups = ensure_groups()
    proposer.groups.add(groups[EDITORS])
    approver.groups.add(groups[REVIEWERS])
    proposer, approver = (type(proposer).objects.get(pk=u.pk) for u in (proposer, approver))
    trials = {t.slug: t for t in Trial.objects.order_by("slug")}
    slugs = sorted(trials)
    state = {s: (trials[s].id, trials[s].version, trials[s].document) for s in slugs}

    peer = floor = None
    if backend == "postgresql" and peer_module.available():
        peer = peer_module.Peer()
        peer.load({s: state[s][2] for s in slugs}, revisions=0)
        floor = peer_module.Floor()
    else:
        print("  peer not run: needs PostgreSQL and `pip install -e '.[bench]'`", flush=True)

    # Approvals, alternating with the peer's read-modify-save of the same trial. The request
    # to publish that an approval sends to the broker once committed (Redis, through Celery)
    # is timed too, on its own: the peer publishes nothing.
    sample = min(args.approvals, len(slugs) // 2)
    proposes, approves, peers, publishes = [], [], [], []
    publish_request = publishing_services.request_publication

    def timed_publish_request(**kwargs):
        t0 = time.perf_counter()
        try:
            return publish_request(**kwargs)
        finally:
            publishes[-1] += time.perf_counter() - t0

    started = time.perf_counter()
    for i in range(sample):
        slug = slugs[i]
        doc = copy.deepcopy(state[slug][2])
        doc["summary"] = f"Benchmark revision {i}"

        def ours(slug=slug, doc=doc):
            t0 = time.perf_counter()
            cr = propose_revision(proposer, slug, state[slug][1], doc)
            publishes.append(0.0)
            t1 = time.perf_counter()
            with mock.patch.object(
                publishing_services, "request_publication", timed_publish_request
            ):
                services.approve(cr, user=approver)
            proposes.append(t1 - t0)
            approves.append(time.perf_counter() - t1)
            state[slug] = (state[slug][0], state[slug][1] + 1, doc)

        if peer is not None and i % 2:
            peers.append(timed(peer.read_modify_save, slug, doc))
        ours()
        if peer is not None and not i % 2:
            peers.append(timed(peer.read_modify_save, slug, doc))
    total = sum(proposes) + sum(approves)
    committed = [a - p for a, p in zip(approves, publishes, strict=True)]
    results["approve"] = {
        "count": sample,
        "approve_ms": ms(approves),
        "publish_request_ms": ms(publishes),
        "approve_without_publish_request_ms": ms(committed),
        "ratio_to_peer_without_publish_request": ratio(ms(committed), ms(peers) if peers else None),
        "propose_ms": ms(proposes),
        "propose_approve_per_second": round(sample / total, 1),
        "peer_read_modify_save_ms": ms(peers) if peers else None,
        "ratio_to_peer": ratio(ms(approves), ms(peers) if peers else None),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    print(f"  approve: {results['approve']}", flush=True)

    # The same pairs by ``--workers`` processes at once, on trials of their own (while the
    # read models still follow the log: the appends below do not project).
    results["concurrent"] = []
    for workers in (w for w in args.workers if w > 0):
        versions = {s: state[s][1:] for s in slugs}
        figure = concurrent_pairs(workers, args.concurrent_pairs, versions, proposer, approver)
        results["concurrent"].append(figure)
        print(f"  concurrent propose + approve: {figure}", flush=True)
        state = {t.slug: (t.id, t.version, t.document) for t in Trial.objects.order_by("slug")}

    # Appends, one per transaction: ours, the floor's SQL, the peer's save, in turn.
    ours_t, floor_t, peer_t = [], [], []
    for i in range(args.approvals):
        slug = slugs[i % len(slugs)]
        stream_id, version, doc = state[slug]
        new_doc = {**doc, "summary": f"Append {i}"}
        new = eventstore.NewEvent(
            stream_type="trial",
            stream_id=stream_id,
            slug=slug,
            type="revised",
            document=new_doc,
            changes=diff_documents(doc, new_doc),
            proposer_id=proposer.pk,
            approver_id=approver.pk,
            rationale="bench",
        )

        at = [version]  # the stream's version, moved on by ours and the floor's appends

        def ours(new=new, at=at):
            with transaction.atomic():
                eventstore.append(new, expected_version=at[0])
            at[0] += 1

        def by_hand(new=new, at=at):
            floor.append(new, at[0])
            at[0] += 1

        runs = [("ours", ours)]
        if floor is not None:
            runs.append(("floor", by_hand))
            runs.append(("peer", lambda slug=slug, d=new_doc: peer.save(slug, d)))
        runs = runs[i % len(runs) :] + runs[: i % len(runs)]
        for name, function in runs:
            elapsed = timed(function)
            {"ours": ours_t, "floor": floor_t, "peer": peer_t}[name].append(elapsed)
        state[slug] = (stream_id, at[0], new_doc)
    results["append"] = {
        "count": len(ours_t),
        "ours_ms": ms(ours_t),
        "floor_ms": ms(floor_t) if floor_t else None,
        "peer_save_ms": ms(peer_t) if peer_t else None,
        "ratio_to_floor": ratio(ms(ours_t), ms(floor_t) if floor_t else None),
        "ratio_to_peer": ratio(ms(ours_t), ms(peer_t) if peer_t else None),
    }
    print(f"  append: {results['append']}", flush=True)

    # A batch approval: a reviewer approves an import's worth of requests in one action. One
    # batch is half a second: timed ``--repeats`` times (each on new requests for the same
    # trials), the median reported beside every run.
    batch_slugs = slugs[sample : sample + min(args.batch, len(slugs) - sample)]
    batch_runs = []
    for _ in range(args.repeats if batch_slugs else 0):
        ids = []
        for slug in batch_slugs:
            doc = {**state[slug][2], "summary": f"Imported and reviewed {len(batch_runs)}"}
            cr = services.propose(
                user=proposer,
                record_type="trial",
                action="revise",
                record=slug,
                base_version=state[slug][1],
                document=doc,
                rationale="import",
            )
            ids.append(cr.pk)
            state[slug] = (state[slug][0], state[slug][1] + 1, doc)
        started = time.perf_counter()
        events = services.approve_change_requests(approver, ids)
        batch_runs.append((time.perf_counter() - started, len(events)))
    elapsed, appended = sorted(batch_runs)[len(batch_runs) // 2] if batch_runs else (0, 0)
    results["batch_approval"] = {
        "requests": len(batch_slugs),
        "seconds": round(elapsed, 2),
        "events_per_second": round(appended / elapsed) if appended else None,
        "runs_events_per_second": [round(n / t) for t, n in batch_runs],
    }
    print(f"  batch approval: {results['batch_approval']}", flush=True)

    # Fill the log to the target with revisions (batch appends), the peer's log alike.
    filled, started = 0, time.perf_counter()
    while (total_events := eventstore.last_position()) < target:
        items = []
        for n in range(min(1000, target - total_events)):
            slug = slugs[(filled + n) % len(slugs)]
            stream_id, version, doc = state[slug]
            new_doc = {**doc, "summary": f"Synthetic revision {filled + n}"}
            items.append(
                (
                    eventstore.NewEvent(
                        stream_type="trial",
                        stream_id=stream_id,
                        slug=slug,
                        type="revised",
                        document=new_doc,
                        changes=diff_documents(doc, new_doc),
                        proposer_id=proposer.pk,
                        approver_id=approver.pk,
                        rationale="bench",
                    ),
                    version,
                )
            )
            state[slug] = (stream_id, version + 1, new_doc)
        with transaction.atomic():
            eventstore.append_many(items)
        filled += len(items)
    fill_seconds = time.perf_counter() - started
    results["append_batches"] = {
        "events": filled,
        "seconds": round(fill_seconds, 1),
        "events_per_second": round(filled / fill_seconds) if filled else None,
        "note": "eventstore.append_many, 1000 per transaction",
    }
    log_size = eventstore.last_position()
    if peer is not None:
        # The peer's log so far: one event per trial, then its read-modify-saves and saves.
        have = len(slugs) + len(peers) + len(peer_t)
        if log_size > have:
            peer.fill({s: state[s][2] for s in slugs}, log_size - have)

    # The whole log, read and decoded: ours and the peer's, alternating.
    ours_r, peer_r = [], []
    for _ in range(args.repeats):
        ours_r.append(timed(lambda: sum(1 for _ in eventstore.read_log())))
        if peer is not None:
            peer_r.append(timed(peer.read_log))
    results["log_read"] = {
        "events": log_size,
        "ours_seconds": round(statistics.median(ours_r), 2),
        "peer_seconds": round(statistics.median(peer_r), 2) if peer_r else None,
        "ratio_to_peer": ratio(statistics.median(ours_r), statistics.median(peer_r))
        if peer_r
        else None,
    }
    print(f"  log read: {results['log_read']}", flush=True)

    results["upcast_and_paths"] = _upcast_and_paths(log_size)
    print(f"  upcast, changed paths: {results['upcast_and_paths']}", flush=True)
    results["replay"] = [replay_in_subprocess()]
    # After every phase, the concurrent ones too: gapless positions and an intact chain.
    report = eventstore.verify_chain()
    results["chain_verified"] = report.ok
    results["chain_events"] = report.events
    if peer is not None:
        peer.close()
        floor.close()
    print_table(results)
    return results


def _upcast_and_paths(log_size: int) -> dict:
    """Upcasting the v1 trial documents of the test suite's frozen log, per document, and
    ``reading.changed_paths`` over the whole log."""
    import orjson

    from curation import eventstore
    from evidence.documents import upcast

    frozen = orjson.loads((ROOT / "tests" / "data" / "event_log_v1.json").read_bytes())
    v1 = [
        row["fields"]["document"]
        for row in frozen
        if row["model"] == "curation.event"
        and row["fields"]["stream_type"] == "trial"
        and row["fields"]["document"]
    ]
    samples = []
    for _ in range(20):
        for doc in v1:
            samples.append(timed(upcast, "trial", doc))
    started = time.perf_counter()
    paths = eventstore.changed_paths(0, log_size)
    elapsed = time.perf_counter() - started
    return {
        "v1_trial_documents": len(v1),
        "upcast_v1_trial_ms": ms(samples) if samples else None,
        "changed_paths_events": len(paths),
        "changed_paths_seconds": round(elapsed, 2),
    }


def print_table(results: dict) -> None:
    a, p, b, r = (results[k] for k in ("approve", "append", "batch_approval", "log_read"))
    rows = [
        ("approve one change request (ms)", a["approve_ms"], a["peer_read_modify_save_ms"],
         "peer read-modify-save", a["ratio_to_peer"]),
        ("approve, without the publish request (ms)", a["approve_without_publish_request_ms"],
         a["peer_read_modify_save_ms"], "peer read-modify-save",
         a["ratio_to_peer_without_publish_request"]),
        ("propose one change request (ms)", a["propose_ms"], None, "", None),
        ("propose + approve per second", a["propose_approve_per_second"], None, "", None),
        *[(f"propose + approve per second, {c['workers']} processes",
           c["propose_approve_per_second"], a["propose_approve_per_second"], "serial",
           ratio(c["propose_approve_per_second"], a["propose_approve_per_second"]))
          for c in results.get("concurrent", [])],
        ("append, one per transaction (ms)", p["ours_ms"], p["peer_save_ms"], "peer save",
         p["ratio_to_peer"]),
        ("append, one per transaction (ms)", p["ours_ms"], p["floor_ms"], "floor (SQL by hand)",
         p["ratio_to_floor"]),
        ("batch approval (events/s)", b["events_per_second"], None, "", None),
        (f"whole-log read, {r['events']} events (s)", r["ours_seconds"], r["peer_seconds"],
         "peer select_notifications + decode", r["ratio_to_peer"]),
    ]  # fmt: skip
    print("\n  figure | ours | peer or floor | which | ratio")
    for name, ours, theirs, which, ratio_ in rows:
        print(f"  {name} | {ours} | {theirs if theirs is not None else ''} | {which} | "
              f"{ratio_ if ratio_ is not None else ''}")  # fmt: skip
    print(f"  log after every phase: {results.get('chain_events')} events, gapless and chained: "
          f"{results.get('chain_verified')}")  # fmt: skip
    print(flush=True)
