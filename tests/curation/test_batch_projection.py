"""What a batch sends to and reads from PostgreSQL: a record row whose document is its event's
takes it from the event's row on the server (looked up by the log's primary key), not from a
second copy in the statement's parameters; a request's base document equal to its record's
row is not read a second time. The rows written are the same either way."""

from __future__ import annotations

import copy
from unittest import mock

import pytest
from django.db import connection, transaction

from curation import eventstore, projection, services
from curation.models import ChangeRequest, Event
from curation.projection.rows import RowBuilder
from curation.projection.script import Script
from curation.services import batch_reads
from evidence import models as ev
from tests import factories
from tests.read_models import read_model_state

pytestmark = pytest.mark.django_db


def trial_row(trial: ev.Trial) -> dict:
    fields = [f.attname for f in ev.Trial._meta.concrete_fields]
    return ev.Trial.objects.filter(pk=trial.pk).values(*fields)[0]


def test_a_row_without_its_document_takes_its_events_and_a_row_with_one_keeps_it(
    postgres, editor, reviewer
):
    event = factories.seed_trial(editor, reviewer)
    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    ev.Trial.objects.filter(pk=trial.pk).update(document={"overwritten": True})
    row = trial_row(trial)
    del row["document"]
    script = Script()
    script.upsert_records(ev.Trial, [row], [], from_events=True)
    script.run()
    assert ev.Trial.objects.get(pk=trial.pk).document == event.document

    given = {**row, "document": {"given": "here"}}
    script.upsert_records(ev.Trial, [given], [], from_events=True)
    script.run()
    assert ev.Trial.objects.get(pk=trial.pk).document == {"given": "here"}


def test_the_event_is_looked_up_by_the_logs_primary_key(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    row = trial_row(ev.Trial.objects.get(slug="ifm-2005-02"))
    del row["document"]
    script = Script()
    script.upsert_records(ev.Trial, [row], [], from_events=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + script.statements[0], script.params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert f"Index Scan using {Event._meta.db_table}_pkey" in plan
    assert "Seq Scan" not in plan.split("SubPlan")[-1]


def test_approvals_send_no_document_their_events_hold(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    ids = []
    for field, text in (("summary", "First."), ("population", "Second.")):
        doc = copy.deepcopy(trial.document) | {field: text}
        cr = services.propose(
            user=editor,
            record_type="trial",
            action="revise",
            record=trial.slug,
            base_version=trial.version,
            document=doc,
            rationale="Summarised",
        )
        ids.append(cr.pk)
    sent = []
    real = Script.upsert_records

    def spy(self, model, rows, history, from_events=False):
        sent.append((from_events, [set(row) for row in rows]))
        return real(self, model, rows, history, from_events)

    with mock.patch.object(Script, "upsert_records", spy):
        services.approve(ids[0], user=reviewer)
        # The second was based on the version the first revised: merged onto it.
        services.approve_change_requests(reviewer, ids[1:])
    assert sent and all(stored and "document" not in row for stored, rows in sent for row in rows)
    trial.refresh_from_db()
    last = Event.objects.filter(stream_id=trial.pk).latest("position")
    assert trial.document == last.document
    assert (trial.document["summary"], trial.document["population"]) == ("First.", "Second.")
    assert trial.history.latest("history_id").document == last.document


def propose_summary(editor, trial: ev.Trial, summary: str):
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=trial.version,
        document=copy.deepcopy(trial.document) | {"summary": summary},
        rationale="Summarised",
    )


def test_a_base_document_equal_to_the_records_row_is_not_read_twice(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    behind = propose_summary(editor, trial, "Proposed on version 1.")
    services.approve(propose_summary(editor, trial, "Approved."), user=reviewer)
    trial.refresh_from_db()
    current = propose_summary(editor, trial, "Proposed on version 2.")
    stored = {
        cr.pk: cr.base_document
        for cr in ChangeRequest.objects.filter(pk__in=[behind.pk, current.pk])
    }
    with transaction.atomic():
        batch = eventstore.Batch()
        found = batch_reads.locked_requests([behind.pk, current.pk])
        # The record's row moved on from the first one's base: that one is sent.
        assert not found[behind.pk].base_is_record
        assert found[behind.pk].base_document == stored[behind.pk]
        assert found[current.pk].base_is_record and found[current.pk].base_document is None
        records = batch_reads.Records(batch, list(found.values()))
    assert found[current.pk].base_document == stored[current.pk] == trial.document
    # The same object as the record's current document, so the narratives compare nothing.
    assert found[current.pk].base_document is records.current(found[current.pk])[1]


def test_a_summary_only_revision_makes_no_item_rows_and_an_item_change_makes_them(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    arms = set(ev.Arm.objects.values_list("id", flat=True))
    made = []
    real = RowBuilder._trial_items

    def counting(self, trial_id, doc):
        made.append(trial_id)
        return real(self, trial_id, doc)

    with mock.patch.object(RowBuilder, "_trial_items", counting):
        services.approve(propose_summary(editor, trial, "One."), user=reviewer)
        trial.refresh_from_db()
        services.approve_change_requests(reviewer, [propose_summary(editor, trial, "Two.").pk])
        assert made == []
        trial.refresh_from_db()
        doc = copy.deepcopy(trial.document)
        doc["arms"][0]["label"] = "Renamed arm"
        cr = services.propose(
            user=editor,
            record_type="trial",
            action="revise",
            record=trial.slug,
            base_version=trial.version,
            document=doc,
            rationale="Arm renamed",
        )
        services.approve(cr, user=reviewer)
    assert made and set(made) == {trial.pk}
    assert set(ev.Arm.objects.values_list("id", flat=True)).isdisjoint(arms)
    assert ev.Arm.objects.filter(trial=trial, label="Renamed arm").exists()
    state = read_model_state()
    projection.rebuild()
    assert read_model_state() == state
