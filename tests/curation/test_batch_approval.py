"""Approving a batch of change requests: the same events, hashes and read models as approving
them one by one, every rule checked for each request, refusals naming the request."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from unittest import mock

import orjson
import pytest
from django.db import transaction

from curation import eventstore, services
from curation.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from curation.models import ChangeRequest, Event, Review
from curation.permissions import EDITORS, REVIEWERS, ensure_groups
from evidence import models as ev
from tests import documents, factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FIXED = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def propose_trial(editor, trial, base_version=None, **fields):
    doc = copy.deepcopy(trial.document)
    doc.update(fields)
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=base_version or trial.version,
        document=doc,
        rationale="From the article",
    )


def batch_of_requests(editor, trial):
    """A new citation, a revision of the trial, a new intervention, and a second revision of
    the trial from the same base (merged onto the first at approval)."""
    citation = services.propose(
        user=editor,
        record_type="citation",
        action="create",
        document=documents.ifm_citation(slug="batch-2021"),
        rationale="Cited by the trial",
    )
    population = propose_trial(editor, trial, population="612 patients after transplantation")
    intervention = services.propose(
        user=editor,
        record_type="intervention",
        action="create",
        document=documents.ifm_intervention(slug="batchamide"),
        rationale="New drug",
    )
    summary = propose_trial(editor, trial, summary="Summarised again.")
    return [citation.pk, population.pk, intervention.pk, summary.pk]


def state(since: int, ids: list[int]) -> dict:
    """Everything an approval writes that one-by-one and batch approvals must agree on."""
    return {
        "events": list(Event.objects.filter(position__gt=since).order_by("position").values()),
        "requests": list(
            ChangeRequest.objects.filter(pk__in=ids)
            .order_by("pk")
            .values("pk", "status", "needs_rebase", "decided_by", "decided_at")
        ),
        "trials": list(ev.Trial.objects.order_by("slug").values()),
        "citations": list(ev.Citation.objects.order_by("slug").values()),
        "interventions": list(ev.Intervention.objects.order_by("slug").values()),
        "trial_citations": sorted(
            ev.Trial.citations.through.objects.values_list("trial__slug", "citation__slug")
        ),
        "values": sorted(
            ev.OutcomeValue.objects.values_list("outcome__key", "arm__key", "value", "low")
        ),
        "history": sorted(
            (h.slug, h.version, h.history_type, h.history_user_id, h.history_change_reason)
            for model in (ev.Trial, ev.Citation, ev.Intervention)
            for h in model.history.all()
        ),
        "reviews": sorted(
            ChangeRequest.objects.filter(pk__in=ids).values_list(
                "pk", "reviews__kind", "reviews__author", "reviews__comment"
            )
        ),
        "cr_history": sorted(
            ChangeRequest.history.filter(id__in=ids).values_list(
                "id", "status", "history_type", "history_user"
            )
        ),
    }


def test_a_batch_appends_what_approving_one_by_one_appends(trial, editor, reviewer):
    ids = batch_of_requests(editor, trial)
    since = eventstore.last_position()
    with mock.patch("django.utils.timezone.now", return_value=FIXED):
        with transaction.atomic():
            for pk in ids:
                services.approve(pk, user=reviewer, comment="Checked")
            one_by_one = {**state(since, ids), "every_row": every_row()}
            transaction.set_rollback(True)
        assert eventstore.last_position() == since
        events = services.approve_change_requests(reviewer, ids, comment="Checked")
        batch = {**state(since, ids), "every_row": every_row()}
    assert [e.change_request_id for e in events] == ids
    # The server copied each document from its request's row but the merged one's (the
    # request's own document is not what was approved): the same rows all the same.
    copied = [getattr(e, eventstore.DOCUMENT_OF_REQUEST, False) for e in events]
    assert copied == [True, True, True, False]
    assert [e["position"] for e in batch["events"]] == [since + 1, since + 2, since + 3, since + 4]
    assert batch == one_by_one
    # The merged revision kept both changes; the later request was flagged, as one by one.
    trial.refresh_from_db()
    assert trial.version == 3 and trial.document["summary"] == "Summarised again."
    assert trial.document["population"] == "612 patients after transplantation"
    assert [r["needs_rebase"] for r in batch["requests"]] == [False, False, False, True]
    assert eventstore.verify_chain().ok


def test_a_batch_never_approves_ones_own_request_and_names_it(trial, editor, reviewer):
    both = make_user("both", EDITORS)
    both.groups.add(ensure_groups()[REVIEWERS])
    both = type(both).objects.get(pk=both.pk)  # permissions read afresh
    theirs = propose_trial(editor, trial, summary="By the editor.")
    own = services.propose(
        user=both,
        record_type="citation",
        action="create",
        document=documents.ifm_citation(slug="own-2022"),
        rationale="Mine",
    )
    before = eventstore.last_position()
    with pytest.raises(PermissionDenied, match=f"change request {own.pk}: nobody may decide"):
        services.approve_change_requests(both, [theirs.pk, own.pk])
    assert eventstore.last_position() == before
    theirs.refresh_from_db()
    assert theirs.status == "submitted"


def test_only_reviewers_approve_batches(trial, editor):
    cr = propose_trial(editor, trial, summary="Again.")
    with pytest.raises(PermissionDenied, match="Reviewers group"):
        services.approve_change_requests(editor, [cr.pk])
    with pytest.raises(PermissionDenied, match="logged in"):
        services.approve_change_requests(None, [cr.pk])


@pytest.mark.parametrize(
    ("ids", "path", "message"),
    [
        ([], "ids", "list of change request ids"),
        ("12", "ids", "list of change request ids"),
        ([1, "2"], "ids[1]", "must be a change request id"),
        ([True], "ids[0]", "must be a change request id"),
        ([0], "ids[0]", "must be a change request id"),
        ([7, 7], "ids[1]", "listed twice"),
    ],
)
def test_bad_lists_of_ids_are_refused_with_their_place(reviewer, ids, path, message):
    with pytest.raises(ValidationFailed) as caught:
        services.approve_change_requests(reviewer, ids)
    assert caught.value.errors[0]["path"] == path
    assert message in caught.value.errors[0]["message"]


def test_unknown_requests_are_named(trial, editor, reviewer):
    cr = propose_trial(editor, trial, summary="Again.")
    with pytest.raises(NotFound, match="no change request 999998, 999999"):
        services.approve_change_requests(reviewer, [cr.pk, 999998, 999999])


def test_a_conflict_in_the_batch_names_the_request_and_approves_nothing(trial, editor, reviewer):
    first = propose_trial(editor, trial, summary="One wording.")
    second = propose_trial(editor, trial, summary="Another wording.")
    before = eventstore.last_position()
    with pytest.raises(VersionConflict, match=f"change request {second.pk}: .*summary"):
        services.approve_change_requests(reviewer, [first.pk, second.pk])
    assert eventstore.last_position() == before
    first.refresh_from_db()
    assert first.status == "submitted"


def test_a_decided_request_in_the_batch_is_refused(trial, editor, reviewer):
    cr = propose_trial(editor, trial, summary="Again.")
    services.reject(cr, user=reviewer, comment="No source.")
    with pytest.raises(InvalidTransition, match=f"change request {cr.pk}: .*rejected"):
        services.approve_change_requests(reviewer, [cr.pk])


def test_a_reference_gone_since_the_proposal_is_named_with_its_place(trial, editor, reviewer):
    factories.create_approved(
        editor, reviewer, "citation", documents.ifm_citation(slug="gone-2023")
    )
    fine = propose_trial(editor, trial, summary="Fine.")
    cites = propose_trial(editor, trial, citations=["gone-2023"])
    factories.retract_approved(editor, reviewer, "citation", "gone-2023", 1)
    before = eventstore.last_position()
    with pytest.raises(ValidationFailed) as caught:
        services.approve_change_requests(reviewer, [fine.pk, cites.pk])
    assert caught.value.errors == [
        {
            "path": "ids[1].document.citations[0]",
            "message": f"change request {cites.pk}: no citation with slug 'gone-2023'",
        }
    ]
    assert eventstore.last_position() == before


def test_a_batch_retraction_sees_the_batch_before_it(trial, editor, reviewer):
    """Retracting a record the batch has just stopped referring to is allowed, as one by one."""
    factories.create_approved(editor, reviewer, "citation", documents.ifm_citation(slug="old-2019"))
    adds = propose_trial(editor, trial, citations=[*trial.document["citations"], "old-2019"])
    services.approve(adds, user=reviewer)
    trial.refresh_from_db()
    drops = propose_trial(
        editor, trial, citations=[c for c in trial.document["citations"] if c != "old-2019"]
    )
    retract = services.propose(
        user=editor,
        record_type="citation",
        action="retract",
        record="old-2019",
        base_version=1,
        rationale="Withdrawn",
    )
    events = services.approve_change_requests(reviewer, [drops.pk, retract.pk])
    assert [e.type for e in events] == ["revised", "retracted"]
    assert not ev.Citation.objects.filter(slug="old-2019").exists()
    assert eventstore.verify_chain().ok


def _item_key(model, pk):
    """An item row named by what it is (its record and key), not by its serial id, which a
    rolled-back run does not give back."""
    row = model.objects.filter(pk=pk).values().first()
    if row is None:
        return None
    owner = row.get("trial_id") or row.get("topic_id") or row.get("outcome_id")
    return (model.__name__, str(owner), row.get("key"))


def every_row() -> dict:
    """Every row of every table an approval writes to, each column (history rows: but their
    own serial id), item rows referring to each other by ``_item_key``: what batch and
    one-by-one approvals must both have written, column by column."""
    from django.db.models import AutoField, BigAutoField, ForeignKey

    from curation.models import ReviewWarnings

    models = [
        Event, ChangeRequest, ChangeRequest.history.model, Review, ReviewWarnings,
        ev.Trial, ev.Citation, ev.Intervention, ev.Topic, ev.Trial.history.model,
        ev.Citation.history.model, ev.Intervention.history.model, ev.Topic.history.model,
        ev.Arm, ev.Outcome, ev.OutcomeValue, ev.Comparison, ev.Finding, ev.TopicTrial,
        ev.Trial.interventions.through, ev.Trial.citations.through,
    ]  # fmt: skip
    serial = (AutoField, BigAutoField)
    found = {}
    for model in models:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not isinstance(f, serial) and f.attname != "history_id"
        ]
        rows = []
        for row in model.objects.values(*[f.attname for f in fields]):
            for f in fields:
                target = f.related_model if isinstance(f, ForeignKey) else None
                if target is not None and isinstance(target._meta.pk, serial):
                    if target in (ev.Arm, ev.Outcome):
                        row[f.attname] = _item_key(target, row[f.attname])
                    elif target is Review:  # by its request and kind
                        row[f.attname] = Review.objects.filter(pk=row[f.attname]).values_list(
                            "change_request_id", "kind"
                        )[0]
                    elif target is ChangeRequest:
                        continue  # the request's id is the same in both runs
                    else:
                        row[f.attname] = row[f.attname] is not None
            rows.append(repr(sorted(row.items())))
        found[model._meta.db_table] = sorted(rows)
    return found


def full_state(since: int, ids: list[int]) -> dict:
    """``state`` and the rest an approval writes: every history row of the requests (but its
    own id), the warnings kept with each review, the topics and their rows, and every open
    request's rebase flag."""
    history = [
        f.attname
        for f in ChangeRequest.history.model._meta.concrete_fields
        if f.attname != "history_id"
    ]
    return {
        **state(since, ids),
        "every_row": every_row(),
        "cr_history_rows": list(ChangeRequest.history.order_by("history_id").values_list(*history)),
        "warnings": list(
            Review.objects.filter(change_request_id__in=ids, kind="approve")
            .order_by("change_request_id")
            .values_list("change_request_id", "warnings__narrative_warnings")
        ),
        "topics": list(ev.Topic.objects.order_by("slug").values()),
        "topic_trials": list(ev.TopicTrial.objects.order_by("id").values_list("order", "trial")),
        "open": sorted(
            ChangeRequest.objects.filter(status="submitted").values_list("pk", "needs_rebase")
        ),
    }


