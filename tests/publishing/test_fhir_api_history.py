"""History and vread on the FHIR API: a resource's versions are its record's versions, mapped
from the event log up to the served snapshot, newest first."""

from __future__ import annotations

import orjson
import pytest
from fhir.resources import get_fhir_model_class

from publishing import services
from tests import documents
from tests.factories import create_approved, revise_approved
from tests.publishing.published import published_bytes
from tests.publishing.test_fhir_api import BASE, outcome

pytestmark = pytest.mark.django_db
RENAMED = "TRIAL ONE, renamed"


@pytest.fixture
def revised_snapshot(published_corpus, editor, reviewer):
    """trial-one renamed (version 2) and published; then renamed again (version 3) without
    publishing, which the API must not show yet."""
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(name=RENAMED))
    snapshot = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(name="unpublished"))
    return snapshot


def history(client, path: str) -> dict:
    response = client.get(f"{BASE}/{path}/_history")
    assert response.status_code == 200, response.content
    bundle = orjson.loads(response.content)
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "history"
    assert bundle["total"] == len(bundle["entry"])
    return bundle


def test_history_lists_each_published_version_newest_first(fhir_client, revised_snapshot):
    bundle = history(fhir_client, "ResearchStudy/trial-one")
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert [r["meta"]["versionId"] for r in resources] == ["2", "1"]
    assert RENAMED in resources[0]["title"] and RENAMED not in resources[1]["title"]
    current = orjson.loads(
        published_bytes(revised_snapshot.seq, "fhir/ResearchStudy/trial-one.json")
    )
    assert resources[0] == current
    assert [e["request"]["method"] for e in bundle["entry"]] == ["PUT", "POST"]
    assert [e["response"]["etag"] for e in bundle["entry"]] == ['W/"2"', 'W/"1"']
    for resource in resources:
        get_fhir_model_class("ResearchStudy").model_validate(resource)
    # A trial's other resources have the trial's versions too.
    evidence_id = orjson.loads(fhir_client.get(f"{BASE}/Evidence?_count=1").content)["entry"][0][
        "resource"
    ]["id"]
    assert [
        e["resource"]["meta"]["versionId"]
        for e in history(fhir_client, f"Evidence/{evidence_id}")["entry"]
    ] == ["2", "1"]
    # A Provenance describes one version and is never revised.
    provenance = history(fhir_client, "Provenance/trial.trial-one.v2")
    assert [e["resource"] for e in provenance["entry"]] == [
        orjson.loads(
            published_bytes(revised_snapshot.seq, "fhir/Provenance/trial.trial-one.v2.json")
        )
    ]
    # Version 3 is approved but not published yet: not in any answer.
    assert fhir_client.get(f"{BASE}/Provenance/trial.trial-one.v3").status_code == 404


def test_vread_answers_each_version(fhir_client, revised_snapshot):
    old = fhir_client.get(f"{BASE}/ResearchStudy/trial-one/_history/1")
    assert old.status_code == 200
    first = orjson.loads(old.content)
    assert first["meta"]["versionId"] == "1"
    assert RENAMED not in first["title"]
    get_fhir_model_class("ResearchStudy").model_validate(first)
    assert old["Last-Modified"]
    assert (
        fhir_client.get(
            f"{BASE}/ResearchStudy/trial-one/_history/1", HTTP_IF_NONE_MATCH=old["ETag"]
        ).status_code
        == 304
    )
    second = orjson.loads(fhir_client.get(f"{BASE}/ResearchStudy/trial-one/_history/2").content)
    assert second == orjson.loads(
        published_bytes(revised_snapshot.seq, "fhir/ResearchStudy/trial-one.json")
    )
    assert "version 3" in outcome(
        fhir_client.get(f"{BASE}/ResearchStudy/trial-one/_history/3"), 404, "not-found"
    )
    assert "version x" in outcome(
        fhir_client.get(f"{BASE}/ResearchStudy/trial-one/_history/x"), 404, "not-found"
    )
    assert "not a version id" in outcome(
        fhir_client.get(f"{BASE}/ResearchStudy/trial-one/_history/1_2"), 400, "invalid"
    )
    assert "_summary" in outcome(
        fhir_client.get(f"{BASE}/ResearchStudy/trial-one/_history?_summary=true"),
        400,
        "not-supported",
    )
    assert "no-such" in outcome(
        fhir_client.get(f"{BASE}/ResearchStudy/no-such/_history/1"), 404, "not-found"
    )
    assert "Patient" in outcome(
        fhir_client.get(f"{BASE}/Patient/trial-one/_history/1"), 404, "not-supported"
    )


def test_history_finds_the_record_of_a_long_id_shortened_with_a_hash(
    fhir_client, published_corpus, editor, reviewer
):
    slug = "a-trial-whose-slug-is-long-enough-to-make-its-result-ids-too-long"
    create_approved(editor, reviewer, "trial", documents.drugex_trial(slug=slug, name="LONG"))
    services.publish_latest()
    found = orjson.loads(fhir_client.get(f"{BASE}/Evidence?_count=100").content)["entry"]
    evidence_ids = [
        e["resource"]["id"]
        for e in found
        if e["resource"]["identifier"][0]["value"].startswith(f"{slug}/")
    ]
    assert evidence_ids
    for evidence_id in evidence_ids:
        # Shortened with a hash: the trial's slug cannot be read back from the id.
        assert not evidence_id.startswith(f"{slug}.")
        bundle = history(fhir_client, f"Evidence/{evidence_id}")
        assert [e["resource"]["id"] for e in bundle["entry"]] == [evidence_id]
