"""Every test document, as builder functions: ``builder(**overrides)`` returns a new dict (a deep
copy), with ``overrides`` replacing top-level fields.

Four families, each self-consistent (a trial's citations and interventions are in its family):

- IFM 2005-02 (``ifm_*``): minimal valid citation, intervention and trial, built the way an
  editor would fill them in; the curation and validation tests' documents.
- Drugex (``drugex_*``): synthetic, every optional part filled (comparisons, conduct notes, arm
  sizes, notes) for the publishing tests, which render them; a topic lists the trials.
- The seed article (``article_*``, ``calgb_100104``, ``myeloma_xi``): CALGB 100104 and Myeloma
  XI as the seed article encodes them (evidence/seed_data), trimmed to what the admin tests
  need, in canonical form (absent fields as null). Nothing is invented.
- Synthetic (``synthetic_*``): made-up, numbers chosen only to be valid; the API tests' data.

And ``minimal_citation``/``minimal_topic``: the fewest fields a citation or topic may have.

Schema versions: the families above are written as clients of schema version 1 wrote them (no
``schema_version``), on purpose: the write path converts such a proposal, so every test that
proposes one also checks that old clients keep working; what is stored and read back is
always the current version (tests that change a stored document use the current field
names). The general results model has its own builders, in schema version 2: the three result
shapes of the issue (``mean_with_sd_outcome``, ``median_with_iqr_outcome``,
``one_sided_hazard_ratio_outcome``), ``general_trial`` and ``results_trial``.
"""

from __future__ import annotations

import copy
from typing import Any


def revised(document: dict, **changes: Any) -> dict:
    """A deep copy of ``document`` with ``changes`` replacing top-level fields."""
    new = copy.deepcopy(document)
    new.update(changes)
    return new


# --- IFM 2005-02: minimal and valid ---------------------------------------------------------


def ifm_citation(slug: str = "attal-2012", **overrides: Any) -> dict:
    return revised(
        {
            "slug": slug,
            "kind": "article",
            "title": "Lenalidomide Maintenance after Stem-Cell Transplantation for Multiple "
            "Myeloma",
            "authors": ["Attal M", "Lauwers-Cances V", "Marit G"],
            "authors_et_al": True,
            "journal": "New England Journal of Medicine",
            "year": 2012,
            "volume": "366",
            "pages": "1782-1791",
        },
        **overrides,
    )


def ifm_intervention(slug: str = "lenalidomide", **overrides: Any) -> dict:
    return revised(
        {
            "slug": slug,
            "name": "Revlimid (lenalidomide)",
            "generic_name": "lenalidomide",
            "brand_names": ["Revlimid"],
        },
        **overrides,
    )


def ifm_trial(slug: str = "ifm-2005-02", **overrides: Any) -> dict:
    """IFM 2005-02; refers to ``ifm_citation()`` and ``ifm_intervention()``."""
    return revised(
        {
            "slug": slug,
            "name": "IFM 2005-02",
            "registry_ids": [{"registry": "NCT", "id": "NCT00430365"}],
            "setting": "post_autologous_transplant",
            "population": "614 patients under age 65 after transplantation",
            "enrollment": 614,
            "interventions": ["lenalidomide"],
            "arms": [
                {
                    "key": "len",
                    "label": "Revlimid maintenance",
                    "role": "experimental",
                    "regimen": [
                        {
                            "intervention": "lenalidomide",
                            "description": "Revlimid",
                            "phase": "maintenance",
                        }
                    ],
                },
                {"key": "pbo", "label": "Placebo", "role": "placebo"},
            ],
            "outcomes": [
                {
                    "key": "pfs",
                    "endpoint": "pfs",
                    "label": "Average survival without myeloma progression",
                    "measure": "duration_unspecified",
                    "unit": "months",
                    "values": [{"arm": "len", "value": 41}, {"arm": "pbo", "value": 23}],
                },
                {
                    "key": "spm",
                    "endpoint": "second_primary_malignancy",
                    "label": "New cancers",
                    "measure": "event_count",
                    "unit": "count",
                    "values": [{"arm": "len", "value": 32}, {"arm": "pbo", "value": 12}],
                },
            ],
            "findings": [
                {
                    "key": "pfs-benefit",
                    "statement": "Revlimid maintenance improved progression-free survival.",
                    "kind": "efficacy",
                    "outcomes": ["pfs"],
                }
            ],
            "summary": "Revlimid after transplant delayed progression.",
            "citations": ["attal-2012"],
        },
        **overrides,
    )


