"""The FHIR API's reads, CapabilityStatement and errors (/fhir/R5/), as anonymous and
logged-in users: published bytes and ETags, content negotiation, read-only, OperationOutcomes.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import orjson
import pytest
from fhir.resources import get_fhir_model_class
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from publishing import services
from publishing.fhir_api.capability import INTERACTIONS
from tests import documents
from tests.factories import create_approved, retract_approved
from tests.publishing.published import published_bytes, published_manifest

pytestmark = pytest.mark.django_db
BASE = "/fhir/R5"
FHIR_JSON = "application/fhir+json"


def outcome(response, status: int, code: str) -> str:
    """Check an OperationOutcome error answer; returns its diagnostics."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = orjson.loads(response.content)
    get_fhir_model_class("OperationOutcome").model_validate(body)
    (issue,) = body["issue"]
    assert (issue["severity"], issue["code"]) == ("error", code)
    return issue["diagnostics"]


def resource_types(seq: int) -> set[str]:
    manifest = published_manifest(seq)
    return {
        entry["path"].split("/")[1]
        for entry in manifest["files"]
        if entry["path"].startswith("fhir/") and entry["path"].count("/") == 2
    }


def test_metadata_says_exactly_what_is_served(fhir_client, published_corpus):
    response = fhir_client.get(f"{BASE}/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    statement = orjson.loads(response.content)
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    assert statement["fhirVersion"] == "5.0.0"
    (rest,) = statement["rest"]
    by_type = {resource["type"]: resource for resource in rest["resource"]}
    assert set(by_type) == resource_types(published_corpus.seq)
    for resource in by_type.values():
        assert [i["code"] for i in resource["interaction"]] == list(INTERACTIONS)
    params = {t: [p["name"] for p in r["searchParam"]] for t, r in by_type.items()}
    assert params["ResearchStudy"] == ["_id", "identifier", "url", "_lastUpdated"]
    # Only what each type has: Provenance has neither identifier nor url, a
    # MedicinalProductDefinition no url.
    assert params["Provenance"] == ["_id", "_lastUpdated"]
    assert params["MedicinalProductDefinition"] == ["_id", "identifier", "_lastUpdated"]
    again = fhir_client.get(f"{BASE}/metadata", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_read_serves_the_published_file_with_its_etag(fhir_client, published_corpus):
    seq = published_corpus.seq
    for path in ("fhir/ResearchStudy/trial-one.json", "fhir/Citation/smith-2020.json"):
        url = f"{BASE}/{path.removeprefix('fhir/').removesuffix('.json')}"
        response = fhir_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith(FHIR_JSON)
        assert response.content == published_bytes(seq, path)
        published = fhir_client.get(f"/published/latest/{path}")
        assert response["ETag"] == published["ETag"]
        assert response["X-Snapshot"] == str(seq)
        assert "default-src 'none'" in response["Content-Security-Policy"]
        for tag in (response["ETag"], f"W/{response['ETag']}", f'"other", {response["ETag"]}'):
            cached = fhir_client.get(url, HTTP_IF_NONE_MATCH=tag)
            assert cached.status_code == 304
            assert cached.content == b""
        assert fhir_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
        head = fhir_client.head(url)
        assert head.status_code == 200
        assert head.content == b""
        assert head["Content-Length"] == str(len(response.content))


@pytest.mark.parametrize(
    ("path", "status", "code", "named"),
    [
        ("/Patient/trial-one", 404, "not-supported", "Patient"),
        ("/Patient", 404, "not-supported", "Patient"),
        ("/researchstudy/trial-one", 400, "invalid", "researchstudy"),
        ("/Research%20Study/trial-one", 400, "invalid", "Research Study"),
        ("/ResearchStudy/trial_one", 400, "invalid", "trial_one"),
        ("/ResearchStudy/" + "a" * 65, 400, "invalid", "a" * 65),
        ("/ResearchStudy/%00", 400, "invalid", "not a FHIR id"),
        ("/ResearchStudy/no-such-trial", 404, "not-found", "no-such-trial"),
        ("/ResearchStudy/no-such-trial/_history", 404, "not-found", "no-such-trial"),
        ("/ResearchStudy/trial-one/_history/1/more", 404, "not-found", "/more"),
        ("/", 404, "not-found", "/fhir/R5/"),
        ("/_history", 404, "not-found", "_history"),
        ("/ResearchStudy/trial-one?_summary=true", 400, "not-supported", "_summary"),
        ("/metadata?mode=terminology", 400, "not-supported", "mode"),
    ],
)
def test_bad_requests_answer_an_operation_outcome_naming_the_problem(
    fhir_client, published_corpus, path, status, code, named
):
    assert named in outcome(fhir_client.get(BASE + path), status, code)


def test_the_endpoint_code_system_is_read_searched_and_versioned(fhir_client, published_corpus):
    response = fhir_client.get(f"{BASE}/CodeSystem/endpoint")
    assert response.status_code == 200
    assert response.content == published_bytes(
        published_corpus.seq, "fhir/CodeSystem/endpoint.json"
    )
    code_system = orjson.loads(response.content)
    get_fhir_model_class("CodeSystem").model_validate(code_system)
    found = orjson.loads(fhir_client.get(f"{BASE}/CodeSystem", {"url": code_system["url"]}).content)
    assert [e["resource"] for e in found["entry"]] == [code_system]
    history = orjson.loads(fhir_client.get(f"{BASE}/CodeSystem/endpoint/_history").content)
    get_fhir_model_class("Bundle").model_validate(history)
    assert [e["resource"] for e in history["entry"]] == [code_system]
    version = code_system["meta"]["versionId"]
    vread = fhir_client.get(f"{BASE}/CodeSystem/endpoint/_history/{version}")
    assert vread.status_code == 200 and orjson.loads(vread.content) == code_system
    study = orjson.loads(fhir_client.get(f"{BASE}/EvidenceVariable/trial-one.pfs").content)
    (coding,) = study["characteristic"][0]["definitionCodeableConcept"]["coding"]
    assert (coding["system"], coding["code"]) == (code_system["url"], "pfs")


def test_a_retracted_record_is_gone_and_an_unknown_id_not_found(
    fhir_client, published_corpus, editor, reviewer
):
    # A second topic, published and then retracted: its resources answer 410 Gone (FHIR's
    # rule for a deleted resource), with an OperationOutcome "deleted"; ids never published
    # stay 404, and the other topic is still served.
    create_approved(editor, reviewer, "topic", documents.drugex_topic("retired-topic"))
    assert services.publish_latest() is not None
    assert fhir_client.get(f"{BASE}/Composition/retired-topic").status_code == 200
    retract_approved(editor, reviewer, "topic", "retired-topic", 1)
    assert services.publish_latest() is not None
    for path in (
        "/Composition/retired-topic",
        "/Composition/retired-topic/_history",
        "/Composition/retired-topic/_history/1",
        "/Provenance/topic.retired-topic.v1",
    ):
        diagnostics = outcome(fhir_client.get(BASE + path), 410, "deleted")
        assert "retracted" in diagnostics
    assert "no-such-topic" in outcome(
        fhir_client.get(f"{BASE}/Composition/no-such-topic"), 404, "not-found"
    )
    assert "retired-topic" in outcome(
        fhir_client.get(f"{BASE}/ResearchStudy/retired-topic"), 404, "not-found"
    )
    assert fhir_client.get(f"{BASE}/Composition/maintenance").status_code == 200


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("", ""),
        ("?_format=json", ""),
        ("?_format=application/fhir%2Bjson", ""),
        ("?_format=application/fhir+json", ""),  # "+" decodes to a space: still understood
        ("?_format=application/json", "text/html"),  # _format overrides Accept
        ("", FHIR_JSON),
        ("", "application/json"),
        ("", "text/html, */*;q=0.1"),
        ("", "application/fhir+json; fhirVersion=5.0"),
        ("", "text/html, application/fhir+json;q=0.5"),
    ],
)
def test_json_formats_are_accepted(fhir_client, published_corpus, query, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = fhir_client.get(f"{BASE}/ResearchStudy/trial-one{query}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)


@pytest.mark.parametrize(
    ("query", "accept", "named"),
    [
        ("?_format=xml", "", "xml"),
        ("?_format=application/fhir%2Bxml", "", "application/fhir+xml"),
        ("?_format=ttl", FHIR_JSON, "ttl"),
        ("", "application/fhir+xml", "application/fhir+xml"),
        ("", "text/html", "text/html"),
        ("", "application/json;q=0", "application/json;q=0"),
        ("", "application/json;q=0.0, text/html", "application/json;q=0.0"),
        ("", "application/fhir+json; fhirVersion=4.0", "fhirVersion=4.0"),
    ],
)
def test_other_formats_are_refused_with_406(fhir_client, published_corpus, query, accept, named):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    for path in ("/metadata", "/ResearchStudy/trial-one", "/ResearchStudy"):
        response = fhir_client.get(f"{BASE}{path}{query}", **headers)
        assert named in outcome(response, 406, "not-supported")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        "/metadata",
        "/ResearchStudy",
        "/ResearchStudy/trial-one",
        "/ResearchStudy/trial-one/_history",
        "/ResearchStudy/trial-one/_history/1",
        "/",
        "/Patient/1",
    ],
)
def test_the_api_is_read_only(fhir_client, published_corpus, method, path):
    response = getattr(fhir_client, method)(
        BASE + path, data=b'{"resourceType": "ResearchStudy"}', content_type=FHIR_JSON
    )
    assert "read-only" in outcome(response, 405, "not-supported")
    assert response["Allow"] == "GET, HEAD"
    assert fhir_client.get(f"{BASE}/ResearchStudy/trial-one").status_code == 200


