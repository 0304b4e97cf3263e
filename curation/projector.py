"""Projects events into the evidence read models.

``apply(event)`` runs inline, in the approval's transaction, and records a simple-history
entry (approver as history user, change request as change reason). ``rebuild()`` empties the
read models and replays the whole log in bounded batches; the result is identical to the
live read models, which ``read_model_state()`` lets tests and the command check.

Both paths build rows with the same ``RowBuilder``, so they cannot drift apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from evidence import models as ev
from evidence.documents import RECORD_TYPES

from . import eventstore
from .models import Event

# Creation order: records referred to come before the records referring to them.
TYPE_ORDER = {"citation": 0, "intervention": 1, "trial": 2, "topic": 3}


@dataclass
class ProjectedState:
    """The last event of one stream, as far as the projection is concerned."""

    record_type: str
    record_id: uuid.UUID
    slug: str
    version: int
    position: int
    type: str
    document: dict[str, Any] | None
    recorded_at: datetime


@dataclass
class Rows:
    """Read-model rows for a set of records, ready for bulk insertion."""

    records: dict[str, list[ev.Record]] = field(
        default_factory=lambda: {t: [] for t in RECORD_TYPES}
    )
    arms: list[ev.Arm] = field(default_factory=list)
    outcomes: list[ev.Outcome] = field(default_factory=list)
    values: list[ev.OutcomeValue] = field(default_factory=list)
    comparisons: list[ev.Comparison] = field(default_factory=list)
    findings: list[ev.Finding] = field(default_factory=list)
    # Relations by slug, resolved once all records of the batch exist.
    trial_interventions: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    trial_citations: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    topic_trials: list[tuple[uuid.UUID, str, str, int]] = field(default_factory=list)


class RowBuilder:
    """Turns documents into read-model rows (the document -> rows conversion)."""

    def __init__(self) -> None:
        self.rows = Rows()

    def add(self, state: ProjectedState) -> ev.Record:
        doc = state.document or {}
        common = {
            "id": state.record_id,
            "slug": state.slug,
            "version": state.version,
            "position": state.position,
            "document": doc,
            "approved_at": state.recorded_at,
        }
        record = getattr(self, f"_{state.record_type}")(common, doc)
        self.rows.records[state.record_type].append(record)
        return record

    def _topic(self, common: dict, doc: dict) -> ev.Topic:
        topic = ev.Topic(**common, title=doc["title"], condition=doc["condition"])
        order = 0
        for section in doc.get("sections", []):
            for slug in section.get("trials", []):
                self.rows.topic_trials.append((topic.id, section["key"], slug, order))
                order += 1
        self._findings(doc, topic=topic)
        return topic

    def _intervention(self, common: dict, doc: dict) -> ev.Intervention:
        return ev.Intervention(
            **common,
            name=doc["name"],
            generic_name=doc["generic_name"],
            brand_names=doc.get("brand_names", []),
            drug_class=doc.get("drug_class") or "",
        )

    def _citation(self, common: dict, doc: dict) -> ev.Citation:
        return ev.Citation(
            **common,
            kind=doc["kind"],
            title=doc["title"],
            journal=doc.get("journal") or "",
            year=doc.get("year"),
            doi=doc.get("doi") or "",
            pmid=doc.get("pmid") or "",
        )

    def _trial(self, common: dict, doc: dict) -> ev.Trial:
        registry_ids = doc.get("registry_ids", [])
        trial = ev.Trial(
            **common,
            name=doc["name"],
            phase=doc.get("phase") or "",
            setting=doc["setting"],
            enrollment=doc.get("enrollment"),
            registry_ids=registry_ids,
            registry_ids_text=" ".join(r["id"] for r in registry_ids),
        )
        arms = {}
        for order, arm_doc in enumerate(doc.get("arms", [])):
            arm = ev.Arm(
                trial=trial,
                key=arm_doc["key"],
                order=order,
                label=arm_doc["label"],
                role=arm_doc["role"],
                n=arm_doc.get("n"),
            )
            arms[arm.key] = arm
            self.rows.arms.append(arm)
        for order, out_doc in enumerate(doc.get("outcomes", [])):
            outcome = ev.Outcome(
                trial=trial,
                key=out_doc["key"],
                order=order,
                endpoint=out_doc["endpoint"],
                label=out_doc["label"],
                measure=out_doc["measure"],
                unit=out_doc["unit"],
                timepoint_months=out_doc.get("timepoint_months"),
                subgroup=out_doc.get("subgroup") or "",
                treatment_phase=out_doc.get("treatment_phase") or "",
            )
            self.rows.outcomes.append(outcome)
            for value in out_doc.get("values", []):
                self.rows.values.append(
                    ev.OutcomeValue(
                        outcome=outcome,
                        arm=arms[value["arm"]],
                        value=value.get("value"),
                        not_reached=value.get("not_reached", False),
                        qualifier=value.get("qualifier") or "",
                        ci_low=value.get("ci_low"),
                        ci_high=value.get("ci_high"),
                    )
                )
            for comp in out_doc.get("comparisons", []):
                self.rows.comparisons.append(
                    ev.Comparison(
                        outcome=outcome,
                        key=comp["key"],
                        kind=comp["kind"],
                        arm=arms[comp["arm"]],
                        reference_arm=arms[comp["reference_arm"]],
                        estimate=comp.get("estimate"),
                        unit=comp.get("unit") or "",
                        ci_low=comp.get("ci_low"),
                        ci_high=comp.get("ci_high"),
                        p_value=comp.get("p_value"),
                        significant=comp.get("significant"),
                    )
                )
        self._findings(doc, trial=trial)
        self.rows.trial_interventions.extend((trial.id, s) for s in doc.get("interventions", []))
        self.rows.trial_citations.extend((trial.id, s) for s in doc.get("citations", []))
        return trial

    def _findings(self, doc: dict, **owner: Any) -> None:
        for order, finding in enumerate(doc.get("findings", [])):
            self.rows.findings.append(
                ev.Finding(
                    **owner,
                    key=finding["key"],
                    order=order,
                    kind=finding["kind"],
                    statement=finding["statement"],
                )
            )


def _save_item_rows(rows: Rows) -> None:
    """Insert item rows and relations (records already saved). Bulk inserts, few queries.

    Item objects were built before their parents had primary keys; Django fills in the
    foreign keys from the (now saved) parent objects at insertion.
    """
    ev.Arm.objects.bulk_create(rows.arms, batch_size=1000)
    ev.Outcome.objects.bulk_create(rows.outcomes, batch_size=1000)
    ev.OutcomeValue.objects.bulk_create(rows.values, batch_size=1000)
    ev.Comparison.objects.bulk_create(rows.comparisons, batch_size=1000)
    ev.Finding.objects.bulk_create(rows.findings, batch_size=1000)
    _link(ev.Trial.interventions.through, "intervention", ev.Intervention, rows.trial_interventions)
    _link(ev.Trial.citations.through, "citation", ev.Citation, rows.trial_citations)
    if rows.topic_trials:
        trial_ids = _ids_by_slug(ev.Trial, {slug for _, _, slug, _ in rows.topic_trials})
        ev.TopicTrial.objects.bulk_create(
            [
                ev.TopicTrial(
                    topic_id=topic_id, section_key=section, trial_id=trial_ids[slug], order=order
                )
                for topic_id, section, slug, order in rows.topic_trials
                if slug in trial_ids
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )


def _ids_by_slug(model: type[ev.Record], slugs: set[str]) -> dict[str, uuid.UUID]:
    return dict(model.objects.filter(slug__in=slugs).values_list("slug", "id")) if slugs else {}


def _link(
    through: Any, target: str, model: type[ev.Record], pairs: list[tuple[uuid.UUID, str]]
) -> None:
    if not pairs:
        return
    ids = _ids_by_slug(model, {slug for _, slug in pairs})
    through.objects.bulk_create(
        [
            through(trial_id=trial_id, **{f"{target}_id": ids[slug]})
            for trial_id, slug in pairs
            if slug in ids
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def _delete_record(record_type: str, record_id: uuid.UUID) -> None:
    model = ev.RECORD_MODELS[record_type]
    model.objects.filter(id=record_id).delete()


def _delete_items(record_type: str, record_id: uuid.UUID) -> None:
    if record_type == "trial":
        ev.Arm.objects.filter(trial_id=record_id).delete()  # cascades to outcome values
        ev.Outcome.objects.filter(trial_id=record_id).delete()
        ev.Finding.objects.filter(trial_id=record_id).delete()
        ev.Trial.interventions.through.objects.filter(trial_id=record_id).delete()
        ev.Trial.citations.through.objects.filter(trial_id=record_id).delete()
    elif record_type == "topic":
        ev.Finding.objects.filter(topic_id=record_id).delete()
        ev.TopicTrial.objects.filter(topic_id=record_id).delete()


def state_of(event: Event) -> ProjectedState:
    return ProjectedState(
        record_type=event.stream_type,
        record_id=event.stream_id,
        slug=event.slug,
        version=event.version,
        position=event.position,
        type=event.type,
        document=event.document,
        recorded_at=event.recorded_at,
    )


def apply(event: Event) -> None:
    """Project one just-appended event, inside the appending transaction."""
    model = ev.RECORD_MODELS[event.stream_type]
    approver = event.approver
    reason = (
        f"CR-{event.change_request_id}" if event.change_request_id else f"event {event.position}"
    )
    if event.type == Event.Type.RETRACTED:
        instance = model.objects.filter(id=event.stream_id).first()
        if instance is not None:
            instance._history_user = approver
            instance._change_reason = reason
            instance._history_date = event.recorded_at
            instance.delete()
        return
    _delete_items(event.stream_type, event.stream_id)
    builder = RowBuilder()
    record = builder.add(state_of(event))
    record._history_user = approver
    record._change_reason = reason
    record._history_date = event.recorded_at
    record.save()
    _save_item_rows(builder.rows)


# --- Rebuild ----------------------------------------------------------------------------------

ALL_READ_MODELS = (
    ev.TopicTrial,
    ev.Finding,
    ev.Comparison,
    ev.OutcomeValue,
    ev.Outcome,
    ev.Arm,
    ev.Trial.interventions.through,
    ev.Trial.citations.through,
    ev.Topic,
    ev.Trial,
    ev.Intervention,
    ev.Citation,
)


@dataclass
class RebuildReport:
    events: int
    records: int


def _event_metadata(batch_size: int) -> Iterable[list[tuple]]:
    """Every event's metadata (no document) in position order, in lists of batch_size."""
    sql = (
        "SELECT position, stream_type, stream_id, slug, version, type, recorded_at "  # noqa: S608
        f"FROM {Event._meta.db_table} ORDER BY position"
    )
    # A server-side cursor on PostgreSQL (rebuild() holds the transaction it needs).
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch_size):
            yield rows


