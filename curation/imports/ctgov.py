"""A ClinicalTrials.gov API v2 study document -> a schema-2 trial document, and what the
reviewer should check. Pure: no database, no network.

The protocol (identification, conditions, design, phases, enrollment, dates, arm groups and
their interventions) is mapped here; the results (outcome measures and their analyses) in
``ctgov_results``. Results groups (``OG000``...) name arms only by title, and the same id names
different groups in different outcomes, so groups are matched to arms by title: exactly one
arm with that label, or the importer's ``group_map`` says which (``UnmappedGroups`` lists the
others). Nothing is guessed: what the registry says in words only stays words, and every
imported value points back into the document (registry, NCT id, JSON pointer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evidence.documents.upcasting import CURRENT_SCHEMA_VERSION

from . import ctgov_groups, ctgov_results
from .errors import NotAStudy
from .registry_text import count, pointer, unescape, unique_key

NCT_ID = re.compile(r"^NCT[0-9]{8}$")
SKIP = ctgov_groups.SKIP
NEW_ARM = ctgov_groups.NEW_ARM

PHASES = {
    "EARLY_PHASE1": "early_1",
    "PHASE1": "1",
    "PHASE2": "2",
    "PHASE3": "3",
    "PHASE4": "4",
    "NA": "not_applicable",
}
# The registry lists a phase 1/2 or 2/3 trial as its two phases.
COMBINED_PHASES = {("1", "2"): "1/2", ("2", "3"): "2/3"}
ALLOCATION = {
    "RANDOMIZED": "randomised",
    "NON_RANDOMIZED": "non_randomised",
    "NA": "not_applicable",
}
MASKING = {
    "NONE": "none",
    "SINGLE": "single",
    "DOUBLE": "double",
    "TRIPLE": "triple",
    "QUADRUPLE": "quadruple",
}
MASKED_ROLES = {
    "PARTICIPANT": "participant",
    "CARE_PROVIDER": "care_provider",
    "INVESTIGATOR": "investigator",
    "OUTCOMES_ASSESSOR": "outcomes_assessor",
}
MODELS = {
    "PARALLEL": "parallel",
    "CROSSOVER": "crossover",
    "FACTORIAL": "factorial",
    "SINGLE_GROUP": "single_group",
    "SEQUENTIAL": "sequential",
    "OTHER": "other",
}
ARM_ROLES = {
    "EXPERIMENTAL": "experimental",
    "ACTIVE_COMPARATOR": "active_comparator",
    "PLACEBO_COMPARATOR": "placebo",
    "SHAM_COMPARATOR": "sham_comparator",
    "NO_INTERVENTION": "no_intervention",
    "OTHER": "other",
}
DATE_TYPES = {"ACTUAL": "actual", "ESTIMATED": "anticipated", "ANTICIPATED": "anticipated"}


@dataclass
class StudyImport:
    """What an import proposes, and what the reviewer should check (``warnings``: [{path,
    message}], each path a JSON pointer into the study document)."""

    nct_id: str
    last_updated: str | None
    document: dict[str, Any]
    warnings: list[dict[str, str]] = field(default_factory=list)
    has_results: bool = False
    references: list[dict[str, str]] = field(default_factory=list)  # {pmid, citation}


class Mapper:
    """One study's mapping; collects warnings as it goes."""

    def __init__(self, study: dict[str, Any], nct_id: str, label: str):
        self.study = study
        self.nct_id = nct_id
        self.label = label
        self.warnings: list[dict[str, str]] = []

    def warn(self, path: str, message: str) -> None:
        self.warnings.append({"path": path, "message": message})

    def source(self, json_pointer: str) -> dict[str, str]:
        return {"registry": "NCT", "registry_id": self.nct_id, "pointer": json_pointer}


def study_id(study: Any, label: str) -> str:
    """The NCT id of a v2 study document, or ``NotAStudy`` saying what is missing where."""
    if not isinstance(study, dict):
        raise NotAStudy(
            [{"path": "", "message": "a study document is a JSON object"}],
            f"{label} is not a ClinicalTrials.gov API v2 study document",
        )
    nct_id = get(study, "protocolSection", "identificationModule", "nctId")
    if not isinstance(nct_id, str) or not NCT_ID.match(nct_id):
        found = "is missing" if nct_id is None else f"is {str(nct_id)[:40]!r}, not NCT + 8 digits"
        raise NotAStudy(
            [{"path": "/protocolSection/identificationModule/nctId", "message": f"the id {found}"}],
            f"{label} is not a ClinicalTrials.gov API v2 study document "
            "(protocolSection.identificationModule.nctId)",
        )
    return nct_id


