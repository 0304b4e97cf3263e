"""The FHIR mapping of single records (``publishing.fhir.resources_for``): the result shapes,
ids, codes, provenance, and that every resource validates with fhir.resources."""

from __future__ import annotations

import orjson
import pytest

from curation.seed import SEED_DIR
from evidence.documents import validate_document
from publishing.fhir import InvalidResource, resource_path, resources_for, validate
from publishing.fhir.common import fhir_id
from tests import documents

BASE = "https://evidence.example.org/fhir"
STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
HISTORY = [
    {
        "version": 1,
        "type": "created",
        "change_request": 4,
        "proposer": "editor",
        "approver": "reviewer",
        "approved_at": "2026-01-05T10:00:00Z",
        "rationale": "add the trial",
    },
    {
        "version": 2,
        "type": "revised",
        "change_request": 9,
        "proposer": "editor2",
        "approver": "reviewer2",
        "approved_at": "2026-02-01T08:30:00.250000Z",
        "rationale": "typo fix",
    },
]


def mapped(record_type, document, history=HISTORY):
    """The resources of a document in its canonical form (every field), as stored."""
    return resources_for(record_type, validate_document(record_type, document), history, base=BASE)


def by_id(resources):
    return {(r["resourceType"], r["id"]): r for r in resources}


@pytest.fixture
def shapes():
    return by_id(mapped("trial", documents.results_trial()))


def codes_of(concept, system):
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system]


def test_every_resource_of_every_record_type_validates():
    records = [
        ("trial", documents.results_trial()),
        ("trial", documents.calgb_100104()),
        ("trial", documents.myeloma_xi()),
        ("citation", documents.drugex_citation()),
        ("intervention", documents.article_lenalidomide()),
        ("topic", documents.article_topic()),
    ]
    for record_type, document in records:
        resources = mapped(record_type, document)
        assert len({resource_path(r) for r in resources}) == len(resources)
        for resource in resources:
            validate(resource, resource_path(resource))


def test_a_mean_with_its_standard_deviation(shapes):
    evidence = shapes[("Evidence", "results-shapes.basdai.arm.drug")]
    (statistic,) = evidence["statistic"]
    assert codes_of(statistic["statisticType"], STATISTIC_TYPE) == ["C53319"]  # Mean
    assert statistic["quantity"] == {"value": 12.4, "unit": "score on a scale"}
    (sd,) = statistic["attributeEstimate"]
    assert codes_of(sd["type"], ESTIMATE_TYPE) == ["C53322"]  # Standard deviation
    assert sd["quantity"]["value"] == 3.1
    assert statistic["sampleSize"]["numberOfParticipants"] == 120
    assert statistic["description"] == "mean 12.4 (SD 3.1)"


