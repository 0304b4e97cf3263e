"""An approval whose document gives the record's own item rows (arms, outcomes, values,
comparisons, findings) as they are leaves those rows in place, and likewise its relations to
other records; any change to either writes that part again, whole. Either way the read models
are those a rebuild from the log gives."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from unittest import mock

import pytest

from curation import projection, selectors, services
from curation.projection import live
from evidence import models as ev
from tests import documents, factories
from tests.read_models import read_model_state

pytestmark = pytest.mark.django_db

ITEMS = (ev.Arm, ev.Outcome, ev.OutcomeValue, ev.Comparison, ev.Finding)


def item_ids() -> dict[str, set[int]]:
    return {model.__name__: set(model.objects.values_list("id", flat=True)) for model in ITEMS}


def relation_ids() -> dict[str, set[int]]:
    return {
        name: set(through.objects.values_list("id", flat=True))
        for name, through in (
            ("citations", ev.Trial.citations.through),
            ("interventions", ev.Trial.interventions.through),
        )
    }


def check_rebuild_gives_the_same() -> None:
    state = read_model_state()
    projection.rebuild()
    assert read_model_state() == state


def test_a_revision_leaving_the_items_alone_keeps_their_rows(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    before, relations = item_ids(), relation_ids()
    assert before["Arm"] and before["OutcomeValue"] and before["Finding"]
    factories.revise_approved(
        editor, reviewer, "trial", "ifm-2005-02", lambda d: d.update(summary="Only this.")
    )
    assert item_ids() == before and relation_ids() == relations
    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    assert trial.document["summary"] == "Only this."
    assert list(trial.citations.values_list("slug", flat=True)) == ["attal-2012"]
    assert trial.interventions.count() == 1
    check_rebuild_gives_the_same()


def test_a_new_citation_writes_the_relations_again_and_leaves_the_items(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    factories.create_approved(editor, reviewer, "citation", documents.ifm_citation("other-2013"))
    before, relations = item_ids(), relation_ids()
    factories.revise_approved(
        editor, reviewer, "trial", "ifm-2005-02", lambda d: d["citations"].append("other-2013")
    )
    assert item_ids() == before
    assert not relation_ids()["citations"] & relations["citations"]
    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    assert sorted(trial.citations.values_list("slug", flat=True)) == ["attal-2012", "other-2013"]
    check_rebuild_gives_the_same()


def test_a_revision_changing_one_item_writes_every_item_again(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    before = item_ids()

    def relabel(document):
        document["arms"][0]["label"] = "Lenalidomide maintenance"

    factories.revise_approved(editor, reviewer, "trial", "ifm-2005-02", relabel)
    after = item_ids()
    assert all(not (after[name] & before[name]) for name in after)  # all new rows
    assert "Lenalidomide maintenance" in ev.Arm.objects.values_list("label", flat=True)
    assert {name: len(ids) for name, ids in after.items()} == {
        name: len(ids) for name, ids in before.items()
    }
    check_rebuild_gives_the_same()


def test_only_a_streams_first_event_of_a_batch_follows_the_document_given():
    first, again, other = (
        SimpleNamespace(stream_type="trial", stream_id=stream) for stream in ("a", "a", "b")
    )
    given = []
    with (
        mock.patch.object(live, "_approvers", lambda events: {}),
        mock.patch.object(
            live, "_apply_run", lambda run, approvers, script, previous, *_: given.append(previous)
        ),
    ):
        live.apply_many([first, other, again], None, {"a": {"x": 1}, "b": {"y": 2}})
    # Two runs (a stream appears once per run): "a" again follows the first run's event,
    # not the document given.
    assert given == [{"a": {"x": 1}, "b": {"y": 2}}, {}]


def propose_revision(editor, slug: str, change, base_version: int | None = None):
    live = selectors.live_record("trial", slug)
    document = copy.deepcopy(live.document)
    change(document)
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=slug,
        base_version=base_version or live.version,
        document=document,
        rationale="batch revision",
    )


def test_a_batch_keeps_the_item_rows_of_its_first_revision_leaving_them_alike(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    before, relations = item_ids(), relation_ids()
    cr = propose_revision(editor, "ifm-2005-02", lambda d: d.update(summary="Batch summary."))

    services.approve_change_requests(reviewer, [cr.pk])

    assert item_ids() == before and relation_ids() == relations
    assert ev.Trial.objects.get(slug="ifm-2005-02").document["summary"] == "Batch summary."
    check_rebuild_gives_the_same()


def test_a_batch_revising_a_record_twice_writes_the_second_change_of_its_items(editor, reviewer):
    """The second revision of one record in a batch follows the first, not yet in the tables
    when it is read: its changed arm is written, and the tables are a rebuild's."""
    factories.seed_trial(editor, reviewer)
    before = item_ids()
    version = selectors.live_record("trial", "ifm-2005-02").version
    first = propose_revision(editor, "ifm-2005-02", lambda d: d.update(summary="First."))

    def rename_arm(document):
        document["arms"][0]["label"] = "Renamed arm"

    second = propose_revision(editor, "ifm-2005-02", rename_arm, base_version=version)

    services.approve_change_requests(reviewer, [first.pk, second.pk])

    trial = ev.Trial.objects.get(slug="ifm-2005-02")
    assert trial.document["summary"] == "First."
    assert ev.Arm.objects.filter(trial=trial, label="Renamed arm").count() == 1
    assert item_ids()["Arm"] != before["Arm"]  # the arms were written again
    check_rebuild_gives_the_same()
