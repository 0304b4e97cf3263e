"""Small evidence documents for the admin tests.

Every number is taken from the seed article's encoding (evidence/seed_data on main): the
CALGB 100104 and Myeloma XI trials, trimmed to what the tests need. Nothing is invented.
"""

from __future__ import annotations

import copy


def _value(arm, value=None, not_reached=False, note=None):
    return {
        "arm": arm,
        "value": value,
        "not_reached": not_reached,
        "qualifier": None,
        "ci_low": None,
        "ci_high": None,
        "ci_level": None,
        "note": note,
    }


def _comparison(key, kind, arm, reference_arm, unit, significant, note):
    return {
        "key": key,
        "kind": kind,
        "arm": arm,
        "reference_arm": reference_arm,
        "estimate": None,
        "unit": unit,
        "qualifier": None,
        "ci_low": None,
        "ci_high": None,
        "ci_level": None,
        "p_value": None,
        "p_value_qualifier": None,
        "significant": significant,
        "note": note,
    }


def _outcome(key, endpoint, label, measure, unit, values, comparisons=(), **extra):
    return {
        "key": key,
        "endpoint": endpoint,
        "label": label,
        "measure": measure,
        "unit": unit,
        "timepoint_months": None,
        "subgroup": None,
        "treatment_phase": extra.get("treatment_phase"),
        "values": values,
        "comparisons": list(comparisons),
        "citations": extra.get("citations", []),
        "note": extra.get("note"),
    }


CITATIONS = [
    {
        "slug": "mccarthy-2012-nejm",
        "kind": "article",
        "title": "Lenalidomide after Stem-Cell Transplantation for Multiple Myeloma",
        "authors": ["McCarthy PL", "Owzar K", "Hofmeister CC"],
        "authors_et_al": True,
        "journal": "New England Journal of Medicine",
        "year": 2012,
        "volume": "366",
        "pages": "1770-1781",
        "note": "Reference 2 in the article's list.",
    },
    {
        "slug": "jackson-2019-lancet-oncol-myeloma-xi",
        "kind": "article",
        "title": "Lenalidomide maintenance versus observation for patients with newly diagnosed "
        "multiple myeloma (Myeloma XI)",
        "journal": "Lancet Oncology",
        "year": 2019,
    },
]

INTERVENTIONS = [
    {
        "slug": "lenalidomide",
        "name": "Revlimid (lenalidomide)",
        "generic_name": "lenalidomide",
        "brand_names": ["Revlimid"],
        "route": "oral",
    },
    {"slug": "placebo", "name": "Placebo", "generic_name": "placebo"},
]

CALGB = {
    "slug": "calgb-100104",
    "name": "CALGB 100104",
    "full_title": "CALGB/ECOG/BMT CTN 100104",
    "registry_ids": [{"registry": "NCT", "id": "NCT00114101"}],
    "phase": None,
    "design": {
        "randomised": True,
        "blinding": None,
        "placebo_controlled": True,
        "multicentre": None,
        "international": None,
    },
    "setting": "post_autologous_transplant",
    "population": "Patients age 71 or younger with multiple myeloma after (single autologous) "
    "stem-cell transplantation.",
    "enrollment": 460,
    "enrollment_qualifier": None,
    "median_follow_up_months": 65,
    "conduct_notes": [
        {
            "key": "crossover",
            "kind": "crossover",
            "text": "86 patients from the placebo arm who showed no evidence of disease "
            "progression chose to cross over to the treatment group.",
            "at_months": None,
            "patients": 86,
        }
    ],
    "interventions": ["lenalidomide", "placebo"],
    "arms": [
        {
            "key": "lenalidomide",
            "label": "Revlimid",
            "role": "experimental",
            "regimen": [
                {
                    "intervention": "lenalidomide",
                    "description": "Revlimid maintenance after transplantation",
                    "phase": "maintenance",
                }
            ],
            "n": None,
            "description": None,
        },
        {
            "key": "placebo",
            "label": "Placebo",
            "role": "placebo",
            "regimen": [
                {
                    "intervention": "placebo",
                    "description": "Placebo after transplantation",
                    "phase": "maintenance",
                }
            ],
            "n": None,
            "description": None,
        },
    ],
    "outcomes": [
        _outcome(
            "ttp",
            "ttp",
            "estimated median time to myeloma progression",
            "median",
            "months",
            [_value("lenalidomide", 53), _value("placebo", 27)],
            [
                _comparison(
                    "lenalidomide_vs_placebo",
                    "absolute_difference",
                    "lenalidomide",
                    "placebo",
                    "months",
                    True,
                    "The article says 'nearly doubled'; no difference or p-value is stated.",
                )
            ],
            treatment_phase="maintenance",
            citations=["mccarthy-2012-nejm"],
        ),
        _outcome(
            "os",
            "os",
            "median overall survival",
            "median",
            "months",
            [_value("lenalidomide", not_reached=True), _value("placebo", 76)],
            note="After 65 months median follow-up.",
        ),
    ],
    "findings": [
        {
            "key": "longer_ttp",
            "statement": "Patients in the Revlimid group had a significantly longer time to "
            "disease progression compared to those in the placebo group.",
            "kind": "efficacy",
            "outcomes": ["ttp"],
            "trials": [],
            "citations": ["mccarthy-2012-nejm"],
            "note": None,
        }
    ],
    "summary": "460 patients age 71 or younger were randomly assigned to Revlimid or placebo "
    "after transplantation. Revlimid significantly lengthened time to progression (median 53 "
    "vs 27 months, nearly doubled).",
    "citations": ["mccarthy-2012-nejm"],
    "notes": "'Nearly doubled' (27 to 53 months) is the article's wording.",
}

MYELOMA_XI = {
    "slug": "myeloma-xi",
    "name": "Myeloma XI",
    "setting": "newly_diagnosed_mixed",
    "population": "Patients with newly diagnosed multiple myeloma following a response to "
    "initial induction therapy.",
    "enrollment": 1917,
    "interventions": ["lenalidomide"],
    "arms": [
        {"key": "lenalidomide", "label": "Revlimid maintenance", "role": "experimental"},
        {
            "key": "observation",
            "label": "Observation without maintenance",
            "role": "observation",
            "description": "Observation without maintenance therapy.",
        },
    ],
    "outcomes": [
        _outcome(
            "pfs",
            "pfs",
            "average duration of survival without myeloma progression",
            "duration_unspecified",
            "months",
            [
                _value(
                    "lenalidomide",
                    39,
                    note="The duration section gives 38.9 months for Revlimid maintenance.",
                ),
                _value("observation", 20),
            ],
            treatment_phase="maintenance",
        )
    ],
    "summary": "Revlimid maintenance significantly delayed myeloma progression (39 vs 20 months "
    "without progression) but did not improve overall survival.",
    "citations": ["jackson-2019-lancet-oncol-myeloma-xi"],
}


def calgb() -> dict:
    return copy.deepcopy(CALGB)


def myeloma_xi() -> dict:
    return copy.deepcopy(MYELOMA_XI)


def topic() -> dict:
    """A small topic listing CALGB 100104 (which the ``evidence`` fixture creates)."""
    return {
        "slug": "myeloma-maintenance",
        "title": "Maintenance therapy in multiple myeloma",
        "condition": "Multiple myeloma",
        "summary": "What keeps myeloma in check after first treatment.",
        "sections": [
            {"key": "len", "heading": "Revlimid", "body": ["Text."], "trials": ["calgb-100104"]}
        ],
    }
