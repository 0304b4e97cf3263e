"""Template contexts: documents turned into plain strings and numbers (never markup).

Pages show what a reader needs in plain words: editors' notes are gathered under each table
(folded by the template), rows that would only say "not reported" are left out, and the
seed's accounts are named for what they are.
"""

from __future__ import annotations

import re
from typing import Any

from curation.seed import SEED_EDITOR, SEED_REVIEWER
from evidence.diff import describe_path
from evidence.documents import vocabulary

from .. import formatting as fmt
from .. import trial_facts as facts
from ..selectors import EvidenceAsOf, RecordState
from .charts import effect_rows, forest_plots, outcome_bars

SEED_ACCOUNT = "the seed (loaded from the source article)"
# Controlled values editors sometimes name in their notes ("recorded as duration_unspecified"),
# in the words pages use for them.
NOTE_CODES = {
    **vocabulary.QUALIFIER_LABELS,
    **vocabulary.MEASURE_LABELS,
    **vocabulary.SETTING_LABELS,
    **vocabulary.COMPARISON_LABELS,
    **vocabulary.MISSING_REASON_LABELS,
    "duration_unspecified": "a duration (neither median nor mean)",
}
CODE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def plain_note(text: str | None) -> str:
    """An editor's note with the controlled values it names in words."""
    if not text:
        return ""
    return CODE_WORD.sub(lambda m: NOTE_CODES.get(m.group(0), m.group(0)).lower(), text)


def account(username: str) -> str:
    """Who proposed or approved a version: the seed's accounts are no people."""
    return SEED_ACCOUNT if username in (SEED_EDITOR, SEED_REVIEWER) else username


def approval_text(record: RecordState) -> str:
    """'approved 30 Nov 2026, 05:57 UTC', or for what the seed loaded, that it did."""
    current = record.current
    when = fmt.readable_time(current.approved_at)
    if current.approver == SEED_REVIEWER:
        return f"loaded from the source article by the seed on {when}, not reviewed by a person"
    return f"approved {when}"


def registry_text(registry: str, identifier: str) -> str:
    """'NCT00114101' (the id names its registry), 'EudraCT 2005-001234-56'."""
    if identifier.upper().startswith(registry.upper()):
        return identifier
    return f"{registry} {identifier}"


def regimen_phase(description: str, phase: str | None) -> str:
    """A regimen part's phase, unless its description already says it ('Revlimid maintenance
    therapy', never '... (maintenance)')."""
    label = fmt.PHASES.get(phase or "", "")
    return "" if label and label.casefold() in description.casefold() else label


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
                "text": registry_text(r["registry"], r["id"]),
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
                        "phase": regimen_phase(part["description"], part.get("phase")),
                    }
                    for part in arm.get("regimen", [])
                ],
                "description": arm.get("description"),
            }
            for arm in doc.get("arms", [])
        ],
        # A column of "not reported" for every arm says nothing.
        "arm_sizes": any(arm.get("n") is not None for arm in doc.get("arms", [])),
        "outcomes": [
            {
                **outcome_context(outcome, arm_label),
                "chart": outcome_bars(outcome, arm_label, f"chart-{trial.slug}-{outcome['key']}"),
            }
            for outcome in doc.get("outcomes", [])
        ],
        "forests": forest_plots(effect_rows(trial), f"forest-{trial.slug}"),
        "findings": [finding_context(f) for f in doc.get("findings", [])],
        "finding_notes": [
            {"about": "", "text": plain_note(f["note"])}
            for f in doc.get("findings", [])
            if f.get("note")
        ],
        "summary": doc.get("summary"),
        "notes": plain_note(doc.get("notes")),
        "refs": doc.get("citations", []),
        "version": str(trial.version),
        "approval": approval_text(trial),
    }


def outcome_context(outcome: dict[str, Any], arm_label) -> dict[str, Any]:
    """One outcome's table: every arm's result and every comparison, as a journal prints
    them, each with the source it names (a reference marker and where in it).

    A row that would say only "not reported" is left out; the editors' notes of the outcome,
    its values and comparisons are gathered in ``notes`` (each saying what it is about), to
    be folded under the table."""
    notes = []
    if outcome.get("note"):
        notes.append({"about": "", "text": plain_note(outcome["note"])})
    values = []
    for v in outcome.get("values", []):
        arm = arm_label(v["arm"])
        if v.get("note"):
            notes.append({"about": arm, "text": plain_note(v["note"])})
        row = {
            "arm": arm,
            "text": fmt.arm_result(v, outcome),
            "source_wording": fmt.source_wording(v),
            "participants": fmt.participants(v),
            "source": fmt.source_text(v.get("source")),
            "source_url": fmt.source_url(v.get("source")),
            "refs": fmt.source_refs(v.get("source")),
        }
        given = v.get("value") is not None or v.get("missing")
        if given or row["participants"] or row["source_wording"]:
            values.append(row)
    comparisons = []
    for c in outcome.get("comparisons", []):
        arms = f"{arm_label(c['arm'])} vs {arm_label(c['reference_arm'])}"
        if c.get("note"):
            notes.append({"about": arms, "text": plain_note(c["note"])})
        row = {
            "kind": fmt.comparison_name(c),
            "arms": arms,
            "result": fmt.comparison_result(c),
            "p_value": fmt.p_value(c),
            "significance": fmt.significance(c),
            "method": c.get("method"),
            "source": fmt.source_text(c.get("source")),
            "source_url": fmt.source_url(c.get("source")),
            "refs": fmt.source_refs(c.get("source")),
        }
        if row["result"] == "not reported":
            if not (row["p_value"] or row["significance"]):
                continue
            row["result"] = "no number given"  # but its p-value or significance is
        comparisons.append(row)
    return {
        "key": outcome["key"],
        "heading": fmt.outcome_heading(outcome),
        "title": fmt.outcome_title(outcome),
        "type": fmt.outcome_type(outcome),
        "description": outcome.get("description"),
        "time_frame": outcome.get("time_frame"),
        "subgroup": outcome.get("subgroup"),
        "source": fmt.source_text(outcome.get("source")),
        "source_url": fmt.source_url(outcome.get("source")),
        "refs": [*outcome.get("citations", []), *fmt.source_refs(outcome.get("source"))],
        "unit": fmt.results_unit(outcome),
        "values": values,
        "comparisons": comparisons,
        "notes": notes,
    }


def finding_context(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "statement": finding["statement"],
        "kind": finding["kind"],
        "note": plain_note(finding.get("note")),
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
                "proposer": account(version.proposer),
                "approver": account(version.approver),
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
