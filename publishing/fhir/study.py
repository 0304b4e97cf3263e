"""A trial as a ResearchStudy, each arm as a Group, each outcome as an EvidenceVariable.

Shaped after HL7's R5 example of a ClinicalTrials.gov record as a ResearchStudy
(``ResearchStudy-example-ctgov-study-record.json``): registry ids as identifiers with the
registry's system, the official title as a label, the design as ``studyDesign`` texts
("Design Allocation: Randomized"), ``comparisonGroup`` per arm with its regimen as contained
EvidenceVariables (``intendedExposure``), ``outcomeMeasure`` per outcome with its objective
type. Each arm is also a Group (``comparisonGroup.observedGroup``), the population its
Evidence resources describe. The interventions are the study's ``focus``
(MedicinalProductDefinition) and the citations its ``relatedArtifact``.
"""

from __future__ import annotations

from typing import Any

from evidence.documents import vocabulary

from .. import formatting
from .. import trial_facts as facts
from . import codes, terminology
from .common import RecordContext, compact, fhir_id, notes, record_reference, reference


def arm_group_id(slug: str, arm_key: str) -> str:
    return fhir_id(slug, arm_key)


def outcome_variable_id(slug: str, outcome_key: str) -> str:
    return fhir_id(slug, outcome_key)


