"""Published evidence: lists, filters, search, detail, as_of and history."""

from __future__ import annotations

import pytest

from tests.factories import retract_approved, revise_approved

from .conftest import revise_payload

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def test_trial_list_is_paginated_and_public(anon_client, synthetic_records):
    response = anon_client.get("/api/v1/trials/", {"limit": 1})
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [item["slug"] for item in body["results"]] == ["other-trial"]
    assert body["next"].endswith("limit=1&offset=1")
    first = body["results"][0]
    assert first["version"] == 1 and first["record_type"] == "trial"
    assert "document" not in first


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"topic": "synthetic-topic"}, ["synthetic-trial"]),
        ({"intervention": "testamide"}, ["synthetic-trial"]),
        ({"setting": "transplant_ineligible"}, ["other-trial"]),
        ({"phase": "3"}, ["synthetic-trial"]),
        ({"registry_id": "nct99999901"}, ["synthetic-trial"]),
        ({"registry_id": "ISRCTN0000002"}, ["other-trial"]),
        ({"citation": "synthetic-2020"}, ["synthetic-trial"]),
        ({"search": "other"}, ["other-trial"]),
        ({"topic": "no-such-topic"}, []),
    ],
)
def test_trial_filters(anon_client, synthetic_records, query, expected):
    assert slugs(anon_client.get("/api/v1/trials/", query)) == expected


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("/api/v1/interventions/", {"trial": "synthetic-trial"}, ["testamide"]),
        ("/api/v1/interventions/", {"topic": "synthetic-topic"}, ["testamide"]),
        ("/api/v1/interventions/", {"search": "testa"}, ["testamide"]),
        ("/api/v1/citations/", {"trial": "synthetic-trial"}, ["synthetic-2020"]),
        ("/api/v1/citations/", {"year": "2020"}, ["synthetic-2020"]),
        ("/api/v1/citations/", {"year": "2021"}, []),
        ("/api/v1/topics/", {"trial": "synthetic-trial"}, ["synthetic-topic"]),
        ("/api/v1/topics/", {"trial": "other-trial"}, []),
    ],
)
def test_other_lists_filter(anon_client, synthetic_records, url, query, expected):
    assert slugs(anon_client.get(url, query)) == expected


@pytest.mark.parametrize(
    ("query", "path"),
    [({"setting": "on_the_moon"}, "setting"), ({"phase": "7"}, "phase")],
)
def test_bad_filter_value_is_400_naming_the_parameter(anon_client, synthetic_records, query, path):
    response = anon_client.get("/api/v1/trials/", query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert [e["path"] for e in error["errors"]] == [path]


def test_detail_is_document_plus_version(anon_client, synthetic_records):
    response = anon_client.get("/api/v1/trials/synthetic-trial/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["slug"] == "synthetic-trial"
    assert body["position"] == synthetic_records["trial"].position
    assert body["document"]["outcomes"][0]["values"][0]["value"] == 30
    assert body["approved_at"]


def test_unknown_record_is_404_in_the_error_shape(anon_client, synthetic_records):
    response = anon_client.get("/api/v1/trials/nope/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "nope" in response.json()["error"]["message"]


@pytest.fixture
def revised(synthetic_records, editor, reviewer):
    """The synthetic trial revised once: version 2 has a new summary."""
    first = synthetic_records["trial"]
    second = revise_approved(
        editor,
        reviewer,
        "trial",
        "synthetic-trial",
        lambda d: d.update(summary="Revised."),
        why="test data",
    )
    return first, second


def test_as_of_position(anon_client, revised):
    first, second = revised
    url = "/api/v1/trials/synthetic-trial/"
    old = anon_client.get(url, {"as_of": str(second.position - 1)}).json()
    assert old["version"] == 1 and old["document"]["summary"] == "A synthetic trial for tests."
    new = anon_client.get(url, {"as_of": str(second.position)}).json()
    assert new["version"] == 2 and new["document"]["summary"] == "Revised."
    assert anon_client.get(url, {"as_of": str(first.position - 1)}).status_code == 404


def test_as_of_time(anon_client, revised):
    first, second = revised
    url = "/api/v1/trials/synthetic-trial/"
    between = first.recorded_at + (second.recorded_at - first.recorded_at) / 2
    response = anon_client.get(url, {"as_of": between.isoformat()})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    naive_later = second.recorded_at.replace(tzinfo=None).isoformat()
    assert anon_client.get(url, {"as_of": naive_later}).json()["version"] == 2
    before = first.recorded_at.replace(year=2000).isoformat()
    response = anon_client.get(url, {"as_of": before})
    assert response.status_code == 404
    assert "did not exist yet" in response.json()["error"]["message"]


@pytest.mark.parametrize("as_of", ["yesterday", "-3", "2024-13-45T00:00:00", ""])
def test_as_of_unparsable_is_400(anon_client, synthetic_records, as_of):
    response = anon_client.get("/api/v1/trials/synthetic-trial/", {"as_of": as_of})
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["path"] == "as_of"


def test_as_of_reads_a_retracted_record(anon_client, synthetic_records, editor, reviewer):
    event = retract_approved(
        editor, reviewer, "topic", "synthetic-topic", base_version=1, why="withdrawn"
    )
    assert anon_client.get("/api/v1/topics/synthetic-topic/").status_code == 404
    past = anon_client.get("/api/v1/topics/synthetic-topic/", {"as_of": event.position - 1})
    assert past.json()["retracted"] is False and past.json()["document"]["title"]
    now = anon_client.get("/api/v1/topics/synthetic-topic/", {"as_of": event.position})
    assert now.json()["retracted"] is True and now.json()["document"] is None


def test_history_lists_versions_with_provenance(anon_client, revised, editor_client):
    response = anon_client.get("/api/v1/trials/synthetic-trial/history/")
    assert response.status_code == 200
    versions = response.json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    latest = versions[-1]
    assert latest["proposer"] == "editor" and latest["approver"] == "reviewer"
    assert latest["type"] == "revised" and latest["rationale"] == "test data"
    assert latest["changed_fields"] == ["summary"]
    assert latest["changes"][0] == {
        "path": "summary",
        "label": "summary",
        "old": "A synthetic trial for tests.",
        "new": "Revised.",
    }
    assert latest["change_request"] == revised[1].change_request_id
    assert latest["recorded_at"] and latest["hash"]
    assert anon_client.get("/api/v1/trials/nope/history/").status_code == 404


def test_detail_version_is_what_a_proposal_is_based_on(editor_client, synthetic_records):
    record = editor_client.get("/api/v1/trials/synthetic-trial/").json()
    record["document"]["summary"] = "Changed via the API."
    response = editor_client.post(
        "/api/v1/change-requests/",
        revise_payload(record["document"], record["version"]),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "submitted"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/trials/a%00b/", 404),
        ("/api/v1/trials/a%00b/history/", 404),
        ("/api/v1/trials/Not_A_Slug/", 404),
        ("/api/v1/trials/?search=a%00b", 400),
        ("/api/v1/trials/?topic=a%00b", 400),
        ("/api/v1/trials/synthetic-trial/?as_of=a%00b", 400),
        ("/api/v1/no-such-endpoint/", 404),
    ],
)
def test_odd_input_in_urls_is_a_clear_client_error(anon_client, synthetic_records, url, status):
    # NUL characters cannot even be sent to PostgreSQL: they must stop before any query.
    response = anon_client.get(url)
    assert response.status_code == status, response.content
    if status >= 400:
        assert response.json()["error"]["code"] in ("not_found", "invalid")