def last_update(study: dict[str, Any]) -> str | None:
    """The registry's last update posted ('2023-12-22'), as the study says."""
    status = get(study, "protocolSection", "statusModule") or {}
    posted = (status.get("lastUpdatePostDateStruct") or {}).get("date")
    return posted or status.get("lastUpdateSubmitDate")


def map_study(
    study: Any,
    *,
    group_map: Mapping[str, str] | None = None,
    existing: dict[str, Any] | None = None,
    citations_by_pmid: Mapping[str, str] | None = None,
    label: str = "the study",
) -> StudyImport:
    """Map ``study`` to a trial document. ``existing``: the record's current document, whose
    arm and outcome keys are kept where labels match (so a re-import diffs item by item)."""
    nct_id = study_id(study, label)
    mapper = Mapper(study, nct_id, label if nct_id in label else f"{label} ({nct_id})")
    protocol = study.get("protocolSection") or {}
    updated = last_update(study)
    document = _protocol(mapper, protocol, updated)
    arms = _arms(mapper, protocol, existing)
    has_results = isinstance(study.get("resultsSection"), dict)
    outcome_measures = get(study, "resultsSection", "outcomeMeasuresModule", "outcomeMeasures")
    if not has_results or not outcome_measures:
        mapper.warn(
            "/resultsSection",
            f"{nct_id} has no results on ClinicalTrials.gov: only the protocol is imported",
        )
        outcome_measures = []
    group_arms = ctgov_groups.resolve_groups(mapper, outcome_measures, arms, group_map or {})
    references = _references(protocol)
    # In the current schema version, which it is written in: an unversioned document is
    # taken as version 1 and copied through the upcasters before every validation.
    document["schema_version"] = CURRENT_SCHEMA_VERSION
    document["citations"] = _cited(mapper, references, citations_by_pmid or {})
    document["arms"] = arms
    document["outcomes"] = ctgov_results.outcomes(
        mapper, outcome_measures, group_arms, arms, updated, existing
    )
    return StudyImport(
        nct_id=nct_id,
        last_updated=updated,
        document=document,
        warnings=mapper.warnings,
        has_results=has_results,
        references=references,
    )


# --- Protocol -----------------------------------------------------------------------------------


def _protocol(mapper: Mapper, protocol: dict[str, Any], updated: str | None) -> dict[str, Any]:
    ident = protocol.get("identificationModule") or {}
    status = protocol.get("statusModule") or {}
    design_module = protocol.get("designModule") or {}
    design_info = design_module.get("designInfo") or {}
    masking = design_info.get("maskingInfo") or {}
    nct_id = mapper.nct_id
    name = unescape(ident.get("acronym")) or unescape(ident.get("briefTitle")) or nct_id
    registry_ids = [{"registry": "NCT", "id": nct_id}]
    for i, secondary in enumerate(ident.get("secondaryIdInfos") or []):
        if secondary.get("type") == "EUDRACT_NUMBER" and secondary.get("id"):
            registry_ids.append({"registry": "EudraCT", "id": secondary["id"].strip()})
        elif secondary.get("id"):
            mapper.warn(
                pointer("protocolSection", "identificationModule", "secondaryIdInfos", i),
                f"secondary id {secondary['id']!r} ({secondary.get('type') or 'no type'}) "
                "is not imported",
            )
    document: dict[str, Any] = {
        "slug": nct_id.lower(),
        "name": name[:500],
        "full_title": unescape(ident.get("officialTitle") or ident.get("briefTitle")),
        "registry_ids": registry_ids,
        "conditions": [
            {"text": unescape(c)[:500]}
            for c in (protocol.get("conditionsModule") or {}).get("conditions") or []
            if unescape(c)
        ],
        "phases": _phases(design_module.get("phases") or []),
        "design": {
            "allocation": ALLOCATION.get(design_info.get("allocation")),
            "masking": MASKING.get(masking.get("masking")),
            "masked_roles": [
                MASKED_ROLES[r] for r in masking.get("whoMasked") or [] if r in MASKED_ROLES
            ],
            "model": MODELS.get(design_info.get("interventionModel")),
        },
        # The registry has no setting in the sense of the controlled list; editors complete it.
        "setting_text": "Not stated by the registry; to be completed by the editors.",
        "population": _population(protocol),
        "dates": {
            name: _date(status.get(struct))
            for name, struct in (
                ("start", "startDateStruct"),
                ("primary_completion", "primaryCompletionDateStruct"),
                ("completion", "completionDateStruct"),
            )
            if _date(status.get(struct))
        },
        "notes": f"Imported from ClinicalTrials.gov {nct_id}"
        + (f", last updated {updated}." if updated else "."),
    }
    mapper.warn(
        "/protocolSection",
        "the registry gives no setting: the import says so in setting_text; give the setting",
    )
    enrollment = design_module.get("enrollmentInfo") or {}
    if count(str(enrollment.get("count"))) is not None:
        document["enrollment"] = count(str(enrollment["count"]))
        if enrollment.get("type") in DATE_TYPES:
            document["enrollment_type"] = DATE_TYPES[enrollment["type"]]
    return document


