"""Upgrading a database of the v1 code: the migrations upcast what the read models and the
change requests hold, so the upgraded database reads as a fresh projection of its log would.

The database is taken back to the migrations of the v1 code, given the frozen v1 log and the
read models the v1 projection made of it (written here with the old tables, as the v1 code
wrote them), then migrated forward.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.serializers import python as python_serializer
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from curation import projection
from curation.models import ChangeRequest, Event
from evidence import models as ev
from tests.read_models import read_model_state

LOG = Path(__file__).resolve().parent.parent / "data" / "event_log_v1.json"
V1_MIGRATIONS = [("evidence", "0001_initial"), ("curation", "0004_change_request_invariants")]


def project_v1_trials(apps) -> None:
    """The trial rows the v1 projection wrote for each trial's last event (old columns)."""
    Trial, Arm, Outcome = (apps.get_model("evidence", n) for n in ("Trial", "Arm", "Outcome"))
    OutcomeValue = apps.get_model("evidence", "OutcomeValue")
    Comparison = apps.get_model("evidence", "Comparison")
    heads: dict = {}
    for event in Event.objects.filter(stream_type="trial").order_by("position"):
        heads[event.stream_id] = event
    for event in heads.values():
        doc = event.document
        trial = Trial.objects.create(
            id=event.stream_id,
            slug=event.slug,
            version=event.version,
            position=event.position,
            document=doc,
            approved_at=event.recorded_at,
            name=doc["name"],
            phase=doc["phase"] or "",
            setting=doc["setting"],
            enrollment=doc["enrollment"],
            registry_ids=doc["registry_ids"],
            registry_ids_text=" ".join(r["id"] for r in doc["registry_ids"]),
        )
        arms = {
            arm["key"]: Arm.objects.create(
                trial=trial,
                key=arm["key"],
                order=i,
                label=arm["label"],
                role=arm["role"],
                n=arm["n"],
            )
            for i, arm in enumerate(doc["arms"])
        }
        for i, outcome in enumerate(doc["outcomes"]):
            row = Outcome.objects.create(
                trial=trial,
                key=outcome["key"],
                order=i,
                endpoint=outcome["endpoint"],
                label=outcome["label"],
                measure=outcome["measure"],
                unit=outcome["unit"],
                timepoint_months=outcome["timepoint_months"],
                subgroup=outcome["subgroup"] or "",
                treatment_phase=outcome["treatment_phase"] or "",
            )
            for value in outcome["values"]:
                OutcomeValue.objects.create(
                    outcome=row,
                    arm=arms[value["arm"]],
                    value=value["value"],
                    not_reached=value["not_reached"],
                    qualifier=value["qualifier"] or "",
                    ci_low=value["ci_low"],
                    ci_high=value["ci_high"],
                )
            for comparison in outcome["comparisons"]:
                Comparison.objects.create(
                    outcome=row,
                    key=comparison["key"],
                    kind=comparison["kind"],
                    arm=arms[comparison["arm"]],
                    reference_arm=arms[comparison["reference_arm"]],
                    estimate=comparison["estimate"],
                    unit=comparison["unit"],
                    ci_low=comparison["ci_low"],
                    ci_high=comparison["ci_high"],
                    p_value=comparison["p_value"],
                    significant=comparison["significant"],
                )


def trial_state() -> dict:
    """The trial read models by natural key (``read_model_state``'s trial tables)."""
    state = read_model_state()
    return {name: state[name] for name in ("trial", "arms", "outcomes", "values", "comparisons")}


@pytest.mark.django_db(transaction=True)
def test_a_v1_database_migrates_to_what_a_projection_of_its_log_gives():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(V1_MIGRATIONS)
    try:
        old_apps = executor.loader.project_state(V1_MIGRATIONS).apps
        # The log is loaded as the models were then: today's models have columns (a note
        # for reviewers, claims) that a v1 database does not.
        with mock.patch.object(python_serializer, "apps", old_apps):
            call_command("loaddata", str(LOG), verbosity=0)
        project_v1_trials(old_apps)
        assert any(
            cr.document and "schema_version" not in cr.document
            for cr in old_apps.get_model("curation", "ChangeRequest").objects.all()
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    migrated = trial_state()
    assert all(t.document["schema_version"] == 2 for t in ev.Trial.objects.all())
    calgb_os = ev.OutcomeValue.objects.filter(
        outcome__trial__slug="calgb-100104", outcome__key="os"
    )
    assert sorted((v.value or 0, v.missing) for v in calgb_os) == [(0, "not_reached"), (76, "")]
    for cr in ChangeRequest.objects.all():
        for document in (cr.document, cr.base_document):
            assert document is None or document["schema_version"] == 2, cr.pk

    # The workflow triggers, lifted for the upcast, are back.
    approved = ChangeRequest.objects.filter(status="approved").first()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        ChangeRequest.objects.filter(pk=approved.pk).update(document={"slug": "changed"})

    # A fresh projection of the same log gives the same rows.
    ev.Trial.objects.all().delete()
    projection.rebuild()
    assert trial_state() == migrated
