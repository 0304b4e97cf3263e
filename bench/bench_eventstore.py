"""Event-store benchmarks: approvals/s, appends/s, replay events/s and replay peak memory.

The log is filled to ``--events`` (default 100,000) with synthetic trial records and their
revisions. Replay (``manage.py rebuild_projections``) runs in a subprocess at a quarter, half
and all of the log, so its peak memory (max RSS) can be compared as the log grows: a replay
that streams stays flat.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def run(args) -> dict:
    from bench.database import use_fresh_database

    backend = use_fresh_database("curation_bench_events")
    from django.db import transaction

    from bench.generator import bench_users, load_dataset
    from curation import eventstore, services
    from curation.models import Event
    from curation.permissions import EDITORS, REVIEWERS, ensure_groups
    from evidence.diff import diff_documents
    from evidence.models import Trial

    target = args.events
    # About one record in six events: records are revised several times over their life.
    n_trials = max(10, target // 10)
    results: dict = {"backend": backend, "target_events": target}

    started = time.perf_counter()
    counts = load_dataset(n_trials, seed=1)
    elapsed = time.perf_counter() - started
    created = sum(counts.values())
    results["load_created"] = {
        "events": created,
        "seconds": round(elapsed, 1),
        "events_per_second": round(created / elapsed),
        "note": "eventstore.append + projection.apply per record, 500 per transaction",
    }

    # Full approvals: propose + approve through the services, one transaction each.
    proposer, approver = bench_users()
    groups = ensure_groups()
    proposer.groups.add(groups[EDITORS])
    approver.groups.add(groups[REVIEWERS])
    proposer, approver = (type(proposer).objects.get(pk=u.pk) for u in (proposer, approver))
    trials = list(Trial.objects.order_by("slug").values_list("slug", flat=True))
    sample = min(args.approvals, len(trials))
    started = time.perf_counter()
    for i in range(sample):
        trial = Trial.objects.get(slug=trials[i])
        doc = copy.deepcopy(trial.document)
        doc["summary"] = f"Benchmark revision {i}"
        cr = services.propose(
            user=proposer,
            record_type="trial",
            action="revise",
            record=trial.slug,
            base_version=trial.version,
            document=doc,
            rationale="benchmark",
        )
        services.approve(cr, user=approver)
    elapsed = time.perf_counter() - started
    results["approvals"] = {
        "count": sample,
        "seconds": round(elapsed, 1),
        "approvals_per_second": round(sample / elapsed, 1),
        "note": "services.propose + services.approve: validation, merge check, append, projection",
    }

    # Fill the rest of the log with revisions: append (and project) in batches.
    documents = {t.slug: (t.id, t.version, t.document) for t in Trial.objects.all()}
    slugs = sorted(documents)
    checkpoints = sorted({target // 4, target // 2, target})
    replays = []
    appended = 0
    append_seconds = 0.0
    round_no = 0
    while (total := Event.objects.count()) < target:
        batch_end = min(target, total + 1000)
        started = time.perf_counter()
        with transaction.atomic():
            for n in range(batch_end - total):
                slug = slugs[(appended + n) % len(slugs)]
                stream_id, version, doc = documents[slug]
                new_doc = copy.deepcopy(doc)
                new_doc["summary"] = f"Synthetic revision {round_no}-{appended + n}"
                eventstore.append(
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
                    expected_version=version,
                )
                documents[slug] = (stream_id, version + 1, new_doc)
        append_seconds += time.perf_counter() - started
        appended += batch_end - total
        round_no += 1
        now = Event.objects.count()
        for checkpoint in checkpoints:
            if total < checkpoint <= now:
                replays.append(replay_in_subprocess())
                print(f"  replay at {now} events: {replays[-1]}", flush=True)
    results["append_revisions"] = {
        "events": appended,
        "seconds": round(append_seconds, 1),
        "events_per_second": round(appended / append_seconds) if append_seconds else None,
        "note": "eventstore.append only (hash chain, version check), 1000 per transaction",
    }
    results["replay"] = replays
    results["chain_verified"] = eventstore.verify_chain().ok
    return results
