"""The one document -> rows conversion: read-model rows as plain column dicts.

Writers (``writers``) put them in the database; nothing else turns documents into rows. A
record's own columns come from its record type's registry entry (``RecordType.columns``); the
item rows of the types that have items (trials: arms, outcomes, values, comparisons, findings,
relations; topics: findings, their trials) come from ``RowBuilder._<record type>_items``. A
type without items needs nothing here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from evidence.documents import record_types, upcast


def creation_rank(record_type: str) -> int:
    """Creation order: records referred to come before the records referring to them."""
    return record_types.get(record_type).creation_rank


class ProjectedEvent(Protocol):
    """What the projection reads of an event: a stored ``Event`` (live) and an
    ``eventstore.StoredEvent`` (rebuild) both have these."""

    stream_type: str
    stream_id: uuid.UUID
    slug: str
    version: int
    position: int
    document: dict[str, Any] | None
    recorded_at: datetime


# Item rows refer to arms and outcomes by (trial id, key); writers resolve those to row ids.
ItemRef = tuple[uuid.UUID, str]


@dataclass
class Rows:
    """Read-model rows as column dicts, grouped by table, ready for bulk insertion."""

    records: dict[str, list[dict]] = field(
        default_factory=lambda: {t: [] for t in record_types.names()}
    )
    arms: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    values: list[dict] = field(default_factory=list)  # with "outcome", "arm": ItemRef
    comparisons: list[dict] = field(default_factory=list)  # "outcome", "arm", "reference_arm"
    findings: list[dict] = field(default_factory=list)
    # Relations by slug, resolved once the referenced records exist.
    trial_interventions: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    trial_citations: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    topic_trials: list[tuple[uuid.UUID, str, str, int]] = field(default_factory=list)


# Per record type with item rows, the document's keys each part of them is made from: a
# record's own items ("own": arms, outcomes, their values and comparisons, findings) and its
# relations to other records by slug ("relations"). Two documents giving these keys alike
# give those rows alike (``RowBuilder._<type>_items`` reads nothing else).
ITEM_SOURCES = {
    "trial": {"own": ("arms", "outcomes", "findings"), "relations": ("interventions", "citations")},
    "topic": {"own": ("findings",), "relations": ("sections",)},
}


def parts_alike(record_type: str, before: dict, after: dict) -> set[str]:
    """The parts of ``ITEM_SOURCES`` two documents (upcast) give alike."""
    return {
        part
        for part, keys in ITEM_SOURCES.get(record_type, {}).items()
        if all(before.get(key) == after.get(key) for key in keys)
    }


class RowBuilder:
    """Turns documents into read-model rows: the one document -> rows conversion."""

    def __init__(self) -> None:
        self.rows = Rows()

    def add(self, event: ProjectedEvent, *, items: bool = True) -> dict:
        """The record row of an event's document (and, unless ``items`` is false, its item
        rows, kept in ``rows``)."""
        doc = upcast(event.stream_type, event.document) or {}
        row = {
            "id": event.stream_id,
            "slug": event.slug,
            "version": event.version,
            "position": event.position,
            "document": doc,
            "approved_at": event.recorded_at,
        }
        make_items = getattr(self, f"_{event.stream_type}_items", None) if items else None
        if make_items is not None:
            make_items(event.stream_id, doc)
        row.update(record_types.get(event.stream_type).columns(doc))
        self.rows.records[event.stream_type].append(row)
        return row

    def items(self, record_type: str, record_id: uuid.UUID, document: dict | None) -> None:
        """Only the item rows of a record's document (kept in ``rows``)."""
        items = getattr(self, f"_{record_type}_items", None)
        if items is not None:
            items(record_id, upcast(record_type, document) or {})

    def _topic_items(self, topic_id: uuid.UUID, doc: dict) -> None:
        order = 0
        for section in doc.get("sections", []):
            for slug in section.get("trials", []):
                self.rows.topic_trials.append((topic_id, section["key"], slug, order))
                order += 1
        self._findings(doc, trial_id=None, topic_id=topic_id)

    def _trial_items(self, trial_id: uuid.UUID, doc: dict) -> None:
        rows = self.rows
        for order, arm in enumerate(doc.get("arms", [])):
            rows.arms.append(
                {
                    "trial_id": trial_id,
                    "key": arm["key"],
                    "order": order,
                    "label": arm["label"],
                    "role": arm["role"],
                    "n": arm.get("n"),
                }
            )
        for order, outcome in enumerate(doc.get("outcomes", [])):
            outcome_ref = (trial_id, outcome["key"])
            rows.outcomes.append(
                {
                    "trial_id": trial_id,
                    "key": outcome["key"],
                    "order": order,
                    "title": outcome["title"],
                    "endpoint": outcome.get("endpoint") or "",
                    "type": outcome.get("type") or "",
                    "measure": outcome["measure"],
                    "unit": outcome["unit"],
                    "dispersion": (outcome.get("dispersion") or {}).get("kind") or "",
                    "timepoint_value": (outcome.get("timepoint") or {}).get("value"),
                    "timepoint_unit": (outcome.get("timepoint") or {}).get("unit") or "",
                    "subgroup": outcome.get("subgroup") or "",
                    "treatment_phase": outcome.get("treatment_phase") or "",
                }
            )
            for value in outcome.get("values", []):
                rows.values.append(
                    {
                        "outcome": outcome_ref,
                        "arm": (trial_id, value["arm"]),
                        "value": value.get("value"),
                        "missing": value.get("missing") or "",
                        "qualifier": value.get("qualifier") or "",
                        "spread": value.get("spread"),
                        "low": value.get("low"),
                        "high": value.get("high"),
                    }
                )
            for comp in outcome.get("comparisons", []):
                rows.comparisons.append(
                    {
                        "outcome": outcome_ref,
                        "key": comp["key"],
                        "kind": comp["kind"],
                        "arm": (trial_id, comp["arm"]),
                        "reference_arm": (trial_id, comp["reference_arm"]),
                        "estimate": comp.get("estimate"),
                        "unit": comp.get("unit") or "",
                        "ci_low": comp.get("ci_low"),
                        "ci_high": comp.get("ci_high"),
                        "p_value": comp.get("p_value"),
                        "p_value_comparator": comp.get("p_value_comparator") or "",
                        "significant": comp.get("significant"),
                    }
                )
        self._findings(doc, trial_id=trial_id, topic_id=None)
        rows.trial_interventions.extend((trial_id, s) for s in doc.get("interventions", []))
        rows.trial_citations.extend((trial_id, s) for s in doc.get("citations", []))

    def _findings(self, doc: dict, **owner: Any) -> None:
        for order, finding in enumerate(doc.get("findings", [])):
            self.rows.findings.append(
                {
                    **owner,
                    "key": finding["key"],
                    "order": order,
                    "kind": finding["kind"],
                    "statement": finding["statement"],
                }
            )