def research_study(trial: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    slug = trial["slug"]
    enrollment = trial.get("enrollment")
    exact_enrollment = enrollment is not None and not trial.get("enrollment_qualifier")
    anticipated = trial.get("enrollment_type") == "anticipated"
    dates = trial.get("dates") or {}
    resource = {
        **ctx.head("ResearchStudy", fhir_id(slug)),
        "identifier": [ctx.identifier(slug), *map(_registry_identifier, trial["registry_ids"])],
        "title": trial["name"],
        "label": [{"type": {"text": "Official Title"}, "value": trial.get("full_title")}],
        "status": "active",
        "phase": _phase(trial.get("phases") or []),
        "studyDesign": [{"text": text} for text in _design_texts(trial)],
        "condition": [_condition(c) for c in trial.get("conditions", [])],
        "focus": [
            {"reference": record_reference("MedicinalProductDefinition", i)}
            for i in trial.get("interventions", [])
        ],
        "descriptionSummary": trial.get("summary"),
        "description": trial["population"],
        "classifier": [{"text": text} for text in _setting_texts(trial)],
        "period": {
            "start": (dates.get("start") or {}).get("date"),
            "end": (dates.get("completion") or {}).get("date"),
        },
        "recruitment": {
            ("targetNumber" if anticipated else "actualNumber"): (
                enrollment if exact_enrollment else None
            )
        },
        "contained": [
            _regimen_variable(arm, i, part)
            for arm in trial["arms"]
            for i, part in enumerate(arm.get("regimen", []))
        ],
        "comparisonGroup": [_comparison_group(slug, arm) for arm in trial["arms"]],
        "outcomeMeasure": [_outcome_measure(slug, o) for o in trial["outcomes"]],
        "relatedArtifact": [
            {"type": "citation", "resourceReference": record_reference("Citation", c)}
            for c in trial.get("citations", [])
        ],
        "note": notes(*_study_notes(trial, exact_enrollment)),
    }
    return compact(resource)


def arm_groups(trial: dict[str, Any], ctx: RecordContext) -> list[dict[str, Any]]:
    """One Group per arm: the patients assigned to it (``quantity``: how many)."""
    groups = []
    for arm in trial["arms"]:
        group_id = arm_group_id(trial["slug"], arm["key"])
        regimen = "; ".join(part["description"] for part in arm.get("regimen", []))
        groups.append(
            compact(
                {
                    **ctx.head("Group", group_id, canonical=False),
                    "identifier": [ctx.identifier(trial["slug"], arm["key"])],
                    "type": "person",
                    "membership": "definitional",
                    "name": arm["label"],
                    "description": arm.get("description") or regimen,
                    "quantity": arm.get("n"),
                    "code": {"text": vocabulary.ARM_ROLE_LABELS[arm["role"]]},
                }
            )
        )
    return groups


def outcome_variables(trial: dict[str, Any], ctx: RecordContext) -> list[dict[str, Any]]:
    return [_outcome_variable(trial, outcome, ctx) for outcome in trial["outcomes"]]


def _outcome_variable(trial: dict, outcome: dict, ctx: RecordContext) -> dict[str, Any]:
    """The outcome as the source words it, with the endpoint code (in our endpoint
    CodeSystem, ``terminology``: no HL7 code system names these endpoints), the time frame as
    ``timeFromEvent`` and the subgroup."""
    endpoint = outcome.get("endpoint")
    definition: dict[str, Any] = {"text": outcome["title"]}
    if endpoint:
        system = terminology.endpoint_system(ctx.base)
        display = terminology.endpoint_display(endpoint)
        definition["coding"] = [codes.coding(system, endpoint, display)]
    timepoint = outcome.get("timepoint")
    time_from_event = {
        "description": outcome.get("time_frame") or formatting.timepoint_text(timepoint),
        "quantity": (
            codes.ucum_quantity(timepoint["value"], timepoint["unit"]) if timepoint else None
        ),
    }
    characteristics = [
        {
            "description": outcome["title"],
            "definitionCodeableConcept": definition,
            "timeFromEvent": [time_from_event],
        }
    ]
    if outcome.get("subgroup"):
        characteristics.append(
            {
                "description": f"Subgroup: {outcome['subgroup']}",
                "definitionCodeableConcept": {"text": outcome["subgroup"]},
            }
        )
    variable_id = outcome_variable_id(trial["slug"], outcome["key"])
    phase = outcome.get("treatment_phase")
    return compact(
        {
            **ctx.head("EvidenceVariable", variable_id),
            "identifier": [ctx.identifier(trial["slug"], outcome["key"])],
            "title": outcome["title"],
            "status": "active",
            "description": outcome.get("description"),
            "actual": True,
            "characteristic": characteristics,
            "note": notes(
                f"Endpoint: {outcome['endpoint_label']}."
                if outcome.get("endpoint_label")
                else None,
                f"Measure: {vocabulary.MEASURE_LABELS[outcome['measure']]}; unit: "
                f"{formatting.results_unit(outcome) or outcome['unit']}.",
                f"Treatment phase: {vocabulary.TREATMENT_PHASE_LABELS[phase]}." if phase else None,
                outcome.get("note"),
            ),
        }
    )


def _registry_identifier(registry_id: dict[str, Any]) -> dict[str, Any]:
    identifier: dict[str, Any] = {
        "use": "official",
        "system": codes.REGISTRY_SYSTEMS.get(registry_id["registry"]),
        "value": registry_id["id"],
    }
    if registry_id.get("editorial"):
        identifier["use"] = "secondary"
        identifier["type"] = {"text": "identified by the editors (the source does not give it)"}
    return identifier


def _phase(phases: list[str]) -> dict[str, Any] | None:
    if not phases:
        return None
    words = facts.phases_text(phases)
    code = codes.PHASES.get(tuple(phases))
    return codes.concept(codes.STUDY_PHASE, *code, words) if code else {"text": words}


def _design_texts(trial: dict[str, Any]) -> list[str]:
    """The design the way HL7's ClinicalTrials.gov example writes it, in our words."""
    design = trial.get("design") or {}
    texts = []
    if design.get("allocation"):
        texts.append(f"Design Allocation: {vocabulary.ALLOCATION_LABELS[design['allocation']]}")
    if design.get("masking"):
        texts.append(f"Design Masking: {vocabulary.MASKING_LABELS[design['masking']]}")
    for role in design.get("masked_roles", []):
        texts.append(f"Design Who Masked: {vocabulary.MASKED_ROLE_LABELS[role]}")
    if design.get("model"):
        model = vocabulary.DESIGN_MODEL_LABELS[design["model"]]
        texts.append(f"Design Intervention Model: {model}")
    for flag, words in (
        ("placebo_controlled", "placebo-controlled"),
        ("multicentre", "multicentre"),
        ("international", "international"),
    ):
        if design.get(flag) is not None:
            texts.append(f"Design: {'' if design[flag] else 'not '}{words}")
    return texts


def _setting_texts(trial: dict[str, Any]) -> list[str]:
    texts = []
    if trial.get("setting"):
        texts.append(f"Setting: {vocabulary.SETTING_LABELS[trial['setting']]}")
    if trial.get("setting_text"):
        texts.append(f"Setting: {trial['setting_text']}")
    return texts


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"text": condition["text"]}
    system = codes.CODING_SYSTEMS.get(condition.get("system") or "")
    if system and condition.get("code"):
        found["coding"] = [codes.coding(system, condition["code"])]
    return found


