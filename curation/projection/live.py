"""The live projection: just-appended events, inside the appending transaction, with a
simple-history entry each (approver as history user, change request as change reason).

``apply_many`` projects a batch with set-based writes: one delete per item table, one
bulk insert or update per record table, the item rows in bulk (``OrmWriter``) and the history
rows in bulk. ``apply`` is the batch of one. The rows and history entries are those that
projecting the events one by one gives.

A caller that knows a record's document before the event (``previous``: an approval read it)
spares its own item rows (arms, outcomes, their values and comparisons, findings) when the
new document gives the same ones, and likewise its relations to other records (by slug):
they are already in the tables, so they are neither deleted nor written again (their row
ids stay).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.db import connection

from evidence import models as ev
from evidence.documents import record_types, upcast

from ..models import Event
from .rows import RowBuilder, parts_alike
from .script import Script, history_supported
from .writers import OrmWriter


def _delete_trial_items(trial_ids: list[uuid.UUID]) -> None:
    ev.Arm.objects.filter(trial_id__in=trial_ids).delete()  # cascades to values, comparisons
    ev.Outcome.objects.filter(trial_id__in=trial_ids).delete()
    ev.Finding.objects.filter(trial_id__in=trial_ids).delete()


def _delete_trial_relations(trial_ids: list[uuid.UUID]) -> None:
    ev.Trial.interventions.through.objects.filter(trial_id__in=trial_ids).delete()
    ev.Trial.citations.through.objects.filter(trial_id__in=trial_ids).delete()


def _delete_topic_items(topic_ids: list[uuid.UUID]) -> None:
    ev.Finding.objects.filter(topic_id__in=topic_ids).delete()


def _delete_topic_relations(topic_ids: list[uuid.UUID]) -> None:
    ev.TopicTrial.objects.filter(topic_id__in=topic_ids).delete()


# Record type -> (deletes of records' own item rows, deletes of their relations), run before
# they are projected again: the types with item rows (``rows.RowBuilder._<type>_items``). A
# type without items is not listed.
ITEM_TABLES = {
    "trial": (_delete_trial_items, _delete_trial_relations),
    "topic": (_delete_topic_items, _delete_topic_relations),
}
# The ``Rows`` lists of a record's own items, and of its relations naming other records by
# slug (a record referred to exists while referred to: approvals check that it does, and
# a retraction is refused while a live record refers to it).
OWN_ITEMS = ("arms", "outcomes", "values", "comparisons", "findings")
RELATIONS = ("trial_interventions", "trial_citations", "topic_trials")


def _tables() -> dict[str, str]:
    return {
        "value": ev.OutcomeValue._meta.db_table,
        "comparison": ev.Comparison._meta.db_table,
        "arm": ev.Arm._meta.db_table,
        "outcome": ev.Outcome._meta.db_table,
        "finding": ev.Finding._meta.db_table,
        "interventions": ev.Trial.interventions.through._meta.db_table,
        "citations": ev.Trial.citations.through._meta.db_table,
        "topic_trial": ev.TopicTrial._meta.db_table,
    }


# The same deletes on PostgreSQL, as one round trip: the cascades the ORM would follow
# (values and comparisons of the records' arms and outcomes), written out, one statement
# per referring column so that each is an index lookup (an OR of subqueries scans the whole
# table); each statement takes the record ids as its one array parameter. Per record type:
# (the deletes of records' own item rows, the deletes of their relations), as ``ITEM_TABLES``.
POSTGRES_ITEM_DELETES = {
    "trial": (
        [
            "DELETE FROM {value} WHERE outcome_id IN "
            "(SELECT id FROM {outcome} WHERE trial_id = ANY(%s))",
            "DELETE FROM {value} WHERE arm_id IN (SELECT id FROM {arm} WHERE trial_id = ANY(%s))",
            "DELETE FROM {comparison} WHERE outcome_id IN "
            "(SELECT id FROM {outcome} WHERE trial_id = ANY(%s))",
            "DELETE FROM {comparison} WHERE arm_id IN "
            "(SELECT id FROM {arm} WHERE trial_id = ANY(%s))",
            "DELETE FROM {comparison} WHERE reference_arm_id IN "
            "(SELECT id FROM {arm} WHERE trial_id = ANY(%s))",
            "DELETE FROM {arm} WHERE trial_id = ANY(%s)",
            "DELETE FROM {outcome} WHERE trial_id = ANY(%s)",
            "DELETE FROM {finding} WHERE trial_id = ANY(%s)",
        ],
        [
            "DELETE FROM {interventions} WHERE trial_id = ANY(%s)",
            "DELETE FROM {citations} WHERE trial_id = ANY(%s)",
        ],
    ),
    "topic": (
        ["DELETE FROM {finding} WHERE topic_id = ANY(%s)"],
        ["DELETE FROM {topic_trial} WHERE topic_id = ANY(%s)"],
    ),
}


def _item_deletes(record_type: str, changed: list, related: list) -> list[tuple[str, list]]:
    """PostgreSQL (sql, params) deleting the own item rows of the records ``changed`` and the
    relations of the records ``related`` (statements with nothing to delete are left out)."""
    tables = _tables()
    own, relations = POSTGRES_ITEM_DELETES.get(record_type, ((), ()))
    found = []
    for statements, ids in ((own, changed), (relations, related)):
        for statement in statements if ids else ():
            sql = statement.format(**tables)
            found.append((sql, [list(ids)] * sql.count("%s")))
    return found


def _delete_items(record_type: str, changed: list[uuid.UUID], related: list[uuid.UUID]) -> None:
    """Delete the own item rows of the records ``changed``, the relations of ``related``."""
    if connection.vendor == "postgresql":
        statements = _item_deletes(record_type, changed, related)
        if statements:
            with connection.cursor() as cursor:
                cursor.execute(
                    "; ".join(sql for sql, _ in statements),
                    [p for _, params in statements for p in params],
                )
        return
    deletes = ITEM_TABLES.get(record_type)
    if deletes is not None:
        if changed:
            deletes[0](changed)
        if related:
            deletes[1](related)


def _add_rows(builder: RowBuilder, event: Event, previous: dict) -> tuple[dict, set[str]]:
    """``builder.add(event)``, and which of the record's item rows ("own", "relations") were
    left out of ``builder.rows``: those its document before this event (in ``previous``)
    gives alike, which are in the tables already."""
    parts = {"own": OWN_ITEMS, "relations": RELATIONS}
    before = previous.get(event.stream_id)
    if before is None or event.version < 2 or event.stream_type not in ITEM_TABLES:
        return builder.add(event), set()
    # Every part's sources alike (a summary-only revision): no item row is made at all.
    after = upcast(event.stream_type, event.document) or {}
    if parts_alike(event.stream_type, before, after) == set(parts):
        return builder.add(event, items=False), set(parts)
    marks = {name: len(getattr(builder.rows, name)) for name in OWN_ITEMS + RELATIONS}
    row = builder.add(event)
    old = RowBuilder()
    old.items(event.stream_type, event.stream_id, before)
    kept = set()
    for part, names in parts.items():
        if all(getattr(old.rows, n) == getattr(builder.rows, n)[marks[n] :] for n in names):
            kept.add(part)
            for name in names:
                del getattr(builder.rows, name)[marks[name] :]
    return row, kept


def _changed(typed: list[Event], added: list[tuple[dict, set[str]]]) -> tuple[list, list]:
    """The records whose own item rows, and those whose relations, are written again."""
    own = [e.stream_id for e, (_, kept) in zip(typed, added, strict=True) if "own" not in kept]
    related = [
        e.stream_id for e, (_, kept) in zip(typed, added, strict=True) if "relations" not in kept
    ]
    return own, related


def _reason(event: Event) -> str:
    return f"CR-{event.change_request_id}" if event.change_request_id else f"event {event.position}"


def _approvers(events: Sequence[Event]) -> dict[int, object]:
    """Each event's approver, from the event when it holds them, else in one query."""
    found = {e.approver_id: e.approver for e in events if Event.approver.is_cached(e)}
    missing = {e.approver_id for e in events} - found.keys()
    if missing:
        found.update(get_user_model().objects.in_bulk(missing))
    return found


