"""A log recorded before schema versions existed (``tests/data/event_log_v1.json``, never
regenerated) keeps its hashes, reads in the current schema everywhere, and mixes with events
recorded now: verified, rebuilt, read as of any moment, served and diffed as version 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from curation import eventstore, projection, selectors
from curation.models import Event
from evidence.documents import CURRENT_SCHEMA_VERSION
from evidence.models import Trial
from tests import factories
from tests.conftest import api_token
from tests.read_models import read_model_state

LOG = Path(__file__).resolve().parent.parent / "data" / "event_log_v1.json"


@pytest.fixture
def v1_log(db):
    """The frozen v1 log, projected by a rebuild (a database upgraded to this code)."""
    call_command("loaddata", str(LOG), verbosity=0)
    projection.rebuild()
    return Event.objects.order_by("-position").first().position


def verify(*options: str) -> str:
    out = io.StringIO()
    call_command("verify_events", *options, stdout=out)
    return out.getvalue()


def test_the_v1_log_verifies_and_every_document_upcasts(v1_log):
    assert all("schema_version" not in (e.document or {}) for e in Event.objects.all())
    out = verify("--upcast")
    assert "Event chain intact: 40 events" in out
    # 39 documents of version 1 (the 40th event is a retraction: no document).
    assert "Every document upcasts to the current schema (version 1: 39)" in out


def test_read_models_of_the_v1_log_hold_current_documents(v1_log):
    for trial in Trial.objects.all():
        assert trial.document["schema_version"] == CURRENT_SCHEMA_VERSION
        assert "phases" in trial.document and "phase" not in trial.document
    calgb = Trial.objects.get(slug="calgb-100104")
    os_values = {
        v.arm.key: (v.value, v.missing)
        for v in calgb.outcomes.get(key="os").values.select_related("arm")
    }
    assert os_values == {"lenalidomide": (None, "not_reached"), "placebo": (76, "")}


@pytest.fixture
def mixed_log(v1_log, editor, reviewer):
    """The v1 log with version-2 events on top, projected live as they were approved."""

    def add_iqr(document: dict) -> None:
        outcome = document["outcomes"][0]
        outcome["dispersion"] = {"kind": "interquartile_range"}
        outcome["values"][0].update(low=30, high=60, raw="39", note="Added for the test.")

    factories.revise_approved(editor, reviewer, "trial", "myeloma-xi", add_iqr)
    factories.revise_approved(
        editor, reviewer, "trial", "atlas", lambda d: d.update(phases=["3"], summary="Now v2.")
    )
    return v1_log


def test_a_rebuild_of_a_mixed_log_gives_the_live_read_models(mixed_log):
    live = read_model_state()
    report = projection.rebuild()
    assert report.events == mixed_log + 2
    assert read_model_state() == live
    assert "version 1: 39, version 2: 2" in verify("--upcast")


def test_every_version_of_an_old_record_reads_in_the_current_schema(mixed_log):
    first = selectors.record_as_of("trial", "atlas", position=1_000_000)
    assert first.document["schema_version"] == CURRENT_SCHEMA_VERSION
    for version in (1, 2, 3):
        record_id = selectors.stream_id_for_slug("trial", "atlas")
        document = selectors.document_at_version("trial", record_id, version)
        assert document["schema_version"] == CURRENT_SCHEMA_VERSION
    old = Event.objects.get(stream_type="trial", slug="atlas", version=1)
    as_of = selectors.record_as_of("trial", "atlas", position=old.position)
    assert as_of.version == 1 and as_of.document == old.upcast_document


def test_the_api_serves_old_versions_and_old_changes_in_the_current_schema(client, mixed_log):
    old = Event.objects.get(stream_type="trial", slug="myeloma-xi", version=2)  # a v1 revision
    response = client.get(reverse("trial-detail", args=["myeloma-xi"]), {"as_of": old.position})
    assert response.status_code == 200, response.content
    document = response.json()["document"]
    assert document["schema_version"] == CURRENT_SCHEMA_VERSION
    assert document["outcomes"][0]["title"] and "label" not in document["outcomes"][0]
    feed = client.get(reverse("event-list"), {"after": old.position - 1, "limit": 1}).json()
    change = feed["results"][0]["changes"][0]
    assert change["path"] == "outcomes[key=pfs].values[arm=lenalidomide].note"
    # Labelled from the upcast document: the outcome's title (v1's label), the arm's label.
    assert change["label"].startswith("outcomes “average duration of survival")
    assert "values “Revlimid maintenance” › note" in change["label"]


def test_the_diff_of_a_v1_base_and_a_v2_proposal_shows_only_real_changes(client, v1_log, editor):
    live = selectors.live_record("trial", "calgb-100104")
    document = dict(live.document, summary="A new summary.")
    response = client.post(
        reverse("change-request-list"),
        {
            "record_type": "trial",
            "action": "revise",
            "record": "calgb-100104",
            "base_version": live.version,
            "document": document,
            "rationale": "Summary.",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token(editor)}",
    )
    assert response.status_code == 201, response.content
    assert [change["path"] for change in response.json()["diff"]] == ["summary"]


def test_an_old_event_that_cannot_be_upcast_is_named(v1_log, editor, reviewer):
    # Recorded directly, as an old version of the code could have: two arms' confidence
    # intervals of different levels, which version 2 (one level per outcome) cannot hold.
    document = Event.objects.get(stream_type="trial", slug="myeloma-xi", version=2).document
    values = document["outcomes"][0]["values"]
    values[0].update(ci_low=30, ci_high=50, ci_level=95)
    values[1].update(ci_low=10, ci_high=30, ci_level=90)
    event = eventstore.append(
        eventstore.NewEvent(
            stream_type="trial",
            stream_id=Event.objects.get(slug="myeloma-xi", version=2).stream_id,
            slug="myeloma-xi",
            type=Event.Type.REVISED,
            document=document,
            changes=[],
            proposer_id=editor.pk,
            approver_id=reviewer.pk,
            change_request_id=None,
            rationale="recorded by an old version",
        ),
        expected_version=2,
    )
    assert "Event chain intact" in verify(), "the chain itself is sound"
    with pytest.raises(CommandError) as caught:
        verify("--upcast")
    message = str(caught.value)
    assert f"Event at position {event.position} cannot be upcast" in message
    assert "trial 'myeloma-xi' version 3" in message and "different levels (90, 95)" in message
