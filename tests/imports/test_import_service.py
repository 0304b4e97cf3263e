"""``import_ctgov_study``: drafts owned by the importing editor, the stored source, re-imports
that propose only what the registry changed, and refusals that write nothing."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from curation import selectors, services
from curation.errors import PermissionDenied, ValidationFailed
from curation.imports import sources
from curation.imports.errors import NotAStudy, SourceTooLarge, StudyNotFound, UnmappedGroups
from curation.imports.services import import_ctgov_study
from curation.models import ChangeRequest, SourceDocument
from evidence.diff import diff_documents
from tests.factories import revise_approved

from .helpers import row_counts
from .studies import REMDESIVIR, REMDESIVIR_MAP, fixture_path, hazard_ratio, real, small_study

pytestmark = pytest.mark.django_db


def test_import_creates_a_draft_owned_by_the_editor(editor):
    raw = fixture_path(REMDESIVIR).read_bytes()
    result = import_ctgov_study(
        user=editor, raw=raw, label="NCT04431453.json", group_map=REMDESIVIR_MAP
    )
    cr = result.change_request
    assert (cr.status, cr.author, cr.action, cr.record_slug) == (
        "draft",
        editor,
        "create",
        "nct04431453",
    )
    assert cr.document["outcomes"] and cr.document["schema_version"] == 2
    assert "Imported from ClinicalTrials.gov NCT04431453 (updated 2023-12-22)" in cr.rationale
    assert "For the reviewer (2 warnings)" in cr.rationale
    link = cr.imported_source
    assert link.group_map == REMDESIVIR_MAP and link.warnings == result.warnings
    source = link.source
    assert (source.registry, source.registry_id, source.last_updated) == (
        "NCT",
        "NCT04431453",
        "2023-12-22",
    )
    assert source.sha256 == hashlib.sha256(source.content.encode()).hexdigest()
    assert json.loads(source.content) == real(REMDESIVIR)
    assert source.fetched_from == "NCT04431453.json"
    assert not cr.reviews.exists()


def test_submit_at_once(editor):
    cr = import_ctgov_study(user=editor, study=small_study(), submit=True).change_request
    assert cr.status == "submitted" and cr.submitted_at is not None
    assert cr.reviews.get().kind == "submit"


def test_the_same_study_is_stored_once(editor):
    first = import_ctgov_study(user=editor, study=small_study()).change_request
    # Formatting differs, content does not: one source document.
    raw = json.dumps(small_study(), indent=4).encode()
    second = import_ctgov_study(user=editor, raw=raw).change_request
    assert first.imported_source.source_id == second.imported_source.source_id
    assert SourceDocument.objects.count() == 1


@pytest.mark.parametrize("role", ["reviewer", "anonymous"])
def test_only_editors_import(role, reviewer, registry):
    from django.contrib.auth.models import AnonymousUser

    user = reviewer if role == "reviewer" else AnonymousUser()
    registry.add("NCT00000001", small_study())
    before = row_counts()
    with pytest.raises(PermissionDenied):
        import_ctgov_study(user=user, nct_id="NCT00000001")
    assert row_counts() == before
    assert registry.requests == []  # refused before anything is fetched


# --- Re-import --------------------------------------------------------------------------------


def approve_import(cr, reviewer):
    if cr.status == "draft":
        services.submit(cr, user=cr.author)
    services.approve(cr, user=reviewer)
    return selectors.live_record("trial", cr.record_slug)


def newer(study, **changes):
    updated = copy.deepcopy(study)
    outcome = updated["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    measurements = outcome["classes"][0]["categories"][0]["measurements"]
    measurements[0]["value"] = changes.get("value", "21.3")
    outcome["analyses"] = [hazard_ratio()]
    updated["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2024-06-01"
    return updated


def test_reimport_proposes_only_what_the_registry_changed(editor, reviewer):
    study = small_study()
    first = import_ctgov_study(user=editor, study=study, submit=True).change_request
    trial = approve_import(first, reviewer)
    # An editor's change since the import stays.
    revise_approved(
        editor, reviewer, "trial", trial.slug, lambda d: d.update(setting_text="Relapsed myeloma.")
    )
    live = selectors.live_record("trial", trial.slug)

    result = import_ctgov_study(user=editor, study=newer(study))
    cr = result.change_request
    assert (cr.action, cr.record_slug, cr.base_version, cr.status) == (
        "revise",
        trial.slug,
        live.version,
        "draft",
    )
    assert cr.document["setting_text"] == "Relapsed myeloma."
    changed = {c["path"] for c in diff_documents(live.document, cr.document)}
    outcome = "outcomes[key=progression-free-survival]"
    assert f"{outcome}.values[arm=arm-1].value" in changed
    assert f"{outcome}.comparisons" in changed
    assert "notes" in changed  # "last updated 2024-06-01"
    assert all(p.startswith((outcome, "notes")) for p in changed), changed
    assert f"last imported in change request {first.pk} (updated 2024-01-15)" in cr.rationale
    assert "values “Drug A” › value: 20.1 → 21.3" in cr.rationale
    assert cr.imported_source.source.last_updated == "2024-06-01"


def test_reimport_of_the_same_study_is_refused(editor, reviewer):
    study = small_study()
    approve_import(
        import_ctgov_study(user=editor, study=study, submit=True).change_request, reviewer
    )
    before = row_counts()
    with pytest.raises(ValidationFailed, match="is up to date with ClinicalTrials.gov NCT00000001"):
        import_ctgov_study(user=editor, study=study)
    assert row_counts() == before


def test_first_import_into_a_trial_made_by_hand_keeps_the_editors_fields(editor, reviewer):
    from tests.factories import create_approved

    hand_made = import_ctgov_study(user=editor, study=small_study(results=False)).change_request
    document = copy.deepcopy(hand_made.document)
    document.update(slug="drug-a-trial", name="The Drug A trial", population="Adults with myeloma.")
    ChangeRequest.objects.filter(pk=hand_made.pk)  # the draft stays a draft
    create_approved(editor, reviewer, "trial", document)

    cr = import_ctgov_study(user=editor, study=small_study()).change_request
    assert (cr.action, cr.record_slug) == ("revise", "drug-a-trial")
    assert cr.document["name"] == "The Drug A trial"
    assert cr.document["population"] == "Adults with myeloma."
    assert [o["title"] for o in cr.document["outcomes"]] == ["Progression-free Survival"]
    assert "made by hand" in cr.rationale


# --- Refusals write nothing -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"raw": b"{not json", "label": "broken.json"}, NotAStudy, "broken.json is not JSON"),
        ({"raw": b'{"studies": []}', "label": "list.json"}, NotAStudy, "list.json is not a"),
        ({"study": [1]}, NotAStudy, "the request body is not a"),
        (
            {"study": small_study(group_titles=("Drug A 10 mg", "Placebo"))},
            UnmappedGroups,
            "Drug A 10 mg",
        ),
    ],
)
def test_bad_input_writes_nothing(editor, kwargs, error, words):
    before = row_counts()
    with pytest.raises(error) as refused:
        import_ctgov_study(user=editor, **kwargs)
    assert words in str(refused.value)
    assert row_counts() == before


def test_a_file_over_the_limit(editor, settings):
    settings.IMPORT_MAX_BYTES = 1000
    before = row_counts()
    with pytest.raises(
        SourceTooLarge, match="big.json is 504865 bytes, over the limit of 1000 bytes"
    ):
        import_ctgov_study(user=editor, raw=fixture_path(REMDESIVIR).read_bytes(), label="big.json")
    assert row_counts() == before


def test_two_groups_on_one_arm_name_the_document_path(editor):
    study = small_study(group_titles=("Drug A 10 mg", "Placebo"))
    with pytest.raises(ValidationFailed) as refused:
        import_ctgov_study(user=editor, study=study, group_map={"Drug A 10 mg": "arm-2"})
    assert refused.value.errors[0]["path"] == "document.outcomes[0].values[1].arm"
    assert "NCT00000001" in refused.value.message


def test_fetch_by_nct_id(editor, registry):
    registry.add("NCT00000001", small_study())
    cr = import_ctgov_study(user=editor, nct_id="nct00000001").change_request
    assert cr.record_slug == "nct00000001"
    assert cr.imported_source.source.fetched_from == f"{registry.base}/studies/NCT00000001"


def test_unknown_nct_id_and_offline_write_nothing(editor, registry):
    before = row_counts()
    with pytest.raises(StudyNotFound, match="ClinicalTrials.gov study NCT09999999"):
        import_ctgov_study(user=editor, nct_id="NCT09999999")
    registry.stop()
    with pytest.raises(Exception, match="could not connect"):
        import_ctgov_study(user=editor, nct_id="NCT09999999")
    assert row_counts() == before


def test_the_registry_answering_with_another_study(editor, registry):
    registry.add("NCT00000002", small_study(nct_id="NCT00000001"))
    with pytest.raises(NotAStudy, match="answered with study NCT00000001, not NCT00000002"):
        import_ctgov_study(user=editor, nct_id="NCT00000002")


def test_canonical_bytes_are_the_hash_input():
    assert sources.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_references_by_pmid_become_the_trials_citations(editor, reviewer):
    from tests import documents
    from tests.factories import create_approved

    from .studies import CERTOLIZUMAB, CERTOLIZUMAB_MAP

    create_approved(
        editor,
        reviewer,
        "citation",
        documents.drugex_citation("van-der-heijde-2022", pmid="35296532"),
    )
    result = import_ctgov_study(user=editor, study=real(CERTOLIZUMAB), group_map=CERTOLIZUMAB_MAP)
    assert result.change_request.document["citations"] == ["van-der-heijde-2022"]
    unknown = [w for w in result.warnings if "is not a citation record yet" in w["message"]]
    assert [w["path"] for w in unknown] == [
        f"/protocolSection/referencesModule/references/{i}" for i in (1, 2, 3)
    ]
    assert "PMID 35733363 is not a citation record yet (Robinson PC" in unknown[0]["message"]


def test_reimport_of_a_real_study_shows_only_the_changed_value(editor, reviewer):
    first = import_ctgov_study(
        user=editor, study=real(REMDESIVIR), group_map=REMDESIVIR_MAP, submit=True
    ).change_request
    approve_import(first, reviewer)
    study = real(REMDESIVIR)
    measures = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    measures[5]["classes"][0]["categories"][0]["measurements"][0]["value"] = "13"
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2024-03-01"
    cr = import_ctgov_study(user=editor, study=study, group_map=REMDESIVIR_MAP).change_request
    outcome = "outcomes[key=time-days-to-discharge-from-hospital]"
    assert [c["path"] for c in diff_documents(cr.base_document, cr.document)] == [
        f"{outcome}.values[arm=arm-1].value",
        f"{outcome}.note",  # "last updated 2024-03-01": the changed outcome's date moves
        "notes",
    ]
    assert "values “Remdesivir (RDV), Cohort 1" in cr.rationale and ": 12 → 13" in cr.rationale


def test_an_older_version_than_the_last_import_is_refused(editor, reviewer):
    approve_import(
        import_ctgov_study(user=editor, study=small_study(), submit=True).change_request, reviewer
    )
    older = small_study(last_update="2023-01-01")
    older["protocolSection"]["conditionsModule"]["conditions"] = ["Myeloma"]
    before = row_counts()
    with pytest.raises(ValidationFailed, match="an older version of NCT00000001"):
        import_ctgov_study(user=editor, study=older)
    assert row_counts() == before
