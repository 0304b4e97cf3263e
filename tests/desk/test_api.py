"""The reviewer's desk through the API: claim and unclaim, claimed_by and due_at in the
detail, the queue's filters, and one's notification settings, as every role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from curation import services
from curation.models import ChangeRequest, Notification
from tests.api.conftest import token_client

from .conftest import propose

pytestmark = pytest.mark.django_db
CR = "/api/v1/change-requests/"
PREFS = "/api/v1/notification-preferences/"


@pytest.fixture
def clients(people):
    return {name: token_client(user) for name, user in people.items()} | {
        "anonymous": token_client(None)
    }


def test_claim_take_over_and_unclaim_through_the_api(people, clients, submitted, settings):
    settings.REVIEW_WINDOW_DAYS = 7
    url = f"{CR}{submitted.pk}/"
    detail = clients["reviewer"].get(url).json()
    assert detail["claimed_by"] is None
    assert detail["due_at"] is not None and detail["overdue"] is False
    assert 0 <= detail["waiting_seconds"] < 60

    response = clients["reviewer"].post(url + "claim/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["claimed_by"] == "reviewer"
    assert response.json()["claimed_at"] is not None

    response = clients["reviewer2"].post(url + "claim/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claimed"
    assert "reviewer has this change request in review" in response.json()["error"]["message"]
    # Nor may reviewer2 decide on it; its allowed actions say so.
    assert clients["reviewer2"].get(url).json()["allowed_actions"] == []
    response = clients["reviewer2"].post(url + "approve/", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "claimed"

    response = clients["reviewer2"].post(url + "claim/", {"take_over": True}, format="json")
    assert response.status_code == 200 and response.json()["claimed_by"] == "reviewer2"
    assert Notification.objects.get(kind="taken_over").recipient == people["reviewer"]

    response = clients["reviewer"].post(url + "unclaim/", {}, format="json")
    assert response.status_code == 403
    response = clients["reviewer2"].post(url + "unclaim/", format="json")
    assert response.status_code == 200 and response.json()["claimed_by"] is None


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"take_over": "yes"}, "take_over", "valid boolean"),
        ({"take_over": 1}, "take_over", "valid boolean"),
        ({"reviewer": "x"}, "reviewer", "unknown field"),
    ],
)
def test_a_bad_claim_body_is_a_400_naming_the_field(clients, submitted, body, path, message):
    response = clients["reviewer"].post(f"{CR}{submitted.pk}/claim/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["errors"][0]["path"] == path and message in error["errors"][0]["message"]
    submitted.refresh_from_db()
    assert submitted.claimed_by is None


def test_claim_refusals_by_role_and_state(people, clients, submitted):
    url = f"{CR}{submitted.pk}/claim/"
    assert clients["anonymous"].post(url, {}, format="json").status_code == 401
    assert clients["consumer"].post(url, {}, format="json").status_code == 403
    response = clients["editor"].post(url, {}, format="json")
    assert response.status_code == 403
    services.withdraw(submitted, user=people["editor"])
    response = clients["reviewer"].post(url, {}, format="json")
    assert response.status_code == 409
    assert "withdrawn cannot be claimed" in response.json()["error"]["message"]
    assert clients["reviewer"].post(f"{CR}999999/claim/", {}, format="json").status_code == 404
    assert clients["reviewer"].post(f"{CR}abc/unclaim/", {}, format="json").status_code == 404
    assert clients["consumer"].post(f"{CR}{submitted.pk}/unclaim/").status_code == 403


def test_the_queue_filters_by_claim_and_overdue(people, clients, settings):
    settings.REVIEW_WINDOW_DAYS = 7
    late = propose(people["editor"], "late-2020")
    fresh = propose(people["editor"], "fresh-2020")
    ChangeRequest.objects.filter(pk=late.pk).update(submitted_at=timezone.now() - timedelta(days=9))
    services.claim(fresh, user=people["reviewer"])

    def ids(query):
        response = clients["reviewer"].get(CR + query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("?overdue=true") == [late.pk]
    assert ids("?overdue=false") == [fresh.pk]
    assert ids("?claimed_by=reviewer") == [fresh.pk]
    assert ids("?unclaimed=true") == [late.pk]
    row = clients["reviewer"].get(f"{CR}{late.pk}/").json()
    assert row["overdue"] is True and row["waiting_seconds"] >= 9 * 86400


def test_notification_settings_through_the_api(people, clients):
    response = clients["editor"].get(PREFS)
    assert response.status_code == 200
    kinds = {p["kind"]: p for p in response.json()["preferences"]}
    assert set(kinds) >= {"submitted", "approved", "rejected", "changes_requested"}
    assert kinds["approved"]["enabled"] is True and kinds["approved"]["who"] == "its author"

    response = clients["editor"].patch(PREFS, {"preferences": {"approved": False}}, format="json")
    assert response.status_code == 200
    assert {p["kind"]: p["enabled"] for p in response.json()["preferences"]}["approved"] is False
    cr = propose(people["editor"])
    services.approve(cr, user=people["reviewer"])
    assert not Notification.objects.filter(kind="approved").exists()


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"preferences": {"comment": False}}, "preferences.comment", "no notification 'comment'"),
        ({"preferences": {"approved": "off"}}, "preferences.approved", "true or false"),
        ({"preferences": {}}, "preferences", "name at least one kind"),
        ({"preferences": ["approved"]}, "preferences", ""),
        ({"approved": False}, "approved", "unknown field"),
    ],
)
def test_bad_notification_settings_are_a_400_naming_the_kind(clients, body, path, message):
    response = clients["reviewer"].patch(PREFS, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert any(e["path"] == path and message in e["message"] for e in error["errors"]), error


def test_notification_settings_are_for_editors_and_reviewers(clients):
    assert clients["anonymous"].get(PREFS).status_code == 401
    assert clients["consumer"].get(PREFS).status_code == 403
    body = {"preferences": {"approved": False}}
    assert clients["consumer"].patch(PREFS, body, format="json").status_code == 403
