"""Projects events into the evidence read models.

``apply(event)`` runs inline, in the approval's transaction, and records a simple-history
entry (approver as history user, change request as change reason). ``rebuild()`` empties the
read models and replays the whole log; the result is identical to the live read models,
which ``read_model_state()`` lets tests and the command check.

One mapping turns a document into rows (``RowBuilder``: plain column dicts); two writers put
them in the database: ``OrmWriter`` (live projection, and SQLite) and ``CopyWriter``
(PostgreSQL COPY for the rebuild, an order of magnitude faster than INSERTs).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db import connection, transaction

from evidence import models as ev
from evidence.documents import RECORD_TYPES

from . import eventstore
from .models import Event
from .runtime import cyclic_gc_paused

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


# Item rows refer to arms and outcomes by (trial id, key); writers resolve those to row ids.
ItemRef = tuple[uuid.UUID, str]


@dataclass
class Rows:
    """Read-model rows as column dicts, grouped by table, ready for bulk insertion."""

    records: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in RECORD_TYPES})
    arms: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    values: list[dict] = field(default_factory=list)  # with "outcome", "arm": ItemRef
    comparisons: list[dict] = field(default_factory=list)  # "outcome", "arm", "reference_arm"
    findings: list[dict] = field(default_factory=list)
    # Relations by slug, resolved once the referenced records exist.
    trial_interventions: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    trial_citations: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    topic_trials: list[tuple[uuid.UUID, str, str, int]] = field(default_factory=list)


class RowBuilder:
    """Turns documents into read-model rows: the one document -> rows conversion."""

    def __init__(self) -> None:
        self.rows = Rows()

    def add(self, state: ProjectedState) -> dict:
        doc = state.document or {}
        row = {
            "id": state.record_id,
            "slug": state.slug,
            "version": state.version,
            "position": state.position,
            "document": doc,
            "approved_at": state.recorded_at,
        }
        row.update(getattr(self, f"_{state.record_type}")(state.record_id, doc))
        self.rows.records[state.record_type].append(row)
        return row

    def _topic(self, topic_id: uuid.UUID, doc: dict) -> dict:
        order = 0
        for section in doc.get("sections", []):
            for slug in section.get("trials", []):
                self.rows.topic_trials.append((topic_id, section["key"], slug, order))
                order += 1
        self._findings(doc, trial_id=None, topic_id=topic_id)
        return {"title": doc["title"], "condition": doc["condition"]}

    def _intervention(self, _: uuid.UUID, doc: dict) -> dict:
        return {
            "name": doc["name"],
            "generic_name": doc["generic_name"],
            "brand_names": doc.get("brand_names", []),
            "drug_class": doc.get("drug_class") or "",
        }

    def _citation(self, _: uuid.UUID, doc: dict) -> dict:
        return {
            "kind": doc["kind"],
            "title": doc["title"],
            "journal": doc.get("journal") or "",
            "year": doc.get("year"),
            "doi": doc.get("doi") or "",
            "pmid": doc.get("pmid") or "",
        }

    def _trial(self, trial_id: uuid.UUID, doc: dict) -> dict:
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
                    "endpoint": outcome["endpoint"],
                    "label": outcome["label"],
                    "measure": outcome["measure"],
                    "unit": outcome["unit"],
                    "timepoint_months": outcome.get("timepoint_months"),
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
                        "not_reached": value.get("not_reached", False),
                        "qualifier": value.get("qualifier") or "",
                        "ci_low": value.get("ci_low"),
                        "ci_high": value.get("ci_high"),
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
                        "significant": comp.get("significant"),
                    }
                )
        self._findings(doc, trial_id=trial_id, topic_id=None)
        rows.trial_interventions.extend((trial_id, s) for s in doc.get("interventions", []))
        rows.trial_citations.extend((trial_id, s) for s in doc.get("citations", []))
        registry_ids = doc.get("registry_ids", [])
        return {
            "name": doc["name"],
            "phase": doc.get("phase") or "",
            "setting": doc["setting"],
            "enrollment": doc.get("enrollment"),
            "registry_ids": registry_ids,
            "registry_ids_text": " ".join(r["id"] for r in registry_ids),
        }

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


# --- Writers ----------------------------------------------------------------------------------


def _ids_by_slug(model: type[ev.Record], slugs: set[str]) -> dict[str, uuid.UUID]:
    return dict(model.objects.filter(slug__in=slugs).values_list("slug", "id")) if slugs else {}


def _relation_rows(rows: Rows, known: dict[str, dict[str, uuid.UUID]] | None = None) -> tuple:
    """Through-table rows for trial->intervention, trial->citation, topic->trial.

    ``known`` maps record type -> slug -> id for records this process already wrote (the
    rebuild's cache); other slugs are looked up.
    """
    known = known or {}

    def ids(record_type: str, slugs: set[str]) -> dict[str, uuid.UUID]:
        cached = known.get(record_type, {})
        found = {slug: cached[slug] for slug in slugs if slug in cached}
        missing = slugs - found.keys()
        if missing:
            found.update(_ids_by_slug(ev.RECORD_MODELS[record_type], missing))
        return found

    interventions = ids("intervention", {s for _, s in rows.trial_interventions})
    citations = ids("citation", {s for _, s in rows.trial_citations})
    trials = ids("trial", {slug for _, _, slug, _ in rows.topic_trials})
    return (
        [
            {"trial_id": t, "intervention_id": interventions[s]}
            for t, s in rows.trial_interventions
            if s in interventions
        ],
        [
            {"trial_id": t, "citation_id": citations[s]}
            for t, s in rows.trial_citations
            if s in citations
        ],
        [
            {"topic_id": topic, "section_key": section, "trial_id": trials[slug], "order": order}
            for topic, section, slug, order in rows.topic_trials
            if slug in trials
        ],
    )


def _resolve(items: list[dict], ids: dict[str, dict[ItemRef, int]]) -> list[dict]:
    """Replace ItemRef columns ("arm", "outcome", ...) by their row ids ("arm_id", ...)."""
    resolved = []
    for item in items:
        item = dict(item)
        for name, by_ref in ids.items():
            if name in item:
                item[f"{name}_id"] = by_ref[item.pop(name)]
        resolved.append(item)
    return resolved


class OrmWriter:
    """Bulk inserts through the ORM: portable, used live and on SQLite."""

    def write(self, rows: Rows, *, records: bool = True) -> None:
        if records:
            for record_type in sorted(RECORD_TYPES, key=TYPE_ORDER.get):
                model = ev.RECORD_MODELS[record_type]
                model.objects.bulk_create(
                    [model(**r) for r in rows.records[record_type]], batch_size=1000
                )
        arm_ids = self._insert(ev.Arm, rows.arms)
        outcome_ids = self._insert(ev.Outcome, rows.outcomes)
        refs = {"outcome": outcome_ids, "arm": arm_ids, "reference_arm": arm_ids}
        ev.OutcomeValue.objects.bulk_create(
            [ev.OutcomeValue(**v) for v in _resolve(rows.values, refs)], batch_size=1000
        )
        ev.Comparison.objects.bulk_create(
            [ev.Comparison(**c) for c in _resolve(rows.comparisons, refs)], batch_size=1000
        )
        ev.Finding.objects.bulk_create([ev.Finding(**f) for f in rows.findings], batch_size=1000)
        interventions, citations, topic_trials = _relation_rows(rows)
        through_i, through_c = ev.Trial.interventions.through, ev.Trial.citations.through
        through_i.objects.bulk_create([through_i(**r) for r in interventions], batch_size=1000)
        through_c.objects.bulk_create([through_c(**r) for r in citations], batch_size=1000)
        ev.TopicTrial.objects.bulk_create(
            [ev.TopicTrial(**r) for r in topic_trials], batch_size=1000
        )

    @staticmethod
    def _insert(model: type, items: list[dict]) -> dict[ItemRef, int]:
        objects = model.objects.bulk_create([model(**item) for item in items], batch_size=1000)
        return {(obj.trial_id, obj.key): obj.pk for obj in objects}


class CopyWriter:
    """PostgreSQL COPY: the rebuild's writer. Runs under the append lock (nothing else writes
    read models meanwhile), which makes reserving blocks of ids safe."""

    def __init__(self) -> None:
        self.known: dict[str, dict[str, uuid.UUID]] = {t: {} for t in RECORD_TYPES}

    def write(self, rows: Rows) -> None:
        for record_type in sorted(RECORD_TYPES, key=TYPE_ORDER.get):
            records = rows.records[record_type]
            self._copy(ev.RECORD_MODELS[record_type], records)
            self.known[record_type].update((r["slug"], r["id"]) for r in records)
        arm_ids = self._allocate_ids(ev.Arm, rows.arms)
        outcome_ids = self._allocate_ids(ev.Outcome, rows.outcomes)
        self._copy(ev.Arm, rows.arms)
        self._copy(ev.Outcome, rows.outcomes)
        refs = {"outcome": outcome_ids, "arm": arm_ids, "reference_arm": arm_ids}
        self._copy(ev.OutcomeValue, _resolve(rows.values, refs))
        self._copy(ev.Comparison, _resolve(rows.comparisons, refs))
        self._copy(ev.Finding, rows.findings)
        interventions, citations, topic_trials = _relation_rows(rows, self.known)
        self._copy(ev.Trial.interventions.through, interventions)
        self._copy(ev.Trial.citations.through, citations)
        self._copy(ev.TopicTrial, topic_trials)

    @staticmethod
    def _allocate_ids(model: type, items: list[dict]) -> dict[ItemRef, int]:
        """Reserve a block of ids from the table's sequence, so other items can refer to
        these rows before they are copied."""
        if not items:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(seq, nextval(seq) + %s - 1) - %s + 1 "
                "FROM pg_get_serial_sequence(%s, 'id') AS seq",
                [len(items), len(items), model._meta.db_table],
            )
            first = cursor.fetchone()[0]
        for offset, item in enumerate(items):
            item["id"] = first + offset
        return {(item["trial_id"], item["key"]): item["id"] for item in items}

    @staticmethod
    def _copy(model: type, items: list[dict]) -> None:
        if not items:
            return
        from psycopg.types.json import Jsonb

        names = list(items[0])
        fields = {f.attname: f for f in model._meta.concrete_fields}
        json_columns = {n for n in names if fields[n].get_internal_type() == "JSONField"}
        columns = ", ".join(f'"{fields[n].column}"' for n in names)
        sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"

        def dumps(value: Any) -> str:
            return orjson.dumps(value).decode()

        with connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
            for item in items:
                copy.write_row(
                    [Jsonb(item[n], dumps=dumps) if n in json_columns else item[n] for n in names]
                )


# --- Live projection --------------------------------------------------------------------------


def _delete_items(record_type: str, record_id: uuid.UUID) -> None:
    if record_type == "trial":
        ev.Arm.objects.filter(trial_id=record_id).delete()  # cascades to values, comparisons
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
    record = model(**builder.add(state_of(event)))
    # simple-history: the approver is the history user, the change request the reason.
    record._history_user = approver
    record._change_reason = reason
    record._history_date = event.recorded_at
    record.save()
    OrmWriter().write(builder.rows, records=False)


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


class ReplayError(Exception):
    """The log cannot be replayed (a stream's versions are not contiguous)."""


def _final_positions() -> list[int]:
    """Position of each live stream's last event, referenced record types first.

    The database checks that each stream's versions run 1, 2, 3, ... in position order (a
    gap or a reordering cannot be replayed) and picks each stream's last event
    (``Recorder.stream_heads``): Python sees one row per record, never one per event.
    """
    rows = eventstore.recorder().stream_heads()
    for position, stream_type, stream_id, version, expected, _, _ in rows:
        if version != expected:
            raise ReplayError(
                f"event {position}: {stream_type} {stream_id} has version {version}, "
                f"expected {expected}"
            )
    return [
        position
        for _, position in sorted(
            (TYPE_ORDER[stream_type], position)
            for position, stream_type, _, _, _, is_last, event_type in rows
            if is_last and event_type != Event.Type.RETRACTED
        )
    ]


FINAL_EVENT_COLUMNS = [
    "position",
    "stream_type",
    "stream_id",
    "slug",
    "version",
    "type",
    "recorded_at",
    "document",
]


def _build(events: list[tuple]) -> Rows:
    """Rows for a batch of final events (raw rows of FINAL_EVENT_COLUMNS)."""
    builder = RowBuilder()
    for position, stream_type, stream_id, slug, version, event_type, recorded_at, doc in events:
        builder.add(
            ProjectedState(
                stream_type,
                stream_id if isinstance(stream_id, uuid.UUID) else uuid.UUID(str(stream_id)),
                slug,
                version,
                position,
                event_type,
                orjson.loads(doc) if isinstance(doc, str | bytes) else doc,
                eventstore.as_utc(recorded_at),
            )
        )
    return builder.rows


def _empty_read_models() -> None:
    if connection.vendor == "postgresql":
        tables = ", ".join(model._meta.db_table for model in ALL_READ_MODELS)
        with connection.cursor() as cursor:
            # TRUNCATE refuses to run while deferred FK checks are pending in the transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables}")
    else:
        for model in ALL_READ_MODELS:
            model.objects.all()._raw_delete(model.objects.db)


@contextmanager
def _indexes_built_once() -> Iterator[None]:
    """PostgreSQL bulk-load practice: drop the read models' secondary indexes, unique and
    foreign-key constraints (primary keys stay), load, then recreate them from their saved
    definitions, so each index is built once and each foreign key checked in one pass
    instead of row by row. All inside the rebuild's transaction; TRUNCATE already holds the
    tables' exclusive locks, so readers wait for the rebuild either way."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in ALL_READ_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f') "
            "ORDER BY contype DESC",  # unique before foreign keys when recreating
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s) AND NOT indisprimary "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",  # dropped with those
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


@transaction.atomic
def rebuild(batch_size: int = 5000) -> RebuildReport:
    """Empty the read models and replay every event into them.

    Every event carries its record's full document, so replaying a stream folds to its last
    event. The database checks every stream's versions and picks each stream's last event
    (``_final_positions``); then each final state is projected once, in batches, referenced
    record types first. Memory grows with the number of records, never with the number of
    events.

    On PostgreSQL the rows go in with COPY into tables stripped of their secondary indexes
    and constraints, which are rebuilt once at the end (``_indexes_built_once``).
    """
    with cyclic_gc_paused():
        return _replay(batch_size)


def _replay(batch_size: int) -> RebuildReport:
    eventstore.lock_for_append()  # no approval may interleave with the replay
    events = eventstore.recorder().count()
    todo = _final_positions()
    _empty_read_models()
    writer = CopyWriter() if connection.vendor == "postgresql" else OrmWriter()
    recorder = eventstore.recorder()
    with _indexes_built_once():
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            writer.write(_build(recorder.rows(FINAL_EVENT_COLUMNS, batch)))
    return RebuildReport(events=events, records=len(todo))


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