def _runs(events: Sequence[Event]) -> Iterable[list[Event]]:
    """Consecutive runs in which no record appears twice (a record's later event must see
    its earlier one projected)."""
    run: list[Event] = []
    seen: set[tuple[str, uuid.UUID]] = set()
    for event in events:
        key = (event.stream_type, event.stream_id)
        if key in seen:
            yield run
            run, seen = [], set()
        run.append(event)
        seen.add(key)
    if run:
        yield run


def apply(
    event: Event,
    script: Script | None = None,
    previous: dict | None = None,
    *,
    events_stored: bool = False,
) -> None:
    """Project one just-appended event, inside the appending transaction. ``previous``: the
    record's document before the event (upcast), when the caller has it."""
    previous_of = {} if previous is None else {event.stream_id: previous}
    apply_many([event], script, previous_of, events_stored=events_stored)


def apply_many(
    events: Sequence[Event],
    script: Script | None = None,
    previous: dict | None = None,
    *,
    events_stored: bool = False,
) -> None:
    """Project just-appended events, in position order, inside the appending transaction.

    ``script`` (PostgreSQL): the caller's, holding writes not sent yet (the events'
    INSERT); the projection's writes are added to it and the caller runs it. ``previous``:
    stream id -> its document before the first of ``events`` on it (upcast), where known.
    ``events_stored``: the events' rows are written before the projection's statements run
    (earlier in ``script``, or already): a record row whose document is its event's takes it
    from the event's row on the server instead of the document being sent again."""
    approvers = _approvers(events)
    seen: set[uuid.UUID] = set()
    for run in _runs(events):
        # Only a stream's first event here follows the document given.
        before = {e.stream_id: previous[e.stream_id] for e in run
                  if previous and e.stream_id in previous and e.stream_id not in seen}  # fmt: skip
        seen.update(e.stream_id for e in run)
        _apply_run(run, approvers, script, before, events_stored)


