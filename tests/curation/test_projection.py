import pytest
from django.core.management import call_command

from curation import eventstore, projection
from curation.models import ChangeRequest, Event
from curation.seed import load_seed, seed_records
from evidence.models import Arm, OutcomeValue, Topic, Trial
from tests import documents, factories
from tests.read_models import read_model_state

pytestmark = pytest.mark.django_db


def test_rebuild_reproduces_the_live_read_models(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    factories.create_approved(
        editor, reviewer, "trial", documents.ifm_trial(slug="second", name="Second")
    )
    factories.revise_approved(
        editor, reviewer, "trial", "ifm-2005-02", lambda d: d["arms"].reverse()
    )
    factories.revise_approved(editor, reviewer, "trial", "second", lambda d: d["outcomes"].pop())
    factories.revise_approved(
        editor, reviewer, "trial", "ifm-2005-02", lambda d: d.update(enrollment=615)
    )
    factories.retract_approved(editor, reviewer, "trial", "second", base_version=2, why="duplicate")
    live = read_model_state()
    assert [arm[:3] for arm in live["arms"]] == [
        ("ifm-2005-02", "len", 1),
        ("ifm-2005-02", "pbo", 0),
    ]
    report = projection.rebuild(batch_size=2)  # small batches: streams span batches
    assert report.events == Event.objects.count() == 8
    assert read_model_state() == live


def test_read_model_comparison_notices_a_difference(editor, reviewer):
    factories.seed_trial(editor, reviewer)
    live = read_model_state()
    OutcomeValue.objects.filter(arm__key="len", outcome__key="pfs").update(value=99)
    assert read_model_state() != live
    projection.rebuild()
    assert read_model_state() == live


def test_rebuild_command_reports_the_replay(editor, reviewer, capsys):
    factories.seed_trial(editor, reviewer)
    Arm.objects.all().delete()
    call_command("rebuild_projections")
    assert "Replayed 3 events into 3 records" in capsys.readouterr().out
    assert Arm.objects.count() == 2


def test_seed_loads_through_the_pipeline_once(capsys):
    report = load_seed()
    expected = len(seed_records())
    assert len(report.created) == expected and not report.skipped
    assert Trial.objects.count() == 10 and Topic.objects.count() == 1
    assert (
        Event.objects.count() == ChangeRequest.objects.filter(status="approved").count() == expected
    )
    event = Event.objects.filter(stream_type="trial").first()
    assert (event.proposer.username, event.approver.username) == ("seed-editor", "seed-reviewer")
    assert eventstore.verify_chain().ok
    again = load_seed()
    assert not again.created and len(again.skipped) == expected
    assert Event.objects.count() == expected
    live = read_model_state()
    projection.rebuild()
    assert read_model_state() == live


def test_seed_trial_numbers_survive_projection():
    load_seed()
    calgb = Trial.objects.get(slug="calgb-100104")
    values = {
        (v.outcome.key, v.arm.key): (v.value, v.missing)
        for v in OutcomeValue.objects.filter(outcome__trial=calgb).select_related("outcome", "arm")
    }
    assert (None, "not_reached") in values.values() and (76, "") in values.values()
    assert calgb.registry_ids_text == "NCT00114101"


def test_seed_never_overwrites_editorial_changes(editor, reviewer):
    load_seed()
    factories.revise_approved(
        editor,
        reviewer,
        "intervention",
        "lenalidomide",
        lambda d: d.update(description="Edited by an editor."),
    )
    load_seed()
    from evidence.models import Intervention

    assert (
        Intervention.objects.get(slug="lenalidomide").document["description"]
        == "Edited by an editor."
    )


def test_replay_refuses_a_stream_with_a_version_gap(editor, reviewer):
    from curation.projection import ReplayError
    from tests.curation.test_eventstore import _tamper

    factories.seed_trial(editor, reviewer)
    factories.revise_approved(
        editor, reviewer, "trial", "ifm-2005-02", lambda d: d.update(enrollment=615)
    )
    last = Event.objects.order_by("-position").first()
    _tamper("UPDATE curation_event SET version = 5 WHERE position = %s", [last.position])
    with pytest.raises(ReplayError, match=f"event {last.position}: trial .* version 5, expected 2"):
        projection.rebuild()
    assert Trial.objects.get().version == 2  # the failed replay rolled back


def _read_model_schema():
    """Every index and constraint definition on the read-model tables (PostgreSQL)."""
    from django.db import connection

    tables = [model._meta.db_table for model in projection.ALL_READ_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        constraints = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s)",
            [tables],
        )
        indexes = sorted(cursor.fetchall())
    return constraints, indexes


def test_rebuild_restores_every_index_and_constraint(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    before = _read_model_schema()
    assert any("FOREIGN KEY" in c[2] and "DEFERRABLE" in c[2] for c in before[0])
    assert any("UNIQUE" in c[2] for c in before[0])
    projection.rebuild()
    assert _read_model_schema() == before
    # The restored constraints are enforced again.
    from django.db import IntegrityError, transaction

    arm = Arm.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Arm.objects.create(trial_id=arm.trial_id, key=arm.key, order=9, label="dup", role="control")