def test_nothing_published_yet_is_503(fhir_client, snapshot_root):
    for path in ("/metadata", "/ResearchStudy", "/ResearchStudy/trial-one"):
        assert "published" in outcome(fhir_client.get(BASE + path), 503, "transient")


AWKWARD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=80
)


@hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    segment=st.one_of(AWKWARD_TEXT, st.sampled_from(["ResearchStudy", "Evidence", "_history"])),
    name=st.one_of(AWKWARD_TEXT, st.sampled_from(["_id", "_count", "_lastUpdated", "url"])),
    value=AWKWARD_TEXT,
)
def test_any_input_is_answered_with_a_resource_or_an_operation_outcome_never_a_500(
    client, published_corpus, segment, name, value
):
    quoted = quote(segment, safe="")
    query = urlencode({name: value})
    for url in (
        f"{BASE}/{quoted}?{query}",
        f"{BASE}/ResearchStudy?{query}",
        f"{BASE}/ResearchStudy/{quoted}",
        f"{BASE}/Evidence/{quoted}/_history",
        f"{BASE}/ResearchStudy/trial-one/_history/{quoted}",
        f"{BASE}/metadata?{query}",
    ):
        response = client.get(url)
        assert response.status_code in (200, 400, 404, 406), (url, response.content)
        assert response["Content-Type"].startswith(FHIR_JSON)
        body = orjson.loads(response.content)
        if response.status_code != 200:
            assert body["resourceType"] == "OperationOutcome"
            assert body["issue"][0]["diagnostics"]
