"""The EBM guide's profiles our resources claim (``meta.profile``): a resource claims one only
when it fills what the profile requires. The requirements checked here are the guide's
(R5 ballot, as its examples in ``../shared/reference/fhir/ebm-ig-r5/`` show them):

- ``non-comparative-evidence``: at least two variable definitions, among them a
  ``population`` and an ``outcome`` slice (sliced by ``note.text``, each with the
  variable-role-code extension giving the same role);
- ``comparative-evidence``: the same slices; an ``exposure`` slice, if any, with the
  comparator-category extension; none in the outcome slice;
- ``journal-article-citation``: the cited artifact classified as a Journal Article
  (knowledge-artifact-type D016428), no ``effectivePeriod``.
"""

from __future__ import annotations

import pytest

from publishing.fhir import resource_path, validate
from tests import documents
from tests.publishing.test_fhir_mapping import mapped

EBM = "http://hl7.org/fhir/uv/ebm/StructureDefinition/"
ROLE_CODE = EBM + "variable-definition-variable-role-code"
COMPARATOR_CATEGORY = EBM + "variable-definition-comparator-category"


def slice_of(definition: dict) -> str | None:
    notes = [note["text"] for note in definition.get("note", [])]
    return next((text for text in notes if text in ("population", "exposure", "outcome")), None)


def extensions(element: dict, url: str) -> list[dict]:
    return [e for e in element.get("extension", []) if e["url"] == url]


def check_evidence_slices(evidence: dict, comparative: bool) -> None:
    definitions = evidence["variableDefinition"]
    assert len(definitions) >= 2
    slices = [slice_of(d) for d in definitions]
    assert slices.count("population") >= 1 and slices.count("outcome") >= 1, slices
    for definition, name in zip(definitions, slices, strict=True):
        if name is None:
            continue
        (role,) = extensions(definition, ROLE_CODE)
        assert role["valueCode"] == name
        categories = extensions(definition, COMPARATOR_CATEGORY)
        if name == "exposure":
            assert len(categories) == 1
        if name == "outcome":
            assert categories == []
    if comparative:
        exposure = next(
            d for d in definitions if d["variableRole"]["coding"][0]["code"] == "exposure"
        )
        assert len(extensions(exposure, COMPARATOR_CATEGORY)) == 1


def check_journal_article(citation: dict) -> None:
    assert "effectivePeriod" not in citation
    kinds = [
        c
        for c in citation["citedArtifact"]["classification"]
        if any(
            x.get("code") == "knowledge-artifact-type" for x in c.get("type", {}).get("coding", [])
        )
    ]
    assert len(kinds) == 1
    assert [x["code"] for c in kinds[0]["classifier"] for x in c["coding"]] == ["D016428"]


@pytest.mark.parametrize(
    ("record_type", "document"),
    [
        ("trial", documents.results_trial()),
        ("trial", documents.calgb_100104()),
        ("trial", documents.myeloma_xi()),
        ("trial", documents.drugex_trial()),
        ("citation", documents.drugex_citation()),
        ("intervention", documents.article_lenalidomide()),
        ("topic", documents.article_topic()),
    ],
)
def test_every_claimed_profile_has_what_it_requires(record_type, document):
    claimed = 0
    for resource in mapped(record_type, document):
        validate(resource, resource_path(resource))
        profiles = resource["meta"].get("profile", [])
        if resource["resourceType"] == "Evidence":
            comparative = any(
                d["variableRole"]["coding"][0]["code"] == "referenceExposure"
                for d in resource["variableDefinition"]
            )
            expected = "comparative-evidence" if comparative else "non-comparative-evidence"
            assert profiles == [EBM + expected]
            check_evidence_slices(resource, comparative)
            claimed += 1
        elif EBM + "journal-article-citation" in profiles:
            check_journal_article(resource)
            claimed += 1
        else:
            assert profiles == [], resource["id"]  # no other profile is claimed
    if record_type == "trial" or document.get("journal"):
        assert claimed > 0


def test_only_a_journal_article_claims_the_journal_article_profile():
    article = mapped("citation", documents.drugex_citation())[0]
    assert article["meta"]["profile"] == [EBM + "journal-article-citation"]
    check_journal_article(article)
    for overrides in ({"kind": "web_page"}, {"journal": None}, {"kind": "abstract"}):
        citation = mapped("citation", documents.drugex_citation(**overrides))[0]
        assert "profile" not in citation["meta"], overrides
        kinds = [c.get("type") for c in citation["citedArtifact"]["classification"]]
        assert not any(kinds)
