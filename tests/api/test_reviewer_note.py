"""The note for reviewers: carried by the API and the services, never published.

The rationale is published in the audit trail; the reviewer note is not: no event carries it,
so no snapshot, feed or history can.
"""

from __future__ import annotations

import json

import pytest

from curation import services
from curation.errors import ValidationFailed
from curation.models import ChangeRequest, Event
from tests import documents

from .conftest import revise_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-requests/"
NOTE = "Checked against the supplementary appendix, table S3; the abstract rounds it."


def test_a_proposal_carries_its_reviewer_note_and_the_event_does_not(
    synthetic_records, editor_client, reviewer_client
):
    payload = revise_payload(documents.synthetic_trial(summary="New summary."), 1)
    response = editor_client.post(URL, {**payload, "reviewer_note": NOTE}, format="json")
    assert response.status_code == 201, response.content
    proposal = response.json()
    assert proposal["reviewer_note"] == NOTE
    assert ChangeRequest.objects.get(pk=proposal["id"]).reviewer_note == NOTE
    detail = reviewer_client.get(f"{URL}{proposal['id']}/").json()
    assert detail["reviewer_note"] == NOTE and detail["rationale"] == payload["rationale"]

    approved = reviewer_client.post(f"{URL}{proposal['id']}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    event = Event.objects.get(change_request_id=proposal["id"])
    assert NOTE not in json.dumps(event.document) and event.rationale == payload["rationale"]
    feed = reviewer_client.get("/api/v1/events/?after=0").content.decode()
    assert payload["rationale"] in feed and NOTE not in feed


def test_the_author_edits_the_note_of_a_draft(synthetic_records, editor_client):
    payload = revise_payload(documents.synthetic_trial(summary="Draft."), 1, draft=True)
    draft = editor_client.post(URL, payload, format="json").json()
    assert draft["reviewer_note"] == ""
    url = f"{URL}{draft['id']}/"
    response = editor_client.patch(url, {"reviewer_note": "  " + NOTE + "\r\n"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["reviewer_note"] == NOTE  # trimmed, as the rationale is


def test_a_bad_note_is_refused_with_its_path(synthetic_records, editor_client):
    payload = revise_payload(documents.synthetic_trial(summary="New summary."), 1)
    response = editor_client.post(URL, {**payload, "reviewer_note": "bad\x00note"}, format="json")
    assert response.status_code == 400
    assert "reviewer_note" in response.content.decode()
    response = editor_client.post(URL, {**payload, "reviewer_note": 42}, format="json")
    assert response.status_code == 400
    assert "reviewer_note" in response.content.decode()
    assert not ChangeRequest.objects.filter(status="submitted").exists()


def test_the_services_refuse_a_control_character_in_the_note(synthetic_records, editor):
    with pytest.raises(ValidationFailed) as refused:
        services.propose(
            user=editor,
            record_type="trial",
            action="revise",
            record="synthetic-trial",
            base_version=1,
            document=documents.synthetic_trial(summary="New."),
            rationale="The article says so.",
            reviewer_note="a\x07bell",
        )
    assert refused.value.errors[0]["path"] == "reviewer_note"


def test_a_consumer_cannot_read_the_note(synthetic_records, editor_client, client, db):
    from tests.conftest import api_token, make_user

    payload = revise_payload(documents.synthetic_trial(summary="New summary."), 1)
    proposal = editor_client.post(URL, {**payload, "reviewer_note": NOTE}, format="json").json()
    consumer = make_user("consumer", None)
    token = api_token(consumer)
    response = client.get(f"{URL}{proposal['id']}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 403
    assert NOTE not in response.content.decode()
