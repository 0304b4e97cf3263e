"""FHIR ids of records with long slugs and of keys with characters FHIR ids forbid: one id
function (``publishing.fhir.common.fhir_id``) for resources, references, file names and the
FHIR API, so every reference resolves and every resource validates."""

from __future__ import annotations

import re

import orjson
import pytest

from evidence.documents import validate_document
from publishing import services
from publishing.fhir import resource_path, resources_for, validate
from publishing.fhir.common import FHIR_ID, fhir_id
from tests import documents
from tests.factories import create_approved
from tests.publishing.test_fhir_mapping import BASE, HISTORY

# Slugs of 70 to 90 characters: valid slugs (up to 100), too long for a FHIR id (64).
TRIAL = "a-very-long-trial-slug-" + "-".join(["randomised"] * 6)
CITATION = "a-very-long-citation-slug-" + "-".join(["published"] * 6)
INTERVENTION = "a-very-long-intervention-slug-" + "-".join(["tablet"] * 8)
TOPIC = "a-very-long-topic-slug-" + "-".join(["maintenance"] * 6)
REFERENCE = re.compile(r"^(?P<type>[A-Za-z]+)/(?P<id>[^/]+)(/_history/\d+)?$")


def long_slug_records() -> list[tuple[str, dict]]:
    trial = documents.drugex_trial(TRIAL, citations=[CITATION], interventions=[INTERVENTION])
    trial["arms"][0]["regimen"][0]["intervention"] = INTERVENTION
    for outcome in trial["outcomes"]:
        if "citations" in outcome:
            outcome["citations"] = [CITATION]
    trial["findings"][0]["citations"] = [CITATION]
    topic = documents.drugex_topic(TOPIC, trials=(TRIAL,), citations=[CITATION])
    topic["sections"][0]["interventions"] = [INTERVENTION]
    topic["findings"][0]["citations"] = [CITATION]
    return [
        ("citation", documents.drugex_citation(CITATION)),
        ("intervention", documents.drugex_intervention(INTERVENTION)),
        ("trial", trial),
        ("topic", topic),
    ]


def references_in(value) -> list[str]:
    """Every literal reference ("Type/id", "Type/id/_history/n") anywhere in a resource."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references_in(v)]
    if isinstance(value, list):
        return [r for v in value for r in references_in(v)]
    return []


def test_long_slugs_give_valid_ids_and_every_reference_resolves():
    assert all(len(slug) > 64 for slug in (TRIAL, CITATION, INTERVENTION, TOPIC))
    resources = []
    for record_type, document in long_slug_records():
        resources += resources_for(
            record_type, validate_document(record_type, document), HISTORY, base=BASE
        )
    ids = {(r["resourceType"], r["id"]) for r in resources}
    assert len(ids) == len(resources)
    for resource in resources:
        assert FHIR_ID.fullmatch(resource["id"]), resource["id"]
        path = resource_path(resource)
        assert path == f"fhir/{resource['resourceType']}/{resource['id']}.json"
        validate(resource, path)
        if "url" in resource:
            assert resource["url"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"
    mains = {(r["resourceType"], r["id"]) for r in resources if r["resourceType"] != "Provenance"}
    for slug, kind in ((TRIAL, "ResearchStudy"), (CITATION, "Citation"), (TOPIC, "Composition")):
        assert (kind, fhir_id(slug)) in mains
    assert ("MedicinalProductDefinition", fhir_id(INTERVENTION)) in mains
    checked = 0
    for resource in resources:
        for target in references_in(resource):
            if target.startswith("#"):
                continue  # a contained resource
            match = REFERENCE.match(target)
            assert match, target
            assert (match["type"], match["id"]) in ids, f"{resource['id']}: {target} dangles"
            checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "parts",
    [
        ("x" * 65,),
        ("trial", "x" * 64),
        ("trial", "key_with_underscores"),
        ("slug", "caf\u00e9"),
        ("slug", "a/b"),
        ("slug", "a b"),
        ("slug", "a:b#c"),
    ],
)
def test_any_slug_or_key_gives_a_valid_stable_fhir_id(parts):
    resource_id = fhir_id(*parts)
    assert FHIR_ID.fullmatch(resource_id), resource_id
    assert fhir_id(*parts) == resource_id
    validate(
        {"resourceType": "Group", "id": resource_id, "type": "person",
         "membership": "definitional"},
        f"fhir/Group/{resource_id}.json",
    )  # fmt: skip


def test_ids_with_forbidden_characters_never_collide():
    made = {fhir_id("slug", key) for key in ("a/b", "a b", "a:b", "a-b", "a_b", "a.b")}
    assert len(made) == 6
    assert fhir_id("slug", "a-b") == "slug.a-b"  # an allowed id is kept as it is


@pytest.mark.django_db
def test_the_fhir_api_reads_and_searches_a_long_slug_record(editor, reviewer, snapshot_root):
    from django.test import Client

    for record_type, document in long_slug_records():
        create_approved(editor, reviewer, record_type, document)
    snapshot = services.publish_latest()
    client = Client()
    study_id = fhir_id(TRIAL)
    response = client.get(f"/fhir/R5/ResearchStudy/{study_id}")
    assert response.status_code == 200, response.content
    study = orjson.loads(response.content)
    assert study["id"] == study_id
    assert study["relatedArtifact"][0]["resourceReference"]["reference"] == (
        f"Citation/{fhir_id(CITATION)}"
    )
    found = orjson.loads(client.get("/fhir/R5/ResearchStudy", {"_id": study_id}).content)
    assert [e["resource"]["id"] for e in found["entry"]] == [study_id]
    history = orjson.loads(client.get(f"/fhir/R5/ResearchStudy/{study_id}/_history").content)
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["1"]
    provenance = client.get(f"/fhir/R5/Provenance/{fhir_id('trial', TRIAL, 'v1')}")
    assert orjson.loads(provenance.content)["target"][0]["reference"] == (
        f"ResearchStudy/{study_id}/_history/1"
    )
    assert snapshot.seq is not None
