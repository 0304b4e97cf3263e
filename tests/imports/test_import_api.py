"""POST /api/v1/imports/ctgov/ for every role, and with bad input: each refusal is the API's
error shape naming the record and path, and writes nothing."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.conftest import api_token

from .helpers import row_counts
from .studies import REMDESIVIR, REMDESIVIR_MAP, real, small_study

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/ctgov/"


def client_for(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def users(editor, reviewer, superuser):
    return {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}


@pytest.mark.parametrize(
    "role, expected", [("anonymous", 401), ("editor", 201), ("reviewer", 403), ("superuser", 201)]
)
@pytest.mark.parametrize("shape", ["nct_id", "study", "bare study"])
def test_every_role(users, registry, role, expected, shape):
    registry.add("NCT00000001", small_study())
    body = {
        "nct_id": {"nct_id": "NCT00000001"},
        "study": {"study": small_study(), "submit": True},
        "bare study": small_study(),
    }[shape]
    before = row_counts()
    response = client_for(users[role]).post(URL, body, format="json")
    assert response.status_code == expected, response.content
    if expected != 201:
        assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")
        assert row_counts() == before
        assert registry.requests == []
        return
    data = response.json()
    assert data["record"] == "nct00000001" and data["action"] == "create"
    assert data["author"] == users[role].username
    assert data["status"] == ("submitted" if shape == "study" else "draft")
    assert data["import"]["registry_id"] == "NCT00000001"
    assert data["import"]["last_updated"] == "2024-01-15"
    assert len(data["import"]["sha256"]) == 64
    assert any("setting" in w["message"] for w in data["import"]["warnings"])


def test_the_real_study_with_its_group_map(editor):
    body = {"study": real(REMDESIVIR), "group_map": REMDESIVIR_MAP}
    response = client_for(editor).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    outcomes = response.json()["document"]["outcomes"]
    assert any(o["title"] == "Time (Days) to Discharge From Hospital" for o in outcomes)


def test_unmapped_groups_are_listed(editor):
    before = row_counts()
    response = client_for(editor).post(URL, {"study": real(REMDESIVIR)}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unmapped_groups"
    (problem,) = error["errors"]
    assert problem["path"] == "/resultsSection/outcomeMeasuresModule/outcomeMeasures/0/groups/4"
    assert "OG004 “RDV,Cohort 5" in problem["message"] and "arm-5" in problem["message"]
    assert row_counts() == before


@pytest.mark.parametrize(
    "body, status, code, path",
    [
        ({"study": [1, 2]}, 400, "not_a_study", ""),
        (
            {"study": {"protocolSection": {}}},
            400,
            "not_a_study",
            "/protocolSection/identificationModule/nctId",
        ),
        ({"nct_id": "NCT1"}, 400, "invalid", "nct_id"),
        ({"nct_id": 12345678}, 400, "invalid", "nct_id"),
        ({}, 400, "invalid", ""),
        ({"nct_id": "NCT00000001", "study": {}}, 400, "invalid", ""),
        ({"nct_id": "NCT00000001", "extra": 1}, 400, "invalid", "extra"),
        ({"nct_id": "NCT00000001", "submit": "yes"}, 400, "invalid", "submit"),
        ({"nct_id": "NCT00000001", "group_map": {"OG000": 3}}, 400, "invalid", "group_map.OG000"),
        (
            {"nct_id": "NCT00000001", "group_map": {"OG009": "arm-1"}},
            400,
            "not_a_study",
            "group_map.OG009",
        ),
        ({"nct_id": "NCT09999999"}, 404, "not_found", None),
    ],
)
def test_bad_input(editor, registry, body, status, code, path):
    registry.add("NCT00000001", small_study())
    before = row_counts()
    response = client_for(editor).post(URL, body, format="json")
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if path is not None:
        assert path in [e["path"] for e in error["errors"]], error
    assert row_counts() == before


def test_not_json(editor):
    response = client_for(editor).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_over_the_body_limit(editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    before = row_counts()
    response = client_for(editor).post(
        URL, json.dumps({"study": real(REMDESIVIR)}), content_type="application/json"
    )
    assert response.status_code == 413
    assert row_counts() == before


def test_over_the_import_limit(editor, settings):
    settings.IMPORT_MAX_BYTES = 10_000
    response = client_for(editor).post(URL, {"study": real(REMDESIVIR)}, format="json")
    assert response.status_code == 413
    assert "over the limit of 10000 bytes" in response.json()["error"]["message"]


def test_registry_timeout_and_offline(editor, registry, settings):
    registry.add("NCT00000001", small_study())
    registry.delay = 0.4
    settings.IMPORT_FETCH_TIMEOUT = 0.1
    settings.IMPORT_FETCH_ATTEMPTS = 1
    before = row_counts()
    response = client_for(editor).post(URL, {"nct_id": "NCT00000001"}, format="json")
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "fetch_failed"
    assert (
        "ClinicalTrials.gov study NCT00000001" in error["message"]
        and "timed out" in error["message"]
    )
    registry.stop()
    response = client_for(editor).post(URL, {"nct_id": "NCT00000001"}, format="json")
    assert (
        response.status_code == 502 and "could not connect" in response.json()["error"]["message"]
    )
    assert row_counts() == before


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods(editor, method):
    response = getattr(client_for(editor), method)(URL)
    assert response.status_code == 405
