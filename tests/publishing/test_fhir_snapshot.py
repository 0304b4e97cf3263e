"""FHIR in published snapshots: the seed evidence as valid R5 resources with the numbers of
evidence.json, one Provenance per record version, stable ids, incremental reuse, and a build
that fails (leaving the previous snapshot served) when a resource does not validate."""

from __future__ import annotations

from unittest import mock

import orjson
import pytest
from fhir.resources import get_fhir_model_class

from curation.seed import load_seed
from evidence.documents import vocabulary
from publishing import services, storage
from publishing.fhir import InvalidResource
from publishing.models import Snapshot
from tests import documents
from tests.factories import create_approved, revise_approved
from tests.publishing.published import fhir_files, published_bytes, published_manifest

pytestmark = pytest.mark.django_db
ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
COMPARISON_CODES = {"hazard_ratio": "C93150", "odds_ratio": "C16932", "risk_ratio": "C93152"}


def read_json(seq, path):
    return orjson.loads(published_bytes(seq, path))


@pytest.fixture
def seed_snapshot(snapshot_root, editor, reviewer):
    """The seed evidence plus a trial with a hazard ratio, CI and p-value (the seed states
    none), published."""
    load_seed()
    create_approved(editor, reviewer, "citation", documents.drugex_citation())
    create_approved(editor, reviewer, "trial", documents.results_trial())
    return services.publish_latest()


def estimate(statistic, code):
    return next(
        a
        for a in statistic.get("attributeEstimate", [])
        if any(c["code"] == code for c in a["type"].get("coding", []))
    )


def test_every_fhir_file_of_the_seed_snapshot_validates_and_is_in_the_bundle(seed_snapshot):
    manifest = published_manifest(seed_snapshot.seq)
    paths = fhir_files(manifest)
    bundle = read_json(seed_snapshot.seq, "fhir/bundle.json")
    assert bundle["type"] == "collection"
    assert [f"fhir/{e['fullUrl'].split('/', 5)[-1]}.json" for e in bundle["entry"]] == sorted(paths)
    get_fhir_model_class("Bundle").model_validate(bundle)
    for path, entry in zip(sorted(paths), bundle["entry"], strict=True):
        resource = read_json(seed_snapshot.seq, path)
        assert resource == entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    types = {path.split("/")[1] for path in paths}
    assert types == {
        "ResearchStudy",
        "Group",
        "EvidenceVariable",
        "Evidence",
        "Citation",
        "MedicinalProductDefinition",
        "Composition",
        "Provenance",
        "CodeSystem",
    }


def test_the_endpoint_code_system_is_published_and_every_endpoint_coding_is_in_it(
    seed_snapshot,
):
    manifest = published_manifest(seed_snapshot.seq)
    assert "fhir/CodeSystem/endpoint.json" in fhir_files(manifest)
    code_system = read_json(seed_snapshot.seq, "fhir/CodeSystem/endpoint.json")
    get_fhir_model_class("CodeSystem").model_validate(code_system)
    assert code_system["url"].endswith("/CodeSystem/endpoint")
    assert code_system["content"] == "complete"
    displays = {c["code"]: c["display"] for c in code_system["concept"]}
    assert code_system["count"] == len(displays) == len(vocabulary.ENDPOINT_LABELS)
    assert displays["os"] == "Overall survival" and displays["pfs"] == "Progression-free survival"
    bundle = read_json(seed_snapshot.seq, "fhir/bundle.json")
    in_bundle = [e["resource"] for e in bundle["entry"]]
    assert code_system in in_bundle
    codings = [
        coding
        for resource in in_bundle
        if resource["resourceType"] == "EvidenceVariable"
        for characteristic in resource.get("characteristic", [])
        for coding in characteristic.get("definitionCodeableConcept", {}).get("coding", [])
        if coding["system"].endswith("/CodeSystem/endpoint")
    ]
    assert len(codings) >= 5
    for coding in codings:
        assert coding["system"] == code_system["url"]
        assert displays[coding["code"]] == coding["display"]


def test_every_comparison_of_evidence_json_is_an_evidence_with_its_numbers(seed_snapshot):
    evidence_json = read_json(seed_snapshot.seq, "evidence.json")
    checked = 0
    for trial in evidence_json["trials"]:
        document = trial["document"]
        for outcome in document["outcomes"]:
            for comparison in outcome["comparisons"]:
                path = f"fhir/Evidence/{trial['slug']}.{outcome['key']}.vs.{comparison['key']}"
                resource = read_json(seed_snapshot.seq, path.replace("_", "--") + ".json")
                (statistic,) = resource["statistic"]
                kind_code = COMPARISON_CODES.get(comparison["kind"])
                codes = [c["code"] for c in statistic["statisticType"].get("coding", [])]
                assert codes == ([kind_code] if kind_code else [])
                assert statistic.get("quantity", {}).get("value") == comparison["estimate"]
                if comparison["ci_low"] is not None or comparison["ci_high"] is not None:
                    ci = estimate(statistic, "C53324")
                    assert ci["range"].get("low", {}).get("value") == comparison["ci_low"]
                    assert ci["range"].get("high", {}).get("value") == comparison["ci_high"]
                    assert ci["level"] * 100 == pytest.approx(comparison["ci_level"])
                if comparison["p_value"] is not None:
                    p_value = estimate(statistic, "C44185")
                    assert p_value["quantity"]["value"] == comparison["p_value"]
                    assert p_value["quantity"].get("comparator", "=") == (
                        comparison["p_value_comparator"] or "="
                    )
                checked += 1
    assert checked >= 10
    hazard = read_json(seed_snapshot.seq, "fhir/Evidence/results-shapes.pfs.vs.hr.json")
    assert hazard["statistic"][0]["statisticType"]["coding"][0]["code"] == "C93150"