# --- Drugex: synthetic, every part filled, for rendering --------------------------------------


def drugex_citation(slug: str = "smith-2020", **overrides: Any) -> dict:
    return revised(
        {
            "slug": slug,
            "kind": "article",
            "title": f"Maintenance study reported by {slug}",
            "authors": ["Smith A", "Jones B"],
            "authors_et_al": True,
            "journal": "Journal of Examples",
            "year": 2020,
            "volume": "12",
            "pages": "100-110",
            "doi": "10.1000/example.1",
            "url": "https://example.org/paper",
        },
        **overrides,
    )


def drugex_intervention(
    slug: str = "drug-a", name: str = "Drugex (drug-a)", **overrides: Any
) -> dict:
    return revised(
        {"slug": slug, "name": name, "generic_name": slug, "brand_names": ["Drugex"]}, **overrides
    )


def drugex_trial(slug: str = "trial-one", name: str = "TRIAL ONE", **overrides: Any) -> dict:
    """A trial with comparisons, conduct notes, arm sizes and notes; refers to
    ``drugex_citation()`` and ``drugex_intervention()``."""
    return revised(
        {
            "slug": slug,
            "name": name,
            "full_title": f"A randomised study called {name}",
            "registry_ids": [{"registry": "NCT", "id": "NCT00000001"}],
            "phase": "3",
            "design": {"randomised": True, "blinding": "double_blind", "placebo_controlled": True},
            "setting": "post_autologous_transplant",
            "population": "Adults with myeloma after transplant.",
            "enrollment": 400,
            "median_follow_up_months": 30,
            "conduct_notes": [
                {"key": "unblinding", "kind": "unblinding", "text": "Unblinded early."}
            ],
            "interventions": ["drug-a"],
            "arms": [
                {
                    "key": "drug",
                    "label": "Drugex",
                    "role": "experimental",
                    "regimen": [
                        {
                            "intervention": "drug-a",
                            "description": "Drugex daily",
                            "phase": "maintenance",
                        }
                    ],
                    "n": 200,
                    "description": "Daily tablets.",
                },
                {"key": "placebo", "label": "Placebo", "role": "placebo", "n": 200},
            ],
            "outcomes": [
                {
                    "key": "pfs",
                    "endpoint": "pfs",
                    "label": "median progression-free survival",
                    "measure": "median",
                    "unit": "months",
                    "values": [
                        {"arm": "drug", "value": 46},
                        {"arm": "placebo", "value": 24, "note": "as reported"},
                    ],
                    "comparisons": [
                        {
                            "key": "hr",
                            "kind": "hazard_ratio",
                            "arm": "drug",
                            "reference_arm": "placebo",
                            "estimate": 0.48,
                            "ci_low": 0.36,
                            "ci_high": 0.63,
                            "ci_level": 95,
                            "p_value": 0.001,
                            "p_value_qualifier": "less_than",
                            "significant": True,
                            "note": "stratified",
                        }
                    ],
                    "citations": ["smith-2020"],
                },
                {
                    "key": "os",
                    "endpoint": "os",
                    "label": "median overall survival",
                    "measure": "median",
                    "unit": "months",
                    "subgroup": "all patients",
                    "values": [
                        {"arm": "drug", "not_reached": True},
                        {"arm": "placebo", "value": 76, "qualifier": "about"},
                    ],
                    "note": "After 30 months.",
                },
            ],
            "findings": [
                {
                    "key": "longer_pfs",
                    "statement": "Drugex lengthened progression-free survival.",
                    "kind": "efficacy",
                    "outcomes": ["pfs"],
                    "citations": ["smith-2020"],
                    "note": "primary endpoint",
                }
            ],
            "summary": "Drugex after transplant delayed progression.",
            "citations": ["smith-2020"],
            "notes": "Editors checked the abstract.",
        },
        **overrides,
    )


def drugex_topic(
    slug: str = "maintenance", trials: tuple[str, ...] = ("trial-one",), **overrides: Any
) -> dict:
    """A topic whose one section and one finding list ``trials`` (Drugex trials)."""
    return revised(
        {
            "slug": slug,
            "title": "What is maintenance therapy?",
            "condition": "Multiple myeloma",
            "summary": "Maintenance therapy keeps a remission.\n\nIt may delay progression.",
            "byline": "Dr. Example",
            "source_updated": "2023-02",
            "sections": [
                {
                    "key": "after-transplant",
                    "heading": "Drugex after transplant",
                    "body": ["Drugex was studied after transplant."],
                    "interventions": ["drug-a"],
                    "setting": "post_autologous_transplant",
                    "trials": list(trials),
                }
            ],
            "findings": [
                {
                    "key": "overall",
                    "statement": "Maintenance delays progression.",
                    "kind": "conclusion",
                    "trials": list(trials),
                    "citations": ["smith-2020"],
                }
            ],
            "citations": ["smith-2020"],
            "notes": "Topic note.",
        },
        **overrides,
    )


