"""The publishing benchmark itself runs end to end (small), so `make bench` cannot rot.

It starts real subprocesses against a scratch PostgreSQL database of its own, as
`make bench` does, and must report every figure the README quotes.
"""

import os
from argparse import Namespace

import pytest

from tests.conftest import missing_service


@pytest.mark.postgres
@pytest.mark.integration
def test_publishing_benchmark_reports_every_figure_at_small_scale():
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        missing_service("the publishing benchmark needs DATABASE_URL=postgres://...")
    from bench.bench_publishing import run

    results = run(Namespace(trials=30, repeats=2))

    topics = results["records"]["topic"]
    assert results["records"]["trial"] == 30
    # evidence.json, schema.json, changes.json/.html, index.html + 2 files per trial + topics,
    # and the FHIR files (resources and bundle)
    assert results["fhir_files"] > 30
    assert results["full_files"] == 5 + 2 * 30 + topics + results["fhir_files"]
    assert results["floor_files"] == results["full_files"] + 1  # and the manifest
    assert len(results["full_runs_seconds"]) == len(results["floor_runs_seconds"]) == 2
    assert len(results["pair_ratios"]) == 2
    assert results["full_seconds"] == pytest.approx(min(results["full_runs_seconds"]), abs=0.01)
    assert results["full_vs_floor"] > 1  # rendering pages costs more than writing bytes
    # One trial changed: its page, its JSON and the pages that show it are rendered again,
    # the rest reused.
    assert 2 <= results["incremental_files_rendered"] < results["full_files"] / 2
    assert set(results["targets"]) == {
        "approval_to_served_under_half_a_second",
        "full_within_5x_floor",
        "peak_under_512mb",
    }


def test_a_phases_peak_memory_is_its_own_not_its_starters():
    """Linux carries getrusage's ru_maxrss over the exec from the process that started a
    phase; its peak must be the phase's own (VmHWM)."""
    import subprocess
    import sys

    ballast = b"x" * (256 << 20)  # the starting process holds 256 MB more, touched
    script = "from bench.bench_publishing import _peak_mb; print(_peak_mb())"
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert float(output) < 128, output  # a bare interpreter, not the 256 MB it was started by
    assert len(ballast) == 256 << 20
