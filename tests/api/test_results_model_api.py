"""The general results model through the API: the three shapes of the issue proposed,
approved and served as schema-2 documents; bad results refused by path; the schema says v2."""

from __future__ import annotations

import pytest

from tests.evidence.test_results_model import (
    mean_with_sd,
    median_with_iqr_not_reached,
    one_sided_ci_with_p,
    trial,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/change-requests/"


def create_payload(document: dict) -> dict:
    return {
        "record_type": "trial",
        "action": "create",
        "document": document,
        "rationale": "Entered from the registry record.",
    }


def test_the_three_shapes_are_proposed_approved_and_served(
    editor_client, reviewer_client, anon_client
):
    document = trial([mean_with_sd(), median_with_iqr_not_reached(), one_sided_ci_with_p()])
    response = editor_client.post(URL, create_payload(document), format="json")
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    approved = reviewer_client.post(f"{URL}{request_id}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content

    served = anon_client.get("/api/v1/trials/general-trial/").json()["document"]
    assert served["schema_version"] == 2
    mean, median, hazard = served["outcomes"]
    assert (mean["values"][0]["value"], mean["values"][0]["spread"]) == (12.4, 3.1)
    assert mean["dispersion"] == {"kind": "standard_deviation", "level": None, "sides": None}
    assert median["values"][1]["missing"] == "not_reached" and median["values"][1]["raw"] == "NA"
    comparison = hazard["comparisons"][0]
    assert (comparison["ci_sides"], comparison["p_value_text"]) == (1, "<0.001")
    summary = anon_client.get("/api/v1/trials/", {"phase": "3"}).json()
    assert summary["count"] == 0, "the trial states no phase"


def test_a_v1_client_still_proposes_and_reads_back_version_2(editor_client, reviewer_client):
    v1_document = {
        "slug": "old-client",
        "name": "Old client",
        "phase": "3",
        "setting": "relapsed",
        "population": "Adults.",
        "arms": [{"key": "a", "label": "A", "role": "experimental"}],
        "outcomes": [
            {
                "key": "os",
                "endpoint": "os",
                "label": "Overall survival",
                "measure": "median",
                "unit": "months",
                "values": [{"arm": "a", "not_reached": True}],
            }
        ],
    }
    response = editor_client.post(URL, create_payload(v1_document), format="json")
    assert response.status_code == 201, response.content
    document = response.json()["document"]
    assert document["schema_version"] == 2 and document["phases"] == ["3"]
    assert document["outcomes"][0]["values"][0]["missing"] == "not_reached"


def test_bad_results_are_400_with_their_paths(editor_client):
    outcome = mean_with_sd()
    outcome["values"][0]["missing"] = "not_estimable"
    outcome["values"][1]["spread"] = -1
    response = editor_client.post(URL, create_payload(trial([outcome])), format="json")
    assert response.status_code == 400
    paths = {error["path"] for error in response.json()["error"]["errors"]}
    assert {
        "document.outcomes[0].values[0].missing",
        "document.outcomes[0].values[1].spread",
    } <= paths


@pytest.mark.parametrize("client_name,status", [("anon_client", 401), ("reviewer_client", 403)])
def test_only_editors_propose_results(request, client_name, status):
    client = request.getfixturevalue(client_name)
    response = client.post(URL, create_payload(trial([mean_with_sd()])), format="json")
    assert response.status_code == status


def test_the_openapi_schema_describes_schema_version_2(anon_client):
    schema = anon_client.get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    version = components["TrialDocument"]["properties"]["schema_version"]
    assert version.get("const") == 2 or version.get("enum") == [2]
    assert set(components["ArmValue"]["properties"]) >= {"missing", "raw", "spread", "source"}
    assert "not_estimable" in str(components["ArmValue"]["properties"]["missing"])
    assert "phases" in components["TrialSummary"]["properties"]