def test_a_median_with_its_iqr_and_a_median_not_reached(shapes):
    drug = shapes[("Evidence", "results-shapes.resolution.arm.drug")]["statistic"][0]
    assert codes_of(drug["statisticType"], STATISTIC_TYPE) == ["C28007"]  # Median
    ucum_days = {"unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}
    assert drug["quantity"] == {"value": 14, **ucum_days}
    (iqr,) = drug["attributeEstimate"]
    assert codes_of(iqr["type"], ESTIMATE_TYPE) == ["C53245"]  # Interquartile range
    assert iqr["range"] == {"low": {"value": 10, **ucum_days}, "high": {"value": 21, **ucum_days}}
    placebo = shapes[("Evidence", "results-shapes.resolution.arm.pbo")]["statistic"][0]
    assert "quantity" not in placebo and "attributeEstimate" not in placebo
    assert "not reached" in placebo["description"]
    notes = [note["text"] for note in placebo["note"]]
    assert "As printed in the source: NA" in notes
    assert "In the source's words: fewer than half of the patients resolved" in notes


def test_a_hazard_ratio_with_a_one_sided_interval_and_a_p_value(shapes):
    evidence = shapes[("Evidence", "results-shapes.pfs.vs.hr")]
    (statistic,) = evidence["statistic"]
    assert codes_of(statistic["statisticType"], STATISTIC_TYPE) == ["C93150"]  # Hazard Ratio
    assert statistic["quantity"] == {"value": 0.62}
    ci, p_value = statistic["attributeEstimate"]
    assert codes_of(ci["type"], ESTIMATE_TYPE) == ["C53324"]
    assert ci["level"] == 0.975
    assert ci["range"] == {"high": {"value": 0.8}}  # the lower bound is not reported
    assert {"text": "one-sided interval"} in ci["note"]
    assert codes_of(p_value["type"], ESTIMATE_TYPE) == ["C44185"]
    assert p_value["quantity"] == {"value": 0.001, "comparator": "<"}
    assert p_value["description"] == "p < 0.001"
    assert statistic["modelCharacteristic"][0]["code"]["text"] == "Cox proportional hazards"
    roles = {
        v["variableRole"]["coding"][0]["code"]: v.get("observed", {}).get("reference")
        for v in evidence["variableDefinition"]
    }
    assert roles == {
        "population": None,
        "exposure": "Group/results-shapes.drug",
        "referenceExposure": "Group/results-shapes.pbo",
        "measuredVariable": "EvidenceVariable/results-shapes.pfs",
    }
    assert ("Group", "results-shapes.drug") in shapes
    assert ("EvidenceVariable", "results-shapes.pfs") in shapes


def test_a_comparison_without_a_stated_measure_has_no_number_and_no_code(shapes):
    (statistic,) = shapes[("Evidence", "results-shapes.resolution.vs.faster")]["statistic"]
    assert statistic["statisticType"] == {"text": "measure not stated"}
    assert "quantity" not in statistic and "attributeEstimate" not in statistic
    assert statistic["description"].startswith("statistically significant difference")


def test_ids_versions_and_urls_follow_slugs_and_the_record_version(shapes):
    study = shapes[("ResearchStudy", "results-shapes")]
    assert study["meta"] == {"versionId": "2", "lastUpdated": "2026-02-01T08:30:00.250000Z"}
    assert study["url"] == f"{BASE}/ResearchStudy/results-shapes"
    assert {"system": "https://clinicaltrials.gov", "value": "NCT09999999"}.items() <= (
        study["identifier"][1].items()
    )
    assert [m["reference"]["reference"] for m in study["outcomeMeasure"]] == [
        "EvidenceVariable/results-shapes.basdai",
        "EvidenceVariable/results-shapes.resolution",
        "EvidenceVariable/results-shapes.pfs",
    ]
    assert all(r["meta"]["versionId"] == "2" for k, r in shapes.items() if k[0] != "Provenance")


def test_ids_are_valid_fhir_ids_and_never_collide():
    assert fhir_id("trial", "a_b") != fhir_id("trial", "a-b")
    assert fhir_id("trial", "a_b") == "trial.a--b"
    long_one = fhir_id("x" * 100, "outcome_one")
    long_two = fhir_id("x" * 100, "outcome_two")
    assert len(long_one) == len(long_two) == 64 and long_one != long_two
    for resource_id in (long_one, fhir_id("a" * 64)):
        validate({"resourceType": "Group", "id": resource_id, "type": "person",
                  "membership": "definitional"}, "x")  # fmt: skip


def test_one_provenance_per_version_with_agents_change_request_and_previous_version(shapes):
    first = shapes[("Provenance", "trial.results-shapes.v1")]
    second = shapes[("Provenance", "trial.results-shapes.v2")]
    assert second["target"] == [
        {"reference": "ResearchStudy/results-shapes/_history/2", "type": "ResearchStudy"}
    ]
    assert second["recorded"] == "2026-02-01T08:30:00.250000Z"
    agents = {a["role"][0]["text"]: a["who"]["display"] for a in second["agent"]}
    assert agents == {"proposer": "editor2", "approver": "reviewer2"}
    assert second["basedOn"][0]["identifier"] == {
        "system": f"{BASE}/change-request",
        "value": "9",
    }
    assert second["authorization"] == [{"concept": {"text": "typo fix"}}]
    assert second["entity"] == [
        {"role": "revision", "what": {"reference": "ResearchStudy/results-shapes/_history/1"}}
    ]
    assert "entity" not in first
    assert first["activity"]["coding"][0]["code"] == "CREATE"


def test_a_citation_carries_its_doi_pmid_journal_and_authors():
    document = documents.mccarthy_2012_citation(doi="10.1056/NEJMoa1114083", pmid="22571201")
    (cited, *_) = mapped("citation", document, HISTORY[:1])
    artifact = cited["citedArtifact"]
    identifiers = {i["system"]: i["value"] for i in artifact["identifier"]}
    assert identifiers == {
        "https://doi.org": "10.1056/NEJMoa1114083",
        "https://pubmed.ncbi.nlm.nih.gov": "22571201",
    }
    form = artifact["publicationForm"][0]
    assert form["publishedIn"]["title"] == document["journal"]
    assert form["volume"] == document["volume"]
    assert form["articleDate"] == str(document["year"])
    names = [e["contributor"]["display"] for e in artifact["contributorship"]["entry"]]
    assert names == document["authors"]
    assert artifact["contributorship"]["complete"] is False  # "et al."


def test_an_intervention_is_a_medicinal_product_with_generic_and_brand_names():
    document = documents.article_lenalidomide()
    (product, *_) = mapped("intervention", document, HISTORY[:1])
    assert product["resourceType"] == "MedicinalProductDefinition"
    names = {n["productName"]: n["type"]["coding"][0]["code"] for n in product["name"]}
    assert names[document["generic_name"]] == "C97054"
    for brand in document["brand_names"]:
        assert names[brand] == "C71898"


def test_an_invalid_resource_is_refused_naming_its_path_and_element():
    with pytest.raises(InvalidResource) as refused:
        validate({"resourceType": "Evidence", "id": "x"}, "fhir/Evidence/x.json")
    message = str(refused.value)
    assert "fhir/Evidence/x.json" in message and "variableDefinition" in message


def test_a_topic_is_a_composition_with_its_sections_findings_and_references():
    # The seed's topic: its findings name some trials more than once.
    (seed_topic,) = orjson.loads((SEED_DIR / "topics.json").read_bytes())
    document = validate_document("topic", seed_topic)
    (composition, *_) = mapped("topic", document, HISTORY[:1])
    titles = [section["title"] for section in composition["section"]]
    assert titles[: len(document["sections"])] == [s["heading"] for s in document["sections"]]
    for section, source in zip(composition["section"], document["sections"], strict=False):
        studies = [
            e["reference"] for e in section.get("entry", []) if "ResearchStudy" in e["reference"]
        ]
        assert studies == [f"ResearchStudy/{slug}" for slug in source["trials"]]
    by_title = {section["title"]: section for section in composition["section"]}
    entries = [e["reference"] for e in by_title["Findings"]["entry"]]
    named = [slug for finding in document["findings"] for slug in finding["trials"]]
    assert entries == [f"ResearchStudy/{slug}" for slug in dict.fromkeys(named)]  # each once
    assert len(named) > len(entries)
    references = [e["reference"] for e in by_title["References"]["entry"]]
    assert references == [f"Citation/{slug}" for slug in document["citations"]]