def _phases(phases: list[str]) -> list[str]:
    mapped = [PHASES[p] for p in phases if p in PHASES]
    combined = COMBINED_PHASES.get(tuple(mapped))
    return [combined] if combined else mapped


def _date(struct: Any) -> dict[str, str] | None:
    if not isinstance(struct, dict) or not re.match(
        r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$", str(struct.get("date") or "")
    ):
        return None
    date = {"date": struct["date"]}
    if struct.get("type") in DATE_TYPES:
        date["type"] = DATE_TYPES[struct["type"]]
    return date


def _population(protocol: dict[str, Any]) -> str:
    """Who was eligible, in the registry's own terms (sex, ages)."""
    eligibility = protocol.get("eligibilityModule") or {}
    parts = []
    if eligibility.get("sex"):
        parts.append(f"sex: {eligibility['sex'].lower()}")
    low, high = eligibility.get("minimumAge"), eligibility.get("maximumAge")
    if low or high:
        parts.append(f"ages: {low or 'no minimum'} to {high or 'no maximum'}")
    if eligibility.get("healthyVolunteers") is not None:
        parts.append(f"healthy volunteers: {'yes' if eligibility['healthyVolunteers'] else 'no'}")
    if not parts:
        return "Eligibility not stated by the registry."
    return "Eligible participants as registered (" + "; ".join(parts) + ")."


def _arms(
    mapper: Mapper, protocol: dict[str, Any], existing: dict[str, Any] | None
) -> list[dict[str, Any]]:
    module = protocol.get("armsInterventionsModule") or {}
    groups = module.get("armGroups") or []
    labels = [unescape(group.get("label")) or f"Arm {i + 1}" for i, group in enumerate(groups)]
    # Keys: the current record's where the label is the same (a re-import then changes arms
    # in place), else arm-1, arm-2... by the registry's order (short, to map groups to).
    kept = {a.get("label"): a.get("key") for a in (existing or {}).get("arms", [])}
    taken = {kept[label] for label in labels if label in kept}
    arms = []
    for i, group in enumerate(groups):
        label = labels[i]
        role = ARM_ROLES.get(group.get("type"))
        if role is None:
            role = "other"
            mapper.warn(
                pointer("protocolSection", "armsInterventionsModule", "armGroups", i, "type"),
                f"arm {label!r} has no arm type the import knows "
                f"({group.get('type') or 'none given'}): its role is 'other'; check it",
            )
        key = kept.get(label) or unique_key(f"arm-{i + 1}", taken)
        arm: dict[str, Any] = {"key": key, "label": label[:500], "role": role}
        if unescape(group.get("description")):
            arm["description"] = unescape(group["description"])
        arm["regimen"] = [
            {"description": unescape(name)[:500]}
            for name in group.get("interventionNames") or []
            if unescape(name)
        ][:20]
        arms.append(arm)
    return arms


def _references(protocol: dict[str, Any]) -> list[dict[str, Any]]:
    references = (protocol.get("referencesModule") or {}).get("references") or []
    return [
        {"index": i, "pmid": str(r["pmid"]), "citation": unescape(r.get("citation")) or ""}
        for i, r in enumerate(references)
        if isinstance(r, dict) and r.get("pmid")
    ]


def _cited(mapper: Mapper, references, citations_by_pmid: Mapping[str, str]) -> list[str]:
    """The slugs of the citation records the study's references are (by PMID); the others
    are named for the reviewer, to be imported as citations first."""
    slugs: list[str] = []
    for reference in references:
        slug = citations_by_pmid.get(reference["pmid"])
        if slug and slug not in slugs:
            slugs.append(slug)
        elif not slug:
            words = reference["citation"]
            mapper.warn(
                pointer("protocolSection", "referencesModule", "references", reference["index"]),
                f"reference PMID {reference['pmid']} is not a citation record yet"
                + (f" ({words[:120]}{'…' if len(words) > 120 else ''})" if words else "")
                + ": import it as a citation, then add it to the trial",
            )
    return slugs


def get(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data
