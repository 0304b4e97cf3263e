"""The reads benchmark runs end to end (small), so `make bench` cannot rot: gunicorn with 3
workers on a scratch PostgreSQL database, the read cache off and on, every page answered."""

import os
import shutil
from argparse import Namespace

import pytest

from tests.conftest import missing_service


@pytest.mark.postgres
@pytest.mark.integration
@pytest.mark.parametrize("generator", ["ab", "python"])
def test_reads_benchmark_reports_every_figure_at_small_scale(generator, monkeypatch):
    """With ApacheBench when installed, and with the Python generator a fresh machine has."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        missing_service("the reads benchmark needs DATABASE_URL=postgres://...")
    if generator == "ab" and not shutil.which("ab"):
        pytest.skip("ApacheBench (apache2-utils) is not installed")
    from bench import bench_reads

    monkeypatch.setattr(bench_reads, "load_generator", lambda: generator)
    results = bench_reads.run(Namespace(read_trials=10, read_seconds=0.5))

    assert results["workers"] == 3 and results["load_generator"] == generator
    for mode in ("uncached", "cached"):
        for page in ("healthz", "trials", "events"):
            figures = results[mode][page]
            assert figures["requests"] > 0 and figures["failures"] == 0, (mode, page)
            assert figures["requests_per_second"] > 0 and figures["p50_ms"] is not None
            assert figures["worker_cpu_ms_per_request"] > 0
    assert set(results["ratios_to_healthz"]) == {
        f"{page}_{mode}" for page in ("trials", "events") for mode in ("cached", "uncached")
    }
    assert set(results["targets"]) == {
        "trials_at_least_1000_per_second",
        "events_at_least_1000_per_second",
    }
