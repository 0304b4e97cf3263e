"""The reads benchmark runs end to end (small), so `make bench` cannot rot: gunicorn with 3
workers on a scratch PostgreSQL database, the read cache off and on, every page answered."""

import os
from argparse import Namespace

import pytest

from tests.conftest import missing_service


@pytest.mark.postgres
@pytest.mark.integration
def test_reads_benchmark_reports_every_figure_at_small_scale():
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        missing_service("the reads benchmark needs DATABASE_URL=postgres://...")
    from bench.bench_reads import run

    results = run(Namespace(read_trials=10, read_seconds=0.5))

    assert results["workers"] == 3
    for mode in ("uncached", "cached"):
        for page in ("healthz", "trials", "events"):
            figures = results[mode][page]
            assert figures["requests"] > 0 and figures["failures"] == 0, (mode, page)
            assert figures["requests_per_second"] > 0 and figures["p50_ms"] > 0
    assert set(results["ratios_to_healthz"]) == {"trials", "events"}
    assert set(results["targets"]) == {
        "trials_at_least_1000_per_second",
        "events_at_least_1000_per_second",
    }
