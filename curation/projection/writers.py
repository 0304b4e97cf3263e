"""Two writers of read-model rows: ``OrmWriter`` (portable: live projection, SQLite rebuild)
and ``CopyWriter`` (PostgreSQL COPY for the rebuild, an order of magnitude faster than
INSERTs)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from django.db import connection

from evidence import models as ev
from evidence.documents import record_types

from ..roundtrip import settled
from .rows import ItemRef, Rows


def _ids_by_slugs(wanted: dict[str, set[str]]) -> list[tuple[str, str, uuid.UUID]]:
    """(record type, slug, id) of the records asked for by type and slug, in one query."""
    from django.db.models import CharField, Value

    parts = [
        ev.RECORD_MODELS[record_type]
        .objects.filter(slug__in=slugs)
        .annotate(record_type=Value(record_type, output_field=CharField()))
        .values_list("record_type", "slug", "id")
        .order_by()
        for record_type, slugs in wanted.items()
        if slugs
    ]
    if not parts:
        return []
    return list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])


def _relation_rows(rows: Rows, known: dict[str, dict[str, uuid.UUID]] | None = None) -> tuple:
    """Through-table rows for trial->intervention, trial->citation, topic->trial.

    ``known`` maps record type -> slug -> id for records this process already wrote (the
    rebuild's cache); other slugs are looked up.
    """
    known = known or {}
    wanted = {
        "intervention": {s for _, s in rows.trial_interventions},
        "citation": {s for _, s in rows.trial_citations},
        "trial": {slug for _, _, slug, _ in rows.topic_trials},
    }
    found: dict[str, dict[str, uuid.UUID]] = {}
    missing: dict[str, set[str]] = {}
    for record_type, slugs in wanted.items():
        cached = known.get(record_type, {})
        found[record_type] = {slug: cached[slug] for slug in slugs if slug in cached}
        missing[record_type] = slugs - found[record_type].keys()
    for record_type, slug, id_ in _ids_by_slugs(missing):  # one query for every type
        found[record_type][slug] = id_
    interventions, citations, trials = (found[t] for t in ("intervention", "citation", "trial"))
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
            for entry in record_types.in_creation_order():
                model = entry.model
                model.objects.bulk_create(
                    [model(**r) for r in rows.records[entry.name]], batch_size=1000
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
        self.known: dict[str, dict[str, uuid.UUID]] = {t: {} for t in record_types.names()}

    def write(self, rows: Rows) -> None:
        for entry in record_types.in_creation_order():
            records = rows.records[entry.name]
            self._copy(entry.model, records)
            self.known[entry.name].update((r["slug"], r["id"]) for r in records)
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

        settled()  # COPY cannot go in a pipeline
        with connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
            for item in items:
                copy.write_row(
                    [Jsonb(item[n], dumps=dumps) if n in json_columns else item[n] for n in names]
                )