def test_calgb_overall_survival_with_lenalidomide_is_a_median_not_reached(seed_snapshot):
    resource = read_json(seed_snapshot.seq, "fhir/Evidence/calgb-100104.os.arm.lenalidomide.json")
    (statistic,) = resource["statistic"]
    assert statistic["statisticType"]["coding"][0]["code"] == "C28007"  # Median
    assert "quantity" not in statistic
    assert "not reached" in statistic["description"]
    placebo = read_json(seed_snapshot.seq, "fhir/Evidence/calgb-100104.os.arm.placebo.json")
    assert placebo["statistic"][0]["quantity"]["value"] == 76


def test_each_record_version_has_its_provenance(seed_snapshot):
    evidence_json = read_json(seed_snapshot.seq, "evidence.json")
    main = {"trials": "ResearchStudy", "citations": "Citation", "topics": "Composition"}
    main["interventions"] = "MedicinalProductDefinition"
    versions = 0
    for plural, resource_type in main.items():
        for record in evidence_json[plural]:
            for version in record["history"]:
                provenance = read_json(
                    seed_snapshot.seq,
                    f"fhir/Provenance/{record['record_type']}.{record['slug']}"
                    f".v{version['version']}.json",
                )
                target = f"{resource_type}/{record['slug']}/_history/{version['version']}"
                assert provenance["target"][0]["reference"] == target
                assert provenance["recorded"] == version["approved_at"]
                agents = {a["role"][0]["text"]: a["who"]["display"] for a in provenance["agent"]}
                assert agents == {"proposer": version["proposer"], "approver": version["approver"]}
                assert provenance["basedOn"][0]["identifier"]["value"] == str(
                    version["change_request"]
                )
                versions += 1
    manifest = published_manifest(seed_snapshot.seq)
    assert versions == len([path for path in fhir_files(manifest) if "/Provenance/" in path])


def test_ids_and_versions_are_stable_and_only_a_changed_record_is_rendered_again(
    small_corpus, editor, reviewer, snapshot_mode
):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    before, after = published_manifest(first.seq), published_manifest(second.seq)
    old_files = {e["path"]: e for e in before["files"]}
    new_files = {e["path"]: e for e in after["files"]}
    changed, unchanged = fhir_files(after, "trial-one"), fhir_files(after, "trial-two")
    assert set(fhir_files(before)) <= set(fhir_files(after))  # no id disappears
    assert set(fhir_files(after)) - set(fhir_files(before)) == {
        "fhir/Provenance/trial.trial-one.v2.json"
    }
    for path in unchanged:  # the same bytes, from the same inputs
        assert new_files[path]["sha256"] == old_files[path]["sha256"]
        assert new_files[path]["inputs"] == old_files[path]["inputs"]
    study = read_json(second.seq, "fhir/ResearchStudy/trial-one.json")
    assert study["meta"]["versionId"] == "2" and study["recruitment"]["actualNumber"] == 410
    for path in changed:
        assert new_files[path]["inputs"] != old_files.get(path, {}).get("inputs")
        resource = read_json(second.seq, path)
        if resource["resourceType"] != "Provenance":
            assert resource["meta"]["versionId"] == "2"
    assert read_json(first.seq, "fhir/Provenance/trial.trial-one.v1.json") == read_json(
        second.seq, "fhir/Provenance/trial.trial-one.v1.json"
    )


def test_an_invalid_resource_fails_the_build_naming_it_and_latest_stays(
    small_corpus, editor, reviewer
):
    first = services.publish_latest()
    revise_approved(
        editor, reviewer, "citation", "smith-2020", lambda d: d.update(title="Corrected")
    )

    def broken(document, ctx):
        return {"resourceType": "Citation", "id": document["slug"], "title": "no status"}

    with (
        mock.patch("publishing.fhir.records.citation", side_effect=broken),
        pytest.raises(InvalidResource, match="fhir/Citation/smith-2020.json"),
    ):
        services.publish_latest()
    failed = Snapshot.objects.get(seq=first.seq + 1)
    assert failed.status == Snapshot.Status.FAILED
    assert "fhir/Citation/smith-2020.json" in failed.error and "status" in failed.error
    assert storage.latest_seq() == first.seq
    assert services.publish_latest().status == Snapshot.Status.COMPLETE  # mapping fixed


def test_urls_follow_the_canonical_base_and_a_new_base_renders_every_fhir_file_again(
    small_corpus, settings
):
    settings.FHIR_CANONICAL_BASE = "https://evidence.example.org/fhir/"
    first = services.publish_latest()
    study = read_json(first.seq, "fhir/ResearchStudy/trial-one.json")
    assert study["url"] == "https://evidence.example.org/fhir/ResearchStudy/trial-one"
    bundle = read_json(first.seq, "fhir/bundle.json")
    assert all(
        e["fullUrl"].startswith("https://evidence.example.org/fhir/") for e in bundle["entry"]
    )
    settings.FHIR_CANONICAL_BASE = "https://other.example.org/fhir"
    second = services.publish_latest(force=True)
    before, after = published_manifest(first.seq), published_manifest(second.seq)

    def page_inputs(manifest):
        return {
            e["path"]: e["inputs"]
            for e in manifest["files"]
            if e.get("inputs") and not e["path"].startswith("fhir/")
        }

    assert page_inputs(before) == page_inputs(after)  # pages do not show the base: reused
    # 5 snapshot-wide files, the bundle and every FHIR file, with the new base in its url.
    assert second.files_rendered == 6 + len(fhir_files(after))
    for path in fhir_files(after):
        assert read_json(second.seq, path) != read_json(first.seq, path)
