"""Study documents for the import tests: the two real registry documents (read-only, in
../shared/fixtures/ctgov/) and small made-up v2 studies, one pitfall at a time."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ctgov"
REMDESIVIR = "NCT04431453"  # medians in days, IQR, NA "not reached" and BLQ cells
CERTOLIZUMAB = "NCT02552212"  # LS/geometric means, SE/SD/CI, OR and Difference analyses

# The mappings an editor gives for the real documents: in NCT04431453 one group is titled
# "RDV,Cohort 5" where the arm is "RDV, Cohort 5"; NCT02552212 names its groups by analysis set.
REMDESIVIR_MAP = {"OG004": "arm-5"}
CERTOLIZUMAB_MAP = {
    "Placebo (FAS)": "arm-2",
    "CZP 200 mg Q2W (FAS)": "arm-1",
    "Placebo (SS)": "arm-2",
    "CZP 200 mg Q2W (SS)": "arm-1",
    "Placebo->OL CZP (SS)": "new:placebo-to-czp",
    "CZP->OL CZP (SS)": "new:czp-to-czp",
    "SFE OL CZP 200 mg Q2W (SS)": "new:sfe-czp",
}


def fixture_path(nct_id: str) -> Path:
    return FIXTURES / f"{nct_id}.json"


def real(nct_id: str) -> dict[str, Any]:
    return json.loads(fixture_path(nct_id).read_bytes())


def measurement(group: str, value: str, **more: str) -> dict[str, str]:
    return {"groupId": group, "value": value, **more}


def small_study(
    *,
    nct_id: str = "NCT00000001",
    param_type: str = "MEDIAN",
    dispersion: str | None = "95% Confidence Interval",
    unit: str = "months",
    measurements: list[dict[str, str]] | None = None,
    analyses: list[dict[str, Any]] | None = None,
    group_titles: tuple[str, str] = ("Drug A", "Placebo"),
    results: bool = True,
    last_update: str = "2024-01-15",
) -> dict[str, Any]:
    """A two-arm randomised study (Drug A vs placebo) with one outcome measure."""
    study: dict[str, Any] = {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct_id,
                "briefTitle": "Drug A \\<=50 mg versus placebo",
                "officialTitle": "A Randomised Trial of Drug A \\[DA\\] versus Placebo",
                "acronym": "DA-1",
            },
            "statusModule": {
                "startDateStruct": {"date": "2019-03", "type": "ACTUAL"},
                "completionDateStruct": {"date": "2023-06-30", "type": "ESTIMATED"},
                "lastUpdatePostDateStruct": {"date": last_update, "type": "ACTUAL"},
            },
            "conditionsModule": {"conditions": ["Multiple Myeloma"]},
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": ["PHASE3"],
                "designInfo": {
                    "allocation": "RANDOMIZED",
                    "interventionModel": "PARALLEL",
                    "maskingInfo": {
                        "masking": "DOUBLE",
                        "whoMasked": ["PARTICIPANT", "INVESTIGATOR"],
                    },
                },
                "enrollmentInfo": {"count": 200, "type": "ACTUAL"},
            },
            "armsInterventionsModule": {
                "armGroups": [
                    {
                        "label": "Drug A",
                        "type": "EXPERIMENTAL",
                        "interventionNames": ["Drug: Drug A"],
                    },
                    {
                        "label": "Placebo",
                        "type": "PLACEBO_COMPARATOR",
                        "interventionNames": ["Drug: Placebo"],
                    },
                ]
            },
            "eligibilityModule": {"sex": "ALL", "minimumAge": "18 Years"},
        },
        "hasResults": results,
    }
    if not results:
        return study
    study["resultsSection"] = {
        "outcomeMeasuresModule": {
            "outcomeMeasures": [
                {
                    "type": "PRIMARY",
                    "title": "Progression-free Survival",
                    "timeFrame": "Month 24",
                    "paramType": param_type,
                    "unitOfMeasure": unit,
                    **({"dispersionType": dispersion} if dispersion else {}),
                    "groups": [
                        {"id": "OG000", "title": group_titles[0]},
                        {"id": "OG001", "title": group_titles[1]},
                    ],
                    "denoms": [
                        {
                            "units": "Participants",
                            "counts": [
                                {"groupId": "OG000", "value": "100"},
                                {"groupId": "OG001", "value": "100"},
                            ],
                        }
                    ],
                    "classes": [
                        {
                            "categories": [
                                {
                                    "measurements": measurements
                                    if measurements is not None
                                    else [
                                        measurement(
                                            "OG000", "20.1", lowerLimit="15.2", upperLimit="25.3"
                                        ),
                                        measurement(
                                            "OG001", "10.4", lowerLimit="8.1", upperLimit="12.0"
                                        ),
                                    ]
                                }
                            ]
                        }
                    ],
                    "analyses": analyses if analyses is not None else [],
                }
            ]
        }
    }
    return study


def hazard_ratio(**overrides: Any) -> dict[str, Any]:
    analysis = {
        "groupIds": ["OG000", "OG001"],
        "groupDescription": "Hazard ratio of Drug A versus placebo.",
        "paramType": "Hazard Ratio (HR)",
        "paramValue": "0.52",
        "ciPctValue": "90",
        "ciNumSides": "ONE_SIDED",
        "ciLowerLimit": "0.40",
        "ciUpperLimit": "0.68",
        "pValue": "<0.001",
        "statisticalMethod": "Log Rank",
    }
    analysis.update(overrides)
    return {k: v for k, v in analysis.items() if v is not None}


def with_changes(study: dict[str, Any], change) -> dict[str, Any]:
    changed = copy.deepcopy(study)
    change(changed)
    return changed