# --- The seed article: CALGB 100104 and Myeloma XI, canonical form ----------------------------


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


def mccarthy_2012_citation(**overrides: Any) -> dict:
    """CALGB 100104's publication."""
    return revised(
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
        **overrides,
    )


def jackson_2019_citation(**overrides: Any) -> dict:
    """Myeloma XI's publication."""
    return revised(
        {
            "slug": "jackson-2019-lancet-oncol-myeloma-xi",
            "kind": "article",
            "title": "Lenalidomide maintenance versus observation for patients with newly "
            "diagnosed multiple myeloma (Myeloma XI)",
            "journal": "Lancet Oncology",
            "year": 2019,
        },
        **overrides,
    )


def article_lenalidomide(**overrides: Any) -> dict:
    return revised(
        {
            "slug": "lenalidomide",
            "name": "Revlimid (lenalidomide)",
            "generic_name": "lenalidomide",
            "brand_names": ["Revlimid"],
            "route": "oral",
        },
        **overrides,
    )


def article_placebo(**overrides: Any) -> dict:
    return revised({"slug": "placebo", "name": "Placebo", "generic_name": "placebo"}, **overrides)


def article_citations() -> list[dict]:
    """Every citation ``calgb_100104()`` and ``myeloma_xi()`` refer to."""
    return [mccarthy_2012_citation(), jackson_2019_citation()]


def article_interventions() -> list[dict]:
    """Every intervention ``calgb_100104()`` and ``myeloma_xi()`` refer to."""
    return [article_lenalidomide(), article_placebo()]


def calgb_100104(**overrides: Any) -> dict:
    """Every part of a trial: design, conduct notes, regimens, comparisons, findings, notes."""
    return revised(
        {
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
            "population": "Patients age 71 or younger with multiple myeloma after (single "
            "autologous) stem-cell transplantation.",
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
                            "The article says 'nearly doubled'; no difference or p-value is "
                            "stated.",
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
                    "statement": "Patients in the Revlimid group had a significantly longer "
                    "time to disease progression compared to those in the placebo group.",
                    "kind": "efficacy",
                    "outcomes": ["ttp"],
                    "trials": [],
                    "citations": ["mccarthy-2012-nejm"],
                    "note": None,
                }
            ],
            "summary": "460 patients age 71 or younger were randomly assigned to Revlimid or "
            "placebo after transplantation. Revlimid significantly lengthened time to "
            "progression (median 53 vs 27 months, nearly doubled).",
            "citations": ["mccarthy-2012-nejm"],
            "notes": "'Nearly doubled' (27 to 53 months) is the article's wording.",
        },
        **overrides,
    )


def myeloma_xi(**overrides: Any) -> dict:
    """A shorter trial: an observation arm, one outcome whose first value is 39 (PFS)."""
    return revised(
        {
            "slug": "myeloma-xi",
            "name": "Myeloma XI",
            "setting": "newly_diagnosed_mixed",
            "population": "Patients with newly diagnosed multiple myeloma following a response "
            "to initial induction therapy.",
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
            "summary": "Revlimid maintenance significantly delayed myeloma progression (39 vs "
            "20 months without progression) but did not improve overall survival.",
            "citations": ["jackson-2019-lancet-oncol-myeloma-xi"],
        },
        **overrides,
    )


def article_topic(**overrides: Any) -> dict:
    """A small topic listing CALGB 100104."""
    return revised(
        {
            "slug": "myeloma-maintenance",
            "title": "Maintenance therapy in multiple myeloma",
            "condition": "Multiple myeloma",
            "summary": "What keeps myeloma in check after first treatment.",
            "sections": [
                {
                    "key": "len",
                    "heading": "Revlimid",
                    "body": ["Text."],
                    "trials": ["calgb-100104"],
                }
            ],
        },
        **overrides,
    )


# --- Synthetic: made-up, for the API ----------------------------------------------------------


def synthetic_intervention(**overrides: Any) -> dict:
    return revised(
        {
            "slug": "testamide",
            "name": "Testamide",
            "generic_name": "testamide",
            "brand_names": ["Testa"],
        },
        **overrides,
    )


