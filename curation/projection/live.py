"""The live projection: one just-appended event, inside the approval's transaction, with a
simple-history entry (approver as history user, change request as change reason)."""

from __future__ import annotations

import uuid

from evidence import models as ev
from evidence.documents import record_types

from ..models import Event
from .rows import RowBuilder
from .writers import OrmWriter


def _delete_trial_items(trial_id: uuid.UUID) -> None:
    ev.Arm.objects.filter(trial_id=trial_id).delete()  # cascades to values, comparisons
    ev.Outcome.objects.filter(trial_id=trial_id).delete()
    ev.Finding.objects.filter(trial_id=trial_id).delete()
    ev.Trial.interventions.through.objects.filter(trial_id=trial_id).delete()
    ev.Trial.citations.through.objects.filter(trial_id=trial_id).delete()


def _delete_topic_items(topic_id: uuid.UUID) -> None:
    ev.Finding.objects.filter(topic_id=topic_id).delete()
    ev.TopicTrial.objects.filter(topic_id=topic_id).delete()


# Record type -> deletes a record's item rows before they are projected again: the types with
# item rows (``rows.RowBuilder._<type>_items``). A type without items is not listed.
ITEM_TABLES = {"trial": _delete_trial_items, "topic": _delete_topic_items}


def _delete_items(record_type: str, record_id: uuid.UUID) -> None:
    delete = ITEM_TABLES.get(record_type)
    if delete is not None:
        delete(record_id)


def apply(event: Event) -> None:
    """Project one just-appended event, inside the appending transaction."""
    model = record_types.get(event.stream_type).model
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
    record = model(**builder.add(event))
    # simple-history: the approver is the history user, the change request the reason.
    record._history_user = approver
    record._change_reason = reason
    record._history_date = event.recorded_at
    record.save()
    OrmWriter().write(builder.rows, records=False)
