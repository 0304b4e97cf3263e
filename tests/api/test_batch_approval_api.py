"""POST /api/v1/change-requests/approve-batch/: as every role, with bad input, and what it
appends."""

from __future__ import annotations

import pytest

from curation.models import ChangeRequest, Event
from tests import documents

from .conftest import revise_payload, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/change-requests/approve-batch/"


@pytest.fixture
def proposals(synthetic_records, editor_client):
    ids = []
    for field, text in (("notes", "First."), ("summary", "Second.")):
        response = editor_client.post(
            "/api/v1/change-requests/",
            revise_payload(documents.synthetic_trial(**{field: text}), 1),
            format="json",
        )
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    return ids


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("editor", 403), ("reviewer", 200), ("superuser", 200)],
)
def test_approve_batch_as_every_role(proposals, role, status, editor, reviewer, superuser):
    user = {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}
    before = Event.objects.count()
    response = token_client(user[role]).post(URL, {"ids": proposals}, format="json")
    assert response.status_code == status, response.json()
    if status == 200:
        body = response.json()
        assert body["approved"] == proposals
        assert body["positions"] == [before + 1, before + 2]
        assert set(
            ChangeRequest.objects.filter(pk__in=proposals).values_list("status", flat=True)
        ) == {"approved"}
    else:
        assert Event.objects.count() == before
        assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": ["1"]}, "ids"),
        ({"ids": [1.5]}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": [1], "comment": 3}, "comment"),
        ({"ids": [1], "extra": True}, "extra"),
        ({"ids": [2**63]}, "ids"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(reviewer_client, body, field):
    response = reviewer_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in str(response.json()["error"])


def test_a_repeated_id_is_400_naming_its_place(proposals, reviewer_client):
    response = reviewer_client.post(URL, {"ids": [proposals[0], proposals[0]]}, format="json")
    assert response.status_code == 400
    assert "ids[1]" in str(response.json()["error"])


def test_a_refused_request_is_named_and_nothing_is_approved(proposals, reviewer_client):
    reject = reviewer_client.post(
        f"/api/v1/change-requests/{proposals[1]}/reject/", {"comment": "No."}, format="json"
    )
    assert reject.status_code == 200
    before = Event.objects.count()
    response = reviewer_client.post(URL, {"ids": proposals}, format="json")
    assert response.status_code == 409
    assert f"change request {proposals[1]}" in response.json()["error"]["message"]
    assert Event.objects.count() == before
    assert ChangeRequest.objects.get(pk=proposals[0]).status == "submitted"
