"""`make bench`: every benchmark, figures printed and saved to bench/results/.

    make bench                              # all, at full size
    make bench BENCH_ARGS="--only eventstore --events 20000 --approvals 200"
    make bench BENCH_ARGS="--only eventstore --events 2000 --workers 2 4 8"  # concurrent pairs
    make bench BENCH_ARGS="--only publishing --trials 100000"   # corpus via the batch path
    make bench BENCH_ARGS="--only publishing --only reads --scale 100k"  # issue 16 scale
    make bench BENCH_ARGS="--only imports --studies 1000 --references 5000"
    make bench BENCH_ARGS="--only reads --read-trials 1000 --read-seconds 5"

PostgreSQL is used when DATABASE_URL points at it (the targets are stated for PostgreSQL; the
peer, pyeventsourcing, runs there only: `make bench` installs the `bench` extra);
each benchmark creates and drops its own database, never touching the configured one's data.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from bench.summary import table

RESULTS = Path(__file__).resolve().parent / "results"
# --scale: the corpus sizes issue 16 asks the publishing and reads benchmarks to run at.
SCALES = {"10k": 10_000, "50k": 50_000, "100k": 100_000}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only", choices=["eventstore", "publishing", "imports", "reads"], action="append"
    )
    parser.add_argument("--events", type=int, default=100_000, help="event-store log size")
    parser.add_argument(
        "--approvals", type=int, default=1000, help="approvals (and appends) to time"
    )
    parser.add_argument(
        "--batch", type=int, default=1000, help="change requests in the timed batch approval"
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="*",
        default=[2, 4],
        help="concurrent propose + approve: processes at once, one figure each (none: skip)",
    )
    parser.add_argument(
        "--concurrent-pairs",
        type=int,
        default=400,
        help="propose + approve pairs in each concurrent figure, shared among the processes",
    )
    parser.add_argument("--trials", type=int, default=10_000, help="publishing dataset size")
    parser.add_argument(
        "--repeats", type=int, default=3, help="full publications (and floors) to time"
    )
    parser.add_argument("--studies", type=int, default=1000, help="studies in the import batch")
    parser.add_argument(
        "--references", type=int, default=5000, help="references in the import batch"
    )
    parser.add_argument(
        "--read-trials", type=int, default=1000, help="corpus of the reads benchmark"
    )
    parser.add_argument(
        "--read-seconds", type=float, default=5, help="load time per page in the reads benchmark"
    )
    parser.add_argument(
        "--import-workers",
        type=int,
        default=None,
        help="processes importing a batch at once, one part each (default IMPORT_BATCH_PARTS)",
    )
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        help="corpus size of the publishing and reads benchmarks at once (sets --trials and "
        "--read-trials); every corpus is loaded through the batch path "
        "(bench.generator.load_dataset: eventstore.Batch and projection.apply_many)",
    )
    args = parser.parse_args(argv)
    if args.scale:
        args.trials = args.read_trials = SCALES[args.scale]
    selected = args.only or ["eventstore", "publishing", "imports", "reads"]
    RESULTS.mkdir(exist_ok=True)
    ran: dict[str, dict] = {}
    for name in selected:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        if name == "eventstore":
            from bench.bench_eventstore import run
        elif name == "imports":
            from bench.bench_imports import run
        elif name == "reads":
            from bench.bench_reads import run
        else:
            try:
                from bench.bench_publishing import run
            except ImportError:
                print("   publishing benchmark not available", flush=True)
                continue
        figures = run(args)
        figures["wall_seconds"] = round(time.perf_counter() - started, 1)
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
        print(json.dumps(figures, indent=2), flush=True)
        ran[name] = figures
    # Every figure with a target, beside its peer or floor and the ratio (issue 16's table).
    summary = table(ran)
    if summary:
        (RESULTS / "summary.md").write_text(summary + "\n")
        print(f"\n== figures and targets\n{summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
