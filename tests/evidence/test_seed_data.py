"""The seed evidence (evidence/seed_data) validates and carries the article's numbers.

No database: documents are validated with ``validate_document`` and an ``exists`` callback that
knows only the slugs defined by the files loaded before (in manifest load order).

Source: "What is maintenance therapy?" (multiple myeloma), Dr. C.H. Weaver, updated 2/2023.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.documents import RECORD_TYPES, validate_document

SEED_DIR = Path(__file__).resolve().parents[2] / "evidence" / "seed_data"

TRIAL_REGISTRY_IDS = {
    "myeloma-xi": {("ISRCTN", "ISRCTN49407852")},
    "ifm-2005-02": {("NCT", "NCT00430365")},
    "calgb-100104": {("NCT", "NCT00114101")},
    "atlas": {("NCT", "NCT02659293")},
    "gimema-mm-03-05": {("NCT", "NCT01063179")},
    "mm-015": {("NCT", "NCT00405756")},
    "tourmaline-mm3": {("NCT", "NCT02181413")},
    "tourmaline-mm2": {("NCT", "NCT01850524")},
    "hovon-65-gmmg-hd4": {("ISRCTN", "ISRCTN64455289"), ("EudraCT", "2004-000944-26")},
    "bmt-ctn-1302": {("NCT", "NCT02440464")},
}


def record_type_for(rel_path: str) -> str:
    if rel_path.startswith("trials/"):
        return "trial"
    name = rel_path.removesuffix(".json")
    record_type = {
        "citations": "citation",
        "interventions": "intervention",
        "topics": "topic",
    }.get(name)
    assert record_type in RECORD_TYPES, f"no record type for {rel_path}"
    return record_type


def load_order() -> list[str]:
    manifest = json.loads((SEED_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"load_order"}
    return manifest["load_order"]


def load_seed() -> list[tuple[str, str, dict]]:
    """(file, record_type, document) in load order; a trial file holds one document."""
    loaded = []
    for rel_path in load_order():
        data = json.loads((SEED_DIR / rel_path).read_text(encoding="utf-8"))
        docs = [data] if isinstance(data, dict) else data
        assert isinstance(docs, list), rel_path
        record_type = record_type_for(rel_path)
        loaded.extend((rel_path, record_type, doc) for doc in docs)
    return loaded


@pytest.fixture(scope="module")
def seed():
    return load_seed()


@pytest.fixture(scope="module")
def records(seed):
    by_type: dict[str, dict[str, dict]] = {t: {} for t in RECORD_TYPES}
    for _, record_type, doc in seed:
        by_type[record_type][doc["slug"]] = doc
    return by_type


def trial(records, slug: str) -> dict:
    return records["trial"][slug]


def outcome(doc: dict, key: str) -> dict:
    matches = [o for o in doc["outcomes"] if o["key"] == key]
    assert len(matches) == 1, f"{doc['slug']}: outcome {key!r}"
    return matches[0]


def values(out: dict) -> dict[str, object]:
    """arm key -> value (or "NR" when not reached)."""
    return {
        v["arm"]: ("NR" if v["missing"] == "not_reached" else v["value"]) for v in out["values"]
    }


def comparison(out: dict, key: str) -> dict:
    matches = [c for c in out["comparisons"] if c["key"] == key]
    assert len(matches) == 1, f"{out['key']}: comparison {key!r}"
    return matches[0]


# --- Structure ----------------------------------------------------------------------------------


def test_manifest_lists_every_seed_file_in_dependency_order():
    order = load_order()
    on_disk = {p.relative_to(SEED_DIR).as_posix() for p in SEED_DIR.rglob("*.json")}
    assert set(order) == on_disk - {"manifest.json", "corrections.json"}
    assert len(order) == len(set(order))
    assert order[:2] == ["citations.json", "interventions.json"]
    assert order[-1] == "topics.json"
    assert all(p.startswith("trials/") for p in order[2:-1])


def test_every_document_validates_in_load_order_and_is_canonical(seed):
    defined: dict[str, set[str]] = {t: set() for t in RECORD_TYPES}

    def exists(record_type: str, slug: str) -> bool:
        return slug in defined[record_type]

    current_file = None
    pending: list[tuple[str, str]] = []
    for rel_path, record_type, doc in seed:
        if rel_path != current_file:
            # Slugs become visible once their whole file is loaded.
            for t, s in pending:
                defined[t].add(s)
            pending = []
            current_file = rel_path
        canonical = validate_document(record_type, doc, exists)
        assert canonical == doc, f"{rel_path}: {doc.get('slug')} is not in canonical form"
        assert list(doc) == list(canonical), f"{rel_path}: keys not in schema order"
        assert doc["slug"] not in defined[record_type], f"duplicate slug {doc['slug']}"
        assert (record_type, doc["slug"]) not in pending, f"duplicate slug {doc['slug']}"
        pending.append((record_type, doc["slug"]))


def test_trial_files_are_named_after_their_slug(seed):
    for rel_path, record_type, doc in seed:
        if record_type == "trial":
            assert rel_path == f"trials/{doc['slug']}.json"


def test_all_ten_trials_with_registry_ids(records):
    assert set(records["trial"]) == set(TRIAL_REGISTRY_IDS)
    for slug, expected in TRIAL_REGISTRY_IDS.items():
        got = {(r["registry"], r["id"]) for r in trial(records, slug)["registry_ids"]}
        assert got == expected, slug


def test_all_fourteen_citations_in_reference_list_order(seed, records):
    citations = [doc for _, t, doc in seed if t == "citation"]
    assert len(citations) == 14
    topic = records["topic"]["multiple-myeloma-maintenance"]
    assert topic["citations"] == [c["slug"] for c in citations]

    by_number = dict(enumerate(citations, start=1))
    assert by_number[1]["authors"][0] == "Attal M"
    assert (by_number[1]["volume"], by_number[1]["pages"]) == ("366", "1782-1791")
    assert by_number[2]["pages"] == "1770-1781"
    assert by_number[5]["pages"] == "1759-1769"
    assert by_number[6]["kind"] == "editorial"
    assert by_number[6]["authors"] == ["Badros AZ"]
    assert by_number[6]["authors_et_al"] is False
    assert by_number[7]["kind"] == "regulatory_notice"
    assert by_number[7]["url"] is None
    assert "fda.gov/Drugs/DrugSafety/ucm302939.htm" in by_number[7]["note"]
    assert by_number[10]["title"] == by_number[11]["title"]
    assert by_number[10]["authors"] == []
    assert (by_number[11]["volume"], by_number[11]["issue"], by_number[11]["pages"]) == (
        "20",
        "1",
        "57-73",
    )
    assert by_number[13]["doi"] == "10.1200/JCO.2021.39.15_suppl.7003"
    assert by_number[14]["url"] == "https://meetings.asco.org/abstracts-presentations/207304/video"
    assert all(c["authors_et_al"] for n, c in by_number.items() if n in (1, 2, 3, 5, 8, 9, 11, 13))


def test_interventions_by_brand_and_generic_name(records):
    interventions = records["intervention"]
    expected_brands = {
        "lenalidomide": "Revlimid",
        "bortezomib": "Velcade",
        "ixazomib": "Ninlaro",
        "carfilzomib": "Kyprolis",
        "thalidomide": "Thalomid",
    }
    for slug, brand in expected_brands.items():
        assert interventions[slug]["generic_name"] == slug
        assert brand in interventions[slug]["brand_names"]
    for slug in ("melphalan", "prednisone", "dexamethasone", "doxorubicin", "vincristine"):
        assert interventions[slug]["generic_name"] == slug
    assert interventions["ixazomib"]["drug_class"] == "proteasome inhibitor"
    assert interventions["bortezomib"]["drug_class"] == "proteasome inhibitor"
    assert interventions["lenalidomide"]["drug_class"] is None


def test_topic_sections_follow_the_article(records):
    topic = records["topic"]["multiple-myeloma-maintenance"]
    assert topic["title"] == "What is maintenance therapy?"
    assert topic["condition"] == "Multiple myeloma"
    assert topic["source_updated"] == "2023-02"
    trials_in_order = [s for section in topic["sections"] for s in section["trials"]]
    assert set(trials_in_order) == set(TRIAL_REGISTRY_IDS)
    text = json.dumps(topic)
    assert "Recommended Articles" not in topic["summary"]
    assert "Blenrep" not in "".join(b for s in topic["sections"] for b in s["body"])
    assert "2-3 years" in text


# --- Numbers from the article -------------------------------------------------------------------


def test_myeloma_xi(records):
    doc = trial(records, "myeloma-xi")
    assert doc["enrollment"] == 1917
    assert doc["phases"] == ["3"]
    assert doc["design"]["masking"] == "none"
    pfs = outcome(doc, "pfs")
    assert pfs["measure"] == "duration_unspecified"
    assert values(pfs) == {"lenalidomide": 39, "observation": 20}
    assert "38.9" in doc["notes"]


def test_ifm_2005_02(records):
    doc = trial(records, "ifm-2005-02")
    assert doc["enrollment"] == 614
    assert doc["median_follow_up_months"] == 45
    assert values(outcome(doc, "pfs")) == {"lenalidomide": 41, "placebo": 23}
    new_cancers = outcome(doc, "new_cancers")
    assert new_cancers["measure"] == "event_count"
    assert values(new_cancers) == {"lenalidomide": 32, "placebo": 12}
    alive = outcome(doc, "os_alive")
    assert values(alive) == {"lenalidomide": 70, "placebo": 70}
    assert {v["qualifier"] for v in alive["values"]} == {"more_than"}


def test_calgb_100104(records):
    doc = trial(records, "calgb-100104")
    assert doc["enrollment"] == 460
    assert doc["median_follow_up_months"] == 65
    assert values(outcome(doc, "ttp")) == {"lenalidomide": 53, "placebo": 27}
    assert values(outcome(doc, "os")) == {"lenalidomide": "NR", "placebo": 76}
    assert values(outcome(doc, "second_primary_malignancies")) == {
        "lenalidomide": 25,
        "placebo": 10,
    }
    notes = {n["kind"]: n for n in doc["conduct_notes"]}
    assert notes["unblinding"]["at_months"] == 18
    assert notes["crossover"]["patients"] == 86


def test_atlas(records):
    doc = trial(records, "atlas")
    assert doc["enrollment"] == 180
    assert doc["median_follow_up_months"] == 33.8
    assert values(outcome(doc, "progressed")) == {"krd": 25, "lenalidomide": 44}
    assert values(outcome(doc, "pfs")) == {"krd": 59, "lenalidomide": 41}
    assert any(f["kind"] == "cost" and "twice" in f["statement"] for f in doc["findings"])


def test_gimema_mm_03_05(records):
    doc = trial(records, "gimema-mm-03-05")
    assert (doc["enrollment"], doc["enrollment_qualifier"]) == (500, "more_than")
    pfs = outcome(doc, "pfs_3y")
    assert (pfs["measure"], pfs["timepoint"]) == (
        "rate_at_timepoint",
        {"value": 36, "unit": "months"},
    )
    assert values(pfs) == {"vmpt_vt": 56, "vmp": 41}
    assert values(outcome(doc, "cr")) == {"vmpt_vt": 38, "vmp": 24}
    assert values(outcome(doc, "treatment_related_deaths")) == {"vmpt_vt": 4, "vmp": 3}
    os_3y = outcome(doc, "os_3y")
    assert values(os_3y) == {"vmpt_vt": 89, "vmp": 87}
    assert comparison(os_3y, "vmpt_vt_vs_vmp")["significant"] is False
    assert "Revlimid in ASCT Ineligible Patients" in doc["notes"]


def test_mm_015_three_arms(records):
    doc = trial(records, "mm-015")
    assert {a["key"]: a["n"] for a in doc["arms"]} == {"mpr_r": 152, "mpr": 153, "mp": 154}
    assert values(outcome(doc, "pfs")) == {"mpr_r": 31, "mpr": 14, "mp": 13}
    assert values(outcome(doc, "new_cancers")) == {"mpr_r": 7, "mpr": 7, "mp": 3}
    assert doc["enrollment"] is None


def test_tourmaline_mm3(records):
    doc = trial(records, "tourmaline-mm3")
    assert doc["enrollment"] == 656
    rrr = comparison(outcome(doc, "progression_risk"), "ixazomib_vs_placebo")
    assert (rrr["kind"], rrr["unit"], rrr["estimate"]) == ("relative_risk_reduction", "percent", 28)


def test_tourmaline_mm2(records):
    doc = trial(records, "tourmaline-mm2")
    assert doc["enrollment"] == 705
    pfs = outcome(doc, "pfs")
    assert values(pfs) == {"ixazomib_rd": 35, "placebo_rd": 22}
    diff = comparison(pfs, "ixazomib_rd_vs_placebo_rd")
    assert (diff["kind"], diff["unit"], diff["estimate"]) == ("absolute_difference", "months", 13.5)
    assert diff["significant"] is False


def test_hovon_65_gmmg_hd4(records):
    doc = trial(records, "hovon-65-gmmg-hd4")
    assert doc["enrollment"] == 827
    assert doc["median_follow_up_months"] == 41
    cr_induction = outcome(doc, "cr_induction")
    assert cr_induction["treatment_phase"] == "induction"
    assert values(cr_induction) == {"pad": 31, "vad": 15}
    cr_maintenance = outcome(doc, "cr_maintenance")
    assert cr_maintenance["treatment_phase"] == "maintenance"
    assert values(cr_maintenance) == {"pad": 49, "vad": 34}
    assert values(outcome(doc, "pfs")) == {"pad": 35, "vad": 28}
    pfs_sub = outcome(doc, "pfs_creatinine")
    os_sub = outcome(doc, "os_creatinine")
    for sub in (pfs_sub, os_sub):
        assert sub["subgroup"] == "high-risk patients presenting with increased creatinine"
        assert sub["measure"] == "median"
    assert values(pfs_sub) == {"pad": 30, "vad": 13}
    assert values(os_sub) == {"pad": 54, "vad": 21}
    phases = {
        (arm["key"], part["intervention"], part["phase"])
        for arm in doc["arms"]
        for part in arm["regimen"]
    }
    assert ("pad", "bortezomib", "maintenance") in phases
    assert ("vad", "thalidomide", "maintenance") in phases
    assert ("vad", "vincristine", "induction") in phases


def test_bmt_ctn_1302(records):
    doc = trial(records, "bmt-ctn-1302")
    assert doc["phases"] == ["2"]
    assert doc["setting"] == "post_allogeneic_transplant"
    assert doc["design"]["masking"] == "double"
    assert doc["design"]["placebo_controlled"] is True
    assert doc["outcomes"] == []
