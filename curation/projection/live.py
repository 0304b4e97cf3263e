"""The live projection: one just-appended event, inside the approval's transaction, with a
simple-history entry (approver as history user, change request as change reason)."""

from __future__ import annotations

import uuid

from evidence import models as ev

from ..models import Event
from .rows import RowBuilder
from .writers import OrmWriter


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
    record = model(**builder.add(event))
    # simple-history: the approver is the history user, the change request the reason.
    record._history_user = approver
    record._change_reason = reason
    record._history_date = event.recorded_at
    record.save()
    OrmWriter().write(builder.rows, records=False)
