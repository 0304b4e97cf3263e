"""Template contexts: documents turned into plain strings and numbers (never markup)."""

from __future__ import annotations

from typing import Any

from evidence.diff import describe_path

from .. import formatting as fmt
from .. import trial_facts as facts
from ..selectors import EvidenceAsOf, RecordState


def intervention_names(evidence: EvidenceAsOf, slugs: list[str]) -> list[str]:
    names = []
    for slug in slugs:
        record = evidence.get("intervention", slug)
        names.append(record.document["name"] if record else slug)
    return names


def trial_context(evidence: EvidenceAsOf, trial: RecordState) -> dict[str, Any]:
    doc = trial.document
    arms = {arm["key"]: arm for arm in doc.get("arms", [])}

    def arm_label(key: str) -> str:
        return arms.get(key, {}).get("label", key)

    return {
        "slug": trial.slug,
        "name": doc["name"],
        "name_editorial": doc.get("name_editorial", False),
        "full_title": doc.get("full_title"),
        "registry_ids": [
            {
                "registry": r["registry"],
                "id": r["id"],
                "editorial": r.get("editorial", False),
            }
            for r in doc.get("registry_ids", [])
        ],
        "conditions": [facts.condition_text(c) for c in doc.get("conditions", [])],
        "design": facts.design_summary(doc),
        "setting": facts.setting_text(doc),
        "setting_detail": facts.setting_detail(doc),
        "population": doc["population"],
        "enrollment": facts.enrollment(doc),
        "dates": facts.dates_text(doc),
        "follow_up": (
            f"{fmt.number(doc['median_follow_up_months'])} months (median)"
            if doc.get("median_follow_up_months") is not None
            else ""
        ),
        "interventions": intervention_names(evidence, doc.get("interventions", [])),
        "conduct_notes": [
            {"kind": fmt.CONDUCT[n["kind"]], "text": n["text"]}
            for n in doc.get("conduct_notes", [])
        ],
        "arms": [
            {
                "label": arm["label"],
                "role": fmt.ROLES[arm["role"]],
                "n": str(arm["n"]) if arm.get("n") is not None else None,
                "regimen": [
                    {
                        "description": part["description"],
                        "phase": fmt.PHASES.get(part.get("phase") or "", ""),
                    }
                    for part in arm.get("regimen", [])
                ],
                "description": arm.get("description"),
            }
            for arm in doc.get("arms", [])
        ],
        "outcomes": [outcome_context(outcome, arm_label) for outcome in doc.get("outcomes", [])],
        "findings": [finding_context(f) for f in doc.get("findings", [])],
        "summary": doc.get("summary"),
        "notes": doc.get("notes"),
        "refs": doc.get("citations", []),
        "version": str(trial.version),
        "approved_at": fmt.readable_time(trial.current.approved_at),
    }


def outcome_context(outcome: dict[str, Any], arm_label) -> dict[str, Any]:
    """One outcome's table: every arm's result and every comparison, as a journal prints
    them, each with the source it names (a reference marker and where in it)."""
    return {
        "key": outcome["key"],
        "heading": fmt.outcome_heading(outcome),
        "title": fmt.outcome_title(outcome),
        "type": fmt.outcome_type(outcome),
        "description": outcome.get("description"),
        "time_frame": outcome.get("time_frame"),
        "subgroup": outcome.get("subgroup"),
        "note": outcome.get("note"),
        "source": fmt.source_text(outcome.get("source")),
        "source_url": fmt.source_url(outcome.get("source")),
        "refs": [*outcome.get("citations", []), *fmt.source_refs(outcome.get("source"))],
        "unit": fmt.results_unit(outcome),
        "values": [
            {
                "arm": arm_label(v["arm"]),
                "text": fmt.arm_result(v, outcome),
                "source_wording": fmt.source_wording(v),
                "participants": fmt.participants(v),
                "source": fmt.source_text(v.get("source")),
                "source_url": fmt.source_url(v.get("source")),
                "refs": fmt.source_refs(v.get("source")),
                "note": v.get("note"),
            }
            for v in outcome.get("values", [])
        ],
        "comparisons": [
            {
                "kind": fmt.comparison_name(c),
                "arms": f"{arm_label(c['arm'])} vs {arm_label(c['reference_arm'])}",
                "result": fmt.comparison_result(c),
                "p_value": fmt.p_value(c),
                "significance": fmt.significance(c),
                "method": c.get("method"),
                "source": fmt.source_text(c.get("source")),
                "source_url": fmt.source_url(c.get("source")),
                "refs": fmt.source_refs(c.get("source")),
                "note": c.get("note"),
            }
            for c in outcome.get("comparisons", [])
        ],
    }


def finding_context(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "statement": finding["statement"],
        "kind": finding["kind"],
        "note": finding.get("note"),
        "refs": finding.get("citations", []),
    }


def audit_trail(record: RecordState) -> list[dict[str, Any]]:
    rows = []
    for version in reversed(record.history):
        fields = (
            [describe_path(path, record.document) for path in version.changed_fields]
            if version.changed_fields is not None
            else []
        )
        rows.append(
            {
                **version.as_dict(),
                "fields": fields,
                "version": str(version.version),
                "approved_at": fmt.readable_time(version.approved_at),
            }
        )
    return rows


def page_footer(evidence: EvidenceAsOf, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "position": evidence.position,
        "as_of": fmt.readable_time(evidence.as_of),
    }
