"""Template contexts: documents turned into plain strings and numbers (never markup)."""

from __future__ import annotations

from typing import Any

from evidence.diff import describe_path

from .. import formatting as fmt
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
    outcomes = []
    for outcome in doc.get("outcomes", []):
        unit = outcome["unit"]
        outcomes.append(
            {
                "key": outcome["key"],
                "heading": fmt.outcome_heading(outcome),
                "label": outcome["label"],
                "measure": fmt.MEASURES[outcome["measure"]],
                "subgroup": outcome.get("subgroup"),
                "note": outcome.get("note"),
                "refs": outcome.get("citations", []),
                "values": [
                    {
                        "arm": arms.get(v["arm"], {}).get("label", v["arm"]),
                        "text": fmt.arm_value(v, unit),
                        "interval": fmt.interval(v, unit),
                        "note": v.get("note"),
                    }
                    for v in outcome.get("values", [])
                ],
                "comparisons": [
                    {
                        "kind": fmt.COMPARISONS[c["kind"]],
                        "arms": (
                            f"{arms.get(c['arm'], {}).get('label', c['arm'])} vs "
                            f"{arms.get(c['reference_arm'], {}).get('label', c['reference_arm'])}"
                        ),
                        "estimate": fmt.comparison_estimate(c),
                        "interval": fmt.interval(c, c.get("unit") or "ratio"),
                        "p_value": fmt.p_value(c),
                        "significance": fmt.significance(c),
                        "note": c.get("note"),
                    }
                    for c in outcome.get("comparisons", [])
                ],
            }
        )
    return {
        "slug": trial.slug,
        "name": doc["name"],
        "full_title": doc.get("full_title"),
        "registry_ids": doc.get("registry_ids", []),
        "design": fmt.design_summary(doc),
        "setting": fmt.SETTINGS[doc["setting"]],
        "population": doc["population"],
        "enrollment": fmt.enrollment(doc),
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
        "outcomes": outcomes,
        "findings": [finding_context(f) for f in doc.get("findings", [])],
        "summary": doc.get("summary"),
        "notes": doc.get("notes"),
        "refs": doc.get("citations", []),
        "version": str(trial.version),
        "approved_at": fmt.readable_time(trial.current.approved_at),
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
