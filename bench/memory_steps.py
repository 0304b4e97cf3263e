"""Where a first full publication's memory goes: RSS after each step of the build.

``python -m bench.memory_steps`` (``DATABASE_URL``, ``SNAPSHOT_ROOT`` and ``VAR_DIR`` set, a
corpus loaded, e.g. by ``python -m bench.bench_publishing load 100000``; snapshots published
before are forgotten, their files left) publishes once and
prints, after each step of ``SnapshotBuilder``, the process's RSS, the most it reached during
the step (sampled every 0.2 s) and the time; then the forked renderers' peak. The peak of the
whole run is what ``make bench`` reports as ``full_peak_mb``; this says which step set it.
"""

from __future__ import annotations

import functools
import json
import resource
import threading
import time


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Steps:
    def __init__(self) -> None:
        self.started = self.mark = time.perf_counter()
        self.step_peak = _rss_mb()
        self.done = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        self.report("start")

    def _sample(self) -> None:
        while not self.done.wait(0.2):
            self.step_peak = max(self.step_peak, _rss_mb())

    def report(self, step: str) -> None:
        now, rss = time.perf_counter(), _rss_mb()
        line = {
            "step": step,
            "rss_mb": round(rss, 1),
            "step_peak_mb": round(max(self.step_peak, rss), 1),
            "seconds": round(now - self.mark, 1),
            "elapsed": round(now - self.started, 1),
        }
        print(json.dumps(line), flush=True)
        self.mark, self.step_peak = now, rss

    def wrap(self, owner, name: str, step: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def traced(*args, **kwargs):
            result = original(*args, **kwargs)
            self.report(step)
            return result

        setattr(owner, name, traced)


def main() -> None:
    from bench.bench_publishing import _peak_mb, _setup

    _setup()
    from publishing import services
    from publishing.build import builder, warm_snapshot
    from publishing.models import Snapshot

    # A first publication again: forget earlier ones (their files stay), as the benchmark's
    # repeated full runs do.
    Snapshot.objects.update(previous=None)  # each protects the one it follows
    Snapshot.objects.all().delete()

    steps = Steps()
    steps.wrap(builder, "evidence_as_of", "log and record states")
    steps.wrap(builder.SnapshotBuilder, "plan_every_page", "plan of the record pages")
    steps.wrap(builder.SnapshotBuilder, "_start_rendering", "renderers forked")
    steps.wrap(builder, "write_changes_files", "changes.json and changes.html")
    steps.wrap(warm_snapshot.WarmSnapshotFiles, "write_whole", "evidence.json and index.html")
    steps.wrap(builder, "write_fhir_files", "FHIR files")
    steps.wrap(builder.SnapshotBuilder, "_store_parts", "pages rendered, manifest parts")
    snapshot = services.publish_latest()
    steps.report(f"snapshot {snapshot.seq} complete")
    steps.done.set()
    print(
        json.dumps(
            {
                "peak_mb": round(_peak_mb(), 1),
                "renderers_peak_mb": round(
                    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
                ),
                "files_rendered": snapshot.files_rendered,
            }
        )
    )


if __name__ == "__main__":
    main()