def _documents(positions: list[int]) -> dict[int, dict]:
    """Documents of the given events, decoded with orjson (the replay's hot path)."""
    if not positions:
        return {}
    cast = "::text" if connection.vendor == "postgresql" else ""
    placeholders = ", ".join(["%s"] * len(positions))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT position, document{cast} FROM {Event._meta.db_table} "  # noqa: S608 - no user input
            f"WHERE position IN ({placeholders})",
            positions,
        )
        return {
            pos: orjson.loads(doc) if doc is not None else None for pos, doc in cursor.fetchall()
        }


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _as_datetime(value: Any) -> datetime:
    """Raw SQLite rows give naive UTC datetimes (or text); PostgreSQL gives aware ones."""
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@transaction.atomic
def rebuild(batch_size: int = 5000) -> RebuildReport:
    """Empty the read models and replay every event into them, batch by batch.

    Within a batch only each stream's last event needs projecting (events carry the full
    document), so the replay reads every event's metadata but decodes one document per
    stream and batch. Memory is bounded by the batch size, not by the log's length.
    """
    eventstore.lock_for_append()  # no approval may interleave with the replay
    for model in ALL_READ_MODELS:
        model.objects.all()._raw_delete(model.objects.db)
    projected: set[tuple[str, uuid.UUID]] = set()
    events = 0
    for batch in _event_metadata(batch_size):
        events += len(batch)
        last: dict[tuple[str, uuid.UUID], tuple] = {}
        for row in batch:
            last[(row[1], _as_uuid(row[2]))] = row
        documents = _documents([row[0] for row in last.values() if row[5] != Event.Type.RETRACTED])
        for key in last.keys() & projected:
            _delete_items(*key)
            _delete_record(*key)
        builder = RowBuilder()
        for (record_type, record_id), row in sorted(
            last.items(), key=lambda item: TYPE_ORDER[item[0][0]]
        ):
            position, _, _, slug, version, event_type, recorded_at = row
            projected.discard((record_type, record_id))
            if event_type == Event.Type.RETRACTED:
                continue
            builder.add(
                ProjectedState(
                    record_type,
                    record_id,
                    slug,
                    version,
                    position,
                    event_type,
                    documents[position],
                    _as_datetime(recorded_at),
                )
            )
            projected.add((record_type, record_id))
        for record_type in sorted(RECORD_TYPES, key=TYPE_ORDER.get):
            model = ev.RECORD_MODELS[record_type]
            model.objects.bulk_create(builder.rows.records[record_type], batch_size=1000)
        _save_item_rows(builder.rows)
    return RebuildReport(events=events, records=len(projected))