def synthetic_citation(**overrides: Any) -> dict:
    return revised(
        {
            "slug": "synthetic-2020",
            "kind": "article",
            "title": "A synthetic trial report used only by the test suite",
            "year": 2020,
        },
        **overrides,
    )


def synthetic_trial(**overrides: Any) -> dict:
    """Refers to ``synthetic_intervention()`` and ``synthetic_citation()``."""
    return revised(
        {
            "slug": "synthetic-trial",
            "name": "Synthetic Trial",
            "phase": "3",
            "setting": "post_autologous_transplant",
            "population": "Synthetic patients (test data, not evidence)",
            "enrollment": 300,
            "registry_ids": [{"registry": "NCT", "id": "NCT99999901"}],
            "interventions": ["testamide"],
            "arms": [
                {"key": "tst", "label": "Testamide", "role": "experimental", "n": 150},
                {"key": "pbo", "label": "Placebo", "role": "placebo", "n": 150},
            ],
            "outcomes": [
                {
                    "key": "pfs",
                    "endpoint": "pfs",
                    "label": "Progression-free survival",
                    "measure": "median",
                    "unit": "months",
                    "values": [{"arm": "tst", "value": 30}, {"arm": "pbo", "value": 20}],
                }
            ],
            "summary": "A synthetic trial for tests.",
            "citations": ["synthetic-2020"],
        },
        **overrides,
    )


def synthetic_other_trial(**overrides: Any) -> dict:
    """A second trial, in another setting and phase, with an ISRCTN id and nothing else."""
    return revised(
        {
            "slug": "other-trial",
            "name": "Other Trial",
            "phase": "2",
            "setting": "transplant_ineligible",
            "population": "Other synthetic patients",
            "registry_ids": [{"registry": "ISRCTN", "id": "ISRCTN0000002"}],
        },
        **overrides,
    )


def synthetic_topic(**overrides: Any) -> dict:
    """A topic listing ``synthetic_trial()``."""
    return revised(
        {
            "slug": "synthetic-topic",
            "title": "Synthetic topic",
            "condition": "Synthetic condition",
            "summary": "A topic for tests.",
            "sections": [
                {"key": "main", "heading": "Main", "body": ["Text."], "trials": ["synthetic-trial"]}
            ],
        },
        **overrides,
    )


# --- Minimal ----------------------------------------------------------------------------------


def minimal_citation(slug: str, **overrides: Any) -> dict:
    """A citation with only the required fields."""
    return revised({"slug": slug, "kind": "article", "title": "T"}, **overrides)


def minimal_topic(**overrides: Any) -> dict:
    """A topic with only the required fields (no sections, so no trials)."""
    return revised(
        {
            "slug": "maintenance",
            "title": "Maintenance therapy",
            "condition": "Multiple myeloma",
            "summary": "Maintenance after transplant.",
        },
        **overrides,
    )


# --- Schema version 2: the results shapes of issue 11, for rendering --------------------------


def mean_with_sd_outcome() -> dict:
    """A mean with its standard deviation, on a scale the source names in words: printed
    "mean 12.4 (SD 3.1)". Arms ``drug`` and ``pbo``."""
    return {
        "key": "basdai",
        "title": "Change from baseline in BASDAI score",
        "endpoint": "other",
        "endpoint_label": "BASDAI change",
        "type": "primary",
        "time_frame": "Baseline and week 16",
        "timepoint": {"value": 16, "unit": "weeks"},
        "measure": "mean",
        "unit": "other",
        "unit_text": "score on a scale",
        "dispersion": {"kind": "standard_deviation"},
        "values": [
            {"arm": "drug", "value": 12.4, "spread": 3.1, "raw": "12.4", "participants": 120},
            {"arm": "pbo", "value": 8.0, "spread": 2.9, "raw": "8.0", "participants": 118},
        ],
    }


def median_with_iqr_outcome() -> dict:
    """A median with its interquartile range, and an arm whose median was not reached (the
    source printed "NA"). Arms ``drug`` and ``pbo``."""
    return {
        "key": "resolution",
        "title": "Days to symptom resolution",
        "measure": "median",
        "unit": "days",
        "dispersion": {"kind": "interquartile_range"},
        "values": [
            {"arm": "drug", "value": 14, "low": 10, "high": 21},
            {
                "arm": "pbo",
                "missing": "not_reached",
                "missing_text": "fewer than half of the patients resolved",
                "raw": "NA",
            },
        ],
    }


