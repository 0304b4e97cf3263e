"""The consumer's proof: ``examples/fhir_bundle.py`` (fhir.resources, on a snapshot's
bundle.json) and ``examples/fhir_api_client.py`` (fhirpy, against the API on a live server)
print every hazard ratio of evidence.json with its interval, with the same numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from curation.seed import load_seed
from publishing import services
from tests import documents
from tests.factories import create_approved
from tests.publishing.published import published_bytes

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^(?P<trial>\S+) \| .+ \| HR (?P<estimate>\S+) \| "
    r"(?:(?P<level>[0-9.]+)% CI \[(?P<low>\S+), (?P<high>\S+)\]|no interval)$"
)


def publish_evidence_with_hazard_ratios(editor, reviewer):
    """The seed, the results trial (a one-sided 97.5% interval) and a trial with a two-sided
    95% interval, published."""
    load_seed()
    create_approved(editor, reviewer, "citation", documents.drugex_citation())
    create_approved(editor, reviewer, "trial", documents.results_trial())
    create_approved(editor, reviewer, "trial", documents.hazard_ratio_trial())
    return services.publish_latest()


def number(text: str | None) -> float | None:
    return None if text in (None, "none") else float(text)


def hazard_ratios_of_evidence_json(seq: int) -> list[tuple]:
    evidence = orjson.loads(published_bytes(seq, "evidence.json"))
    found = []
    for trial in evidence["trials"]:
        for outcome in trial["document"]["outcomes"]:
            for comparison in outcome["comparisons"]:
                if comparison["kind"] != "hazard_ratio":
                    continue
                has_interval = comparison["ci_low"] is not None or comparison["ci_high"] is not None
                found.append(
                    (
                        trial["slug"],
                        comparison["estimate"],
                        comparison["ci_level"] if has_interval else None,
                        comparison["ci_low"],
                        comparison["ci_high"],
                    )
                )
    return sorted(found, key=repr)


def printed_hazard_ratios(output: str) -> list[tuple]:
    found = []
    for line in output.splitlines():
        match = LINE.match(line)
        assert match, f"unexpected line: {line!r}"
        found.append(
            (
                match["trial"],
                number(match["estimate"]),
                number(match["level"]),
                number(match["low"]),
                number(match["high"]),
            )
        )
    return sorted(found, key=repr)


def run_example(script: str, argument: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), argument],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_same_hazard_ratios(output: str, seq: int) -> None:
    expected = hazard_ratios_of_evidence_json(seq)
    assert {row[0] for row in expected} >= {"results-shapes", "hazard-ratio-trial"}
    assert ("hazard-ratio-trial", 0.71, 95, 0.56, 0.9) in expected
    assert printed_hazard_ratios(output) == expected


@pytest.mark.django_db
def test_bundle_example_prints_every_hazard_ratio_of_the_snapshot(
    editor, reviewer, snapshot_root, tmp_path
):
    snapshot = publish_evidence_with_hazard_ratios(editor, reviewer)
    bundle = tmp_path / "bundle.json"  # a downloaded copy
    bundle.write_bytes(published_bytes(snapshot.seq, "fhir/bundle.json"))
    assert_same_hazard_ratios(run_example("fhir_bundle.py", str(bundle)), snapshot.seq)


@pytest.mark.django_db(transaction=True)
def test_api_client_example_reads_the_same_hazard_ratios_over_http(
    editor, reviewer, snapshot_root, live_server
):
    snapshot = publish_evidence_with_hazard_ratios(editor, reviewer)
    output = run_example("fhir_api_client.py", f"{live_server.url}/fhir/R5")
    assert_same_hazard_ratios(output, snapshot.seq)
    # The bundle example also takes a URL: the published bundle, served.
    bundle_url = f"{live_server.url}/published/latest/fhir/bundle.json"
    assert run_example("fhir_bundle.py", bundle_url) == output