def read_model_state() -> dict[str, list[tuple]]:
    """Every read-model row by natural key (no surrogate ids), for comparing two projections."""
    state: dict[str, list[tuple]] = {}
    for record_type, model in ev.RECORD_MODELS.items():
        fields = [f.attname for f in model._meta.concrete_fields]
        state[record_type] = sorted(
            tuple(
                orjson.dumps(v, option=orjson.OPT_SORT_KEYS) if isinstance(v, dict | list) else v
                for v in row
            )
            for row in model.objects.values_list(*fields)
        )
    state["arms"] = sorted(
        ev.Arm.objects.values_list("trial__slug", "key", "order", "label", "role", "n")
    )
    state["outcomes"] = sorted(
        ev.Outcome.objects.values_list(
            "trial__slug",
            "key",
            "order",
            "endpoint",
            "label",
            "measure",
            "unit",
            "timepoint_months",
            "subgroup",
            "treatment_phase",
        )
    )
    state["values"] = sorted(
        ev.OutcomeValue.objects.values_list(
            "outcome__trial__slug",
            "outcome__key",
            "arm__key",
            "value",
            "not_reached",
            "qualifier",
            "ci_low",
            "ci_high",
        )
    )
    state["comparisons"] = sorted(
        ev.Comparison.objects.values_list(
            "outcome__trial__slug",
            "outcome__key",
            "key",
            "kind",
            "arm__key",
            "reference_arm__key",
            "estimate",
            "unit",
            "ci_low",
            "ci_high",
            "p_value",
            "significant",
        )
    )
    state["findings"] = sorted(
        (t or "", p or "", k, o, kind, s)
        for t, p, k, o, kind, s in ev.Finding.objects.values_list(
            "trial__slug", "topic__slug", "key", "order", "kind", "statement"
        )
    )
    state["trial_interventions"] = sorted(
        ev.Trial.interventions.through.objects.values_list("trial__slug", "intervention__slug")
    )
    state["trial_citations"] = sorted(
        ev.Trial.citations.through.objects.values_list("trial__slug", "citation__slug")
    )
    state["topic_trials"] = sorted(
        ev.TopicTrial.objects.values_list("topic__slug", "section_key", "trial__slug", "order")
    )
    return state
