"""The live projection's one-round-trip script (PostgreSQL) writes what the ORM writer and
simple-history write for the same events: every read-model row, in the same order, and every
history row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import transaction

from curation.models import ChangeRequest
from curation.projection import live
from curation.seed import load_seed
from curation.services.inputs import forget_validated
from evidence import models as ev
from tests import documents, factories
from tests.read_models import read_model_state

pytestmark = pytest.mark.django_db

FIXED = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def history_rows() -> dict[str, list[tuple]]:
    """Every history row of every record type, in the order written, without its own id;
    its user by name and its change request by rank (ids differ from one run to the next)."""
    requests = {
        f"CR-{pk}": f"CR #{rank}"
        for rank, pk in enumerate(sorted(ChangeRequest.objects.values_list("pk", flat=True)))
    }
    rows = {}
    for record_type, model in ev.RECORD_MODELS.items():
        fields = [f.attname for f in model.history.model._meta.concrete_fields]
        fields.remove("history_id")
        fields[fields.index("history_user_id")] = "history_user__username"
        reason = fields.index("history_change_reason")
        rows[record_type] = [
            (*row[:reason], requests.get(row[reason], row[reason]), *row[reason + 1 :])
            for row in model.history.order_by("history_id").values_list(*fields)
        ]
    return rows


def item_order() -> dict[str, list[tuple]]:
    """The item rows by id: the order they were inserted in."""
    return {
        "arms": list(ev.Arm.objects.order_by("id").values_list("trial__slug", "key")),
        "outcomes": list(ev.Outcome.objects.order_by("id").values_list("trial__slug", "key")),
        "values": list(
            ev.OutcomeValue.objects.order_by("id").values_list("outcome__key", "arm__key")
        ),
        "comparisons": list(ev.Comparison.objects.order_by("id").values_list("key", "arm__key")),
        "findings": list(ev.Finding.objects.order_by("id").values_list("key", "order")),
        "topic_trials": list(
            ev.TopicTrial.objects.order_by("id").values_list("trial__slug", "order")
        ),
    }


def by_slug(state: dict) -> dict:
    """``state`` with every record id (a new random stream id each run) replaced by its
    record's slug."""
    slugs = {
        id_: slug
        for model in ev.RECORD_MODELS.values()
        for id_, slug in model.history.values_list("id", "slug")
    }

    def swap(value):
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(swap(v) for v in value)
        return slugs.get(value, value) if isinstance(value, uuid.UUID) else value

    swapped = swap(state)
    swapped["rows"] = {table: sorted(rows) for table, rows in swapped["rows"].items()}
    return swapped


def approve_everything(editor, reviewer) -> dict:
    forget_validated()  # each run validates as the first did
    with mock.patch("django.utils.timezone.now", return_value=FIXED):
        load_seed()
        factories.create_approved(editor, reviewer, "citation", documents.ifm_citation())
        factories.create_approved(
            editor, reviewer, "trial", documents.ifm_trial(slug="second", name="Second")
        )
        # Its items left alone (kept in place), then changed (written again).
        factories.revise_approved(
            editor, reviewer, "trial", "second", lambda d: d.update(summary="Only this.")
        )
        factories.revise_approved(
            editor, reviewer, "trial", "second", lambda d: d["arms"].reverse()
        )
        factories.revise_approved(
            editor, reviewer, "trial", "second", lambda d: d["outcomes"].pop()
        )
        factories.retract_approved(editor, reviewer, "trial", "second", 4, why="duplicate")
    return by_slug({"rows": read_model_state(), "history": history_rows(), "order": item_order()})


def test_the_script_writes_what_the_orm_writes(postgres, editor, reviewer):
    with transaction.atomic():
        scripted = approve_everything(editor, reviewer)
        transaction.set_rollback(True)
    assert scripted["rows"]["topic"] and scripted["order"]["topic_trials"]
    with mock.patch.object(live, "_use_script", lambda by_type: False):
        by_orm = approve_everything(editor, reviewer)
    assert scripted == by_orm