def _apply_run(
    events: list[Event], approvers: dict[int, object], script=None, previous=None, stored=False
) -> None:
    for event in events:
        if event.type == Event.Type.RETRACTED:
            if script is not None:
                script.run()  # what came before is written before the ORM deletes
            _retract(event, approvers[event.approver_id])
    live = [e for e in events if e.type != Event.Type.RETRACTED]
    by_type: dict[str, list[Event]] = {}
    for event in live:
        by_type.setdefault(event.stream_type, []).append(event)
    if not by_type:
        return
    if _use_script(by_type):
        _write_script(by_type, script, previous or {}, stored)
    else:
        if script is not None:
            script.run()
        _write_orm(by_type, approvers, previous or {})


def _use_script(by_type: dict[str, list[Event]]) -> bool:
    """PostgreSQL, and record types whose history rows the script knows how to write."""
    return connection.vendor == "postgresql" and all(
        history_supported(record_types.get(t).model) for t in by_type
    )


def _write_script(
    by_type: dict[str, list[Event]],
    given: Script | None = None,
    previous: dict | None = None,
    stored: bool = False,
) -> None:
    """PostgreSQL: the run's deletes, records, history rows and items in one round trip
    (added to ``given``, which its owner runs, if there is one). ``stored``: the events'
    rows are written first; a record's document that is its event's (no upcast changed it)
    is read from there."""
    builder = RowBuilder()
    script = given or Script()
    for entry in record_types.in_creation_order():
        typed = by_type.get(entry.name)
        if not typed:
            continue
        added = [_add_rows(builder, event, previous or {}) for event in typed]
        rows = [row for row, _ in added]
        if stored:
            rows = [
                {k: v for k, v in row.items() if k != "document"}
                if row["document"] is event.document
                else row
                for event, row in zip(typed, rows, strict=True)
            ]
        for sql, params in _item_deletes(entry.name, *_changed(typed, added)):
            script.add(sql, *params)
        # As simple-history's bulk_history_create: new records first, then updated ones.
        history = [
            {
                "id": event.stream_id,
                "history_date": event.recorded_at,
                "history_change_reason": _reason(event),
                "history_type": "~" if event.version > 1 else "+",
                "history_user_id": event.approver_id,
            }
            for event in typed
        ]
        history.sort(key=lambda h: h["history_type"] == "~")
        script.upsert_records(entry.model, rows, history, from_events=stored)
    script.items(builder.rows)
    if given is None:
        script.run()


def _write_orm(
    by_type: dict[str, list[Event]], approvers: dict[int, object], previous: dict
) -> None:
    builder = RowBuilder()
    for entry in record_types.in_creation_order():
        typed = by_type.get(entry.name)
        if not typed:
            continue
        model = entry.model
        added = [_add_rows(builder, event, previous) for event in typed]
        _delete_items(entry.name, *_changed(typed, added))
        # A stream's first event creates its row, every later one updates it (a retracted
        # stream has no later events).
        existing = {e.stream_id for e in typed if e.version > 1}
        created, updated = [], []
        for event, (row, _) in zip(typed, added, strict=True):
            record = model(**row)
            # simple-history: the approver is the history user, the change request the reason.
            record._history_user = approvers[event.approver_id]
            record._change_reason = _reason(event)
            record._history_date = event.recorded_at
            (updated if record.id in existing else created).append(record)
        # A record type without HistoricalRecords has no audit rows to write.
        history = getattr(model, "history", None)
        # One INSERT ... ON CONFLICT (id) DO UPDATE for new and existing rows alike (Django's
        # bulk_update builds a CASE per column and row, far slower in Python and SQL).
        fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
        model.objects.bulk_create(
            created + updated,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=fields,
        )
        if history is not None:
            if created:
                history.bulk_history_create(created, batch_size=1000)
            if updated:
                history.bulk_history_create(updated, batch_size=1000, update=True)
    OrmWriter().write(builder.rows, records=False)


def _retract(event: Event, approver) -> None:
    model = record_types.get(event.stream_type).model
    instance = model.objects.filter(id=event.stream_id).first()
    if instance is not None:
        instance._history_user = approver
        instance._change_reason = _reason(event)
        instance._history_date = event.recorded_at
        instance.delete()
