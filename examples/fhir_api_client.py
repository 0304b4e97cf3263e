"""Example FHIR consumer: read the FHIR API (``/fhir/R5/``) with fhirpy, an ordinary FHIR
client library, and print each trial's hazard ratios with their intervals.

    python examples/fhir_api_client.py http://127.0.0.1:8000/fhir/R5

It reads the CapabilityStatement, then every ResearchStudy and every Evidence by search-type,
following the searchset's ``next`` links page by page (fhirpy's ``fetch_all``). A trial's arms
are Groups (``comparisonGroup.observedGroup``); a hazard ratio is an Evidence whose exposure is
one of them and whose statistic type is HL7's C93150, with its confidence interval (C53324)
as an ``attributeEstimate``. Prints the same lines as ``fhir_bundle.py``::

    <trial id> | <Evidence title> | HR <estimate> | <level>% CI [<low>, <high>]
"""

from __future__ import annotations

import sys

from fhirpy import SyncFHIRClient

HAZARD_RATIO = "C93150"
CONFIDENCE_INTERVAL = "C53324"
PAGE_SIZE = 20  # small pages, so that a run follows `next` links


def has_code(concept: dict | None, code: str) -> bool:
    return any(c.get("code") == code for c in (concept or {}).get("coding", []))


def number(value) -> str:
    return "none" if value is None else str(value)


def interval(statistic: dict) -> str:
    for estimate in statistic.get("attributeEstimate", []):
        if has_code(estimate.get("type"), CONFIDENCE_INTERVAL):
            bounds = estimate.get("range", {})
            low = bounds.get("low", {}).get("value")
            high = bounds.get("high", {}).get("value")
            level = f"{estimate['level'] * 100:g}% CI" if "level" in estimate else "CI"
            return f"{level} [{number(low)}, {number(high)}]"
    return "no interval"


def hazard_ratio_lines(client: SyncFHIRClient) -> list[str]:
    capability = client.execute("metadata", method="get")
    served = {resource["type"] for resource in capability["rest"][0]["resource"]}
    if not {"ResearchStudy", "Evidence"} <= served:
        return []
    studies = client.resources("ResearchStudy").limit(PAGE_SIZE).fetch_all()
    evidence = client.resources("Evidence").limit(PAGE_SIZE).fetch_all()
    lines = []
    for study in sorted(studies, key=lambda r: r["id"]):
        arms = {
            group["observedGroup"]["reference"]
            for group in study.get("comparisonGroup", [])
            if "observedGroup" in group
        }
        for resource in sorted(evidence, key=lambda r: r["id"]):
            exposures = {
                variable["observed"]["reference"]
                for variable in resource.get("variableDefinition", [])
                if "observed" in variable and has_code(variable.get("variableRole"), "exposure")
            }
            if not exposures & arms:
                continue
            for statistic in resource.get("statistic", []):
                if has_code(statistic.get("statisticType"), HAZARD_RATIO):
                    estimate = statistic.get("quantity", {}).get("value")
                    lines.append(
                        f"{study['id']} | {resource['title']} | HR {number(estimate)} | "
                        f"{interval(statistic)}"
                    )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(
            f"usage: {argv[0]} <base URL of the FHIR API, e.g. http://127.0.0.1:8000/fhir/R5>",
            file=sys.stderr,
        )
        return 2
    for line in hazard_ratio_lines(SyncFHIRClient(argv[1].rstrip("/"))):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
