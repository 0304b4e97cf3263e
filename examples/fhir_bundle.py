"""Example FHIR consumer: load a snapshot's ``fhir/bundle.json`` with fhir.resources (R5) and
print each trial's hazard ratios with their intervals.

    python examples/fhir_bundle.py bundle.json   # a downloaded copy
    python examples/fhir_bundle.py http://127.0.0.1:8000/published/latest/fhir/bundle.json

Every entry is parsed (and so validated) as its R5 resource class. A trial is a ResearchStudy;
its arms are Groups (``comparisonGroup.observedGroup``); a comparison is an Evidence whose
exposure is one of those Groups and whose statistic type is HL7's hazard ratio code (C93150),
with the confidence interval (C53324) as an ``attributeEstimate`` with ``level`` and ``range``.
One line per hazard ratio::

    <trial id> | <Evidence title> | HR <estimate> | <level>% CI [<low>, <high>]

(``none`` for a bound or estimate the source does not give, ``no interval`` without one).
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from fhir.resources.bundle import Bundle

HAZARD_RATIO = "C93150"
CONFIDENCE_INTERVAL = "C53324"


def load_bundle(source: str) -> Bundle:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (http(s) only)
            data = response.read()
    else:
        data = Path(source).read_bytes()
    return Bundle.model_validate_json(data)


def has_code(concept, code: str) -> bool:
    return concept is not None and any(c.code == code for c in concept.coding or [])


def number(value) -> str:
    return "none" if value is None else str(value)


def interval(statistic) -> str:
    for estimate in statistic.attributeEstimate or []:
        if has_code(estimate.type, CONFIDENCE_INTERVAL):
            low = estimate.range.low.value if estimate.range and estimate.range.low else None
            high = estimate.range.high.value if estimate.range and estimate.range.high else None
            level = f"{float(estimate.level) * 100:g}% CI" if estimate.level is not None else "CI"
            return f"{level} [{number(low)}, {number(high)}]"
    return "no interval"


def hazard_ratio_lines(bundle: Bundle) -> list[str]:
    resources = [entry.resource for entry in bundle.entry or []]
    studies = sorted(
        (r for r in resources if r.get_resource_type() == "ResearchStudy"), key=lambda r: r.id
    )
    evidence = sorted(
        (r for r in resources if r.get_resource_type() == "Evidence"), key=lambda r: r.id
    )
    lines = []
    for study in studies:
        arms = {
            group.observedGroup.reference
            for group in study.comparisonGroup or []
            if group.observedGroup
        }
        for resource in evidence:
            exposures = {
                variable.observed.reference
                for variable in resource.variableDefinition or []
                if variable.observed and has_code(variable.variableRole, "exposure")
            }
            if not exposures & arms:
                continue
            for statistic in resource.statistic or []:
                if has_code(statistic.statisticType, HAZARD_RATIO):
                    estimate = statistic.quantity.value if statistic.quantity else None
                    lines.append(
                        f"{study.id} | {resource.title} | HR {number(estimate)} | "
                        f"{interval(statistic)}"
                    )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print(f"usage: {argv[0]} <path or URL of bundle.json>", file=sys.stderr)
        return 2
    for line in hazard_ratio_lines(load_bundle(argv[1])):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