def _regimen_id(arm_key: str, index: int) -> str:
    return fhir_id(arm_key, str(index))


def _regimen_variable(arm: dict[str, Any], index: int, part: dict[str, Any]) -> dict:
    """A regimen component as the contained EvidenceVariable HL7's example gives each
    intervention of an arm; it names the intervention record it gives."""
    phase = part.get("phase")
    variable = {
        "resourceType": "EvidenceVariable",
        "id": _regimen_id(arm["key"], index),
        "title": part["description"],
        "status": "active",
        "description": f"{vocabulary.TREATMENT_PHASE_LABELS[phase]} phase" if phase else None,
    }
    if part.get("intervention"):
        target = record_reference("MedicinalProductDefinition", part["intervention"])
        variable["relatedArtifact"] = [{"type": "depends-on", "resourceReference": target}]
    return variable


def _comparison_group(slug: str, arm: dict[str, Any]) -> dict[str, Any]:
    return {
        "linkId": fhir_id(arm["key"]),
        "name": arm["label"],
        "type": {"text": vocabulary.ARM_ROLE_LABELS[arm["role"]]},
        "description": arm.get("description"),
        "intendedExposure": [
            {"reference": f"#{_regimen_id(arm['key'], i)}", "type": "EvidenceVariable"}
            for i in range(len(arm.get("regimen", [])))
        ],
        "observedGroup": reference("Group", arm_group_id(slug, arm["key"])),
    }


def _outcome_measure(slug: str, outcome: dict[str, Any]) -> dict[str, Any]:
    kind = outcome.get("type")
    if kind in codes.OBJECTIVE_TYPES:
        objective = codes.concept(codes.OBJECTIVE_TYPE, kind, codes.OBJECTIVE_TYPES[kind])
    else:
        objective = {"text": kind} if kind else None
    return {
        "name": outcome["title"],
        "type": [objective] if objective else [],
        "description": outcome.get("description"),
        "reference": reference("EvidenceVariable", outcome_variable_id(slug, outcome["key"])),
    }


def _study_notes(trial: dict[str, Any], exact_enrollment: bool) -> list[str | None]:
    found = []
    if trial.get("name_editorial"):
        found.append("The source does not name the trial: the editors identified it.")
    if trial.get("enrollment") is not None and not exact_enrollment:
        found.append(f"Enrollment: {facts.enrollment(trial)}.")
    primary = (trial.get("dates") or {}).get("primary_completion")
    if primary:
        found.append(f"Primary completion: {facts.partial_date(primary)}.")
    if trial.get("median_follow_up_months") is not None:
        months = formatting.number(trial["median_follow_up_months"])
        found.append(f"Median follow-up: {months} months.")
    for note in trial.get("conduct_notes", []):
        found.append(f"{vocabulary.CONDUCT_NOTE_LABELS[note['kind']]}: {note['text']}")
    found.append(trial.get("notes"))
    return found