def one_sided_hazard_ratio_outcome() -> dict:
    """A hazard ratio with a one-sided 97.5% interval and a p-value printed "<0.001", from a
    registry record. Arms ``drug`` and ``pbo``."""
    return {
        "key": "pfs",
        "title": "Progression-free survival",
        "endpoint": "pfs",
        "measure": "median",
        "unit": "months",
        "values": [{"arm": "drug", "value": 27}, {"arm": "pbo", "value": 19}],
        "comparisons": [
            {
                "key": "hr",
                "kind": "hazard_ratio",
                "arm": "drug",
                "reference_arm": "pbo",
                "estimate": 0.62,
                "unit": "ratio",
                "ci_high": 0.8,
                "ci_level": 97.5,
                "ci_sides": 1,
                "ci_bound_missing": "not_reported",
                "p_value": 0.001,
                "p_value_comparator": "<",
                "p_value_text": "<0.001",
                "method": "Cox proportional hazards",
                "significant": True,
                "source": {
                    "registry": "NCT",
                    "registry_id": "NCT09999999",
                    "pointer": "/resultsSection/outcomeMeasuresModule/outcomeMeasures/0",
                },
            }
        ],
    }


def general_trial(outcomes: list[dict], **overrides: Any) -> dict:
    """A schema 2 trial outside the seed article's field (arms ``drug`` and ``pbo``, the
    setting only in words) with the given outcomes."""
    return revised(
        {
            "schema_version": 2,
            "slug": "general-trial",
            "name": "A general trial",
            "population": "Adults with the condition.",
            "setting_text": "Outpatients with active disease",
            "arms": [
                {"key": "drug", "label": "Drugex", "role": "experimental"},
                {"key": "pbo", "label": "Placebo", "role": "placebo"},
            ],
            "outcomes": outcomes,
        },
        **overrides,
    )


def results_trial(slug: str = "results-shapes", **overrides: Any) -> dict:
    """A schema 2 trial with the three result shapes a journal prints (``mean_with_sd_outcome``,
    ``median_with_iqr_outcome``, ``one_sided_hazard_ratio_outcome``). Refers to
    ``drugex_citation()``. Also: conditions, two phases, masking with roles, dates, an
    editorial name and registry id, a value that names its citation, and a comparison whose
    measure the source does not state."""
    mean, median, hazard = (
        mean_with_sd_outcome(),
        median_with_iqr_outcome(),
        one_sided_hazard_ratio_outcome(),
    )
    mean["values"][0]["source"] = {"citation": "smith-2020", "page": "104"}
    median["comparisons"] = [
        {
            "key": "faster",
            "kind": "not_stated",
            "arm": "drug",
            "reference_arm": "pbo",
            "significant": True,
        }
    ]
    extras: dict[str, Any] = dict(
        slug=slug,
        name="RESULTS SHAPES",
        name_editorial=True,
        registry_ids=[{"registry": "NCT", "id": "NCT09999999", "editorial": True}],
        conditions=[{"text": "Axial spondyloarthritis", "code": "D025242", "system": "MeSH"}],
        phases=["2", "3"],
        design={
            "allocation": "randomised",
            "masking": "double",
            "masked_roles": ["participant", "investigator"],
            "model": "parallel",
        },
        population="Adults with active disease.",
        enrollment=240,
        enrollment_type="actual",
        dates={"start": {"date": "2019-03", "type": "actual"}},
        citations=["smith-2020"],
    )
    return general_trial([mean, median, hazard], **{**extras, **overrides})


def hazard_ratio_trial(slug: str = "hazard-ratio-trial", **overrides: Any) -> dict:
    """A schema 2 trial (``general_trial``) whose overall survival has a hazard ratio with a
    two-sided 95% interval and a p-value, as most journals print it."""
    outcome = {
        "key": "os",
        "title": "Overall survival",
        "endpoint": "os",
        "measure": "median",
        "unit": "months",
        "values": [{"arm": "drug", "value": 41.5}, {"arm": "pbo", "value": 33.2}],
        "comparisons": [
            {
                "key": "hr",
                "kind": "hazard_ratio",
                "arm": "drug",
                "reference_arm": "pbo",
                "estimate": 0.71,
                "unit": "ratio",
                "ci_low": 0.56,
                "ci_high": 0.9,
                "ci_level": 95,
                "ci_sides": 2,
                "p_value": 0.004,
                "method": "Cox proportional hazards",
                "significant": True,
            }
        ],
    }
    return general_trial([outcome], slug=slug, name="A hazard ratio trial", **overrides)