def test_a_batch_with_warnings_topics_and_flags_writes_what_one_by_one_writes(editor, reviewer):
    factories.create_approved(editor, reviewer, "intervention", documents.synthetic_intervention())
    factories.create_approved(editor, reviewer, "citation", documents.synthetic_citation())
    trial_doc = documents.synthetic_trial(summary="PFS was 27 months.")
    trial_doc["outcomes"][0]["values"][0]["value"] = 27
    factories.create_approved(editor, reviewer, "trial", trial_doc)
    topic = documents.synthetic_topic()
    topic["sections"][0]["body"] = ["In the synthetic trial, PFS reached 27 months."]
    factories.create_approved(editor, reviewer, "topic", topic)
    trial = ev.Trial.objects.get()
    changed = copy.deepcopy(trial.document)
    changed["outcomes"][0]["values"][0]["value"] = 28  # quoted in the summary and the topic
    renumbered = services.propose(
        user=editor, record_type="trial", action="revise", record=trial.slug,
        base_version=1, document=changed, rationale="Updated analysis",
    )  # fmt: skip
    topic_row = ev.Topic.objects.get()
    retitled = services.propose(
        user=editor, record_type="topic", action="revise", record=topic_row.slug,
        base_version=1, document={**topic_row.document, "title": "Retitled"}, rationale="Title",
    )  # fmt: skip
    outsider = propose_trial(editor, trial, summary="Left open.")
    ids = [renumbered.pk, retitled.pk]
    since = eventstore.last_position()
    with mock.patch("django.utils.timezone.now", return_value=FIXED):
        with transaction.atomic():
            for pk in ids:
                services.approve(pk, user=reviewer, comment="Numbers checked")
            one_by_one = full_state(since, ids)
            transaction.set_rollback(True)
        services.approve_change_requests(reviewer, ids, comment="Numbers checked")
        batch = full_state(since, ids)
    assert batch == one_by_one
    assert len(dict(batch["warnings"])[renumbered.pk]) == 2  # the summary and the topic
    assert (outsider.pk, True) in batch["open"]
    assert eventstore.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_batch_compresses_its_documents_by_lz4_for_its_transaction_only(
    postgres, trial, editor, reviewer
):
    from django.db import connection

    def one(sql: str):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    has_lz4 = one(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    setting = "SELECT current_setting('default_toast_compression')"
    before = one(setting)
    cr = propose_trial(editor, trial, summary="Compressed.")
    with transaction.atomic():
        services.approve_change_requests(reviewer, [cr.pk])
        assert one(setting) == ("lz4" if has_lz4 else before)
    assert one(setting) == before  # the server's default again once the transaction is over


def test_an_events_row_says_when_the_server_copies_the_requests_document():
    from curation.eventstore.store import _rows_json

    document = {"slug": "x", "summary": "S"}
    copied, sent = (Event(position=n, document=document, changes=[]) for n in (1, 2))
    setattr(copied, eventstore.DOCUMENT_OF_REQUEST, True)
    rows = orjson.loads(_rows_json([copied, sent]))
    assert "document" not in rows[0] and rows[0][eventstore.DOCUMENT_OF_REQUEST] is True
    assert rows[1]["document"] == document and eventstore.DOCUMENT_OF_REQUEST not in rows[1]
