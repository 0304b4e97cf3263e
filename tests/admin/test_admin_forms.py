"""document -> form data -> document, and service errors placed on form fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from curation.admin.forms import NumberField, ProposalForms, document_to_initial, paragraphs
from evidence.documents import validate_document
from tests import documents

from .post_data import form_post_data

SEED_TRIALS = sorted(
    (Path(__file__).resolve().parents[2] / "evidence/seed_data/trials").glob("*.json")
)


def as_query(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in data.items():
        if isinstance(value, list):
            query.setlist(name, value)
        else:
            query[name] = value
    return query


def round_trip(record_type: str, document: dict, **changes) -> ProposalForms:
    shown = ProposalForms(record_type, base_document=document, base_version=1)
    data = form_post_data(shown)
    data["proposal-rationale"] = "Checked against the source."
    data.update(changes)
    bound = ProposalForms(record_type, base_document=document, base_version=1, data=as_query(data))
    errors = [(f.prefix, f.errors) for f in bound.all_forms() if f.errors]
    assert bound.is_valid(), errors
    return bound


@pytest.mark.parametrize(
    "make", [documents.calgb_100104, documents.myeloma_xi], ids=["calgb", "myeloma_xi"]
)
def test_trial_round_trip_is_lossless(db, make):
    document = validate_document("trial", make())
    assert round_trip("trial", document).to_document() == document


@pytest.mark.parametrize("path", SEED_TRIALS, ids=lambda p: p.stem)
def test_seed_trials_round_trip(db, path):
    document = validate_document("trial", json.loads(path.read_text()))
    assert round_trip("trial", document).to_document() == document


SEED_LISTS = [
    (path, record_type)
    for name, record_type in (
        ("citations.json", "citation"),
        ("interventions.json", "intervention"),
        ("topics.json", "topic"),
    )
    if (path := SEED_TRIALS[0].parents[1] / name if SEED_TRIALS else None) and path.exists()
]


@pytest.mark.parametrize(("path", "record_type"), SEED_LISTS, ids=lambda v: str(v))
def test_seed_records_of_every_type_round_trip(db, path, record_type):
    for item in json.loads(path.read_text()):
        document = validate_document(record_type, item)
        assert round_trip(record_type, document).to_document() == document


@pytest.mark.parametrize(
    ("record_type", "document"),
    [
        ("citation", documents.mccarthy_2012_citation()),
        ("intervention", documents.article_lenalidomide()),
    ],
)
def test_other_record_types_round_trip(db, record_type, document):
    document = validate_document(record_type, document)
    assert round_trip(record_type, document).to_document() == document


def test_whole_numbers_stay_whole_and_decimals_stay_decimal():
    field = NumberField()
    assert field.clean("53") == 53 and isinstance(field.clean("53"), int)
    assert field.clean("0.52") == 0.52
    assert field.clean("") is None
    with pytest.raises(Exception, match="Enter a number"):
        field.clean("about 40")
    with pytest.raises(Exception, match="Enter a number"):
        field.clean("NaN")


@pytest.mark.parametrize(
    "text, expected",
    [
        (".5", 0.5),
        ("+7", 7),
        ("-3", -3),
        ("1.5E-2", 0.015),
        (" 12 ", 12),
        ("9" * 40, int("9" * 40)),
    ],
)
def test_numbers_as_sources_print_them(text, expected):
    assert NumberField().clean(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("١٢", "Enter a number"),  # digits of another script: Python's \d accepts them
        ("²", "Enter a number"),
        ("1_000", "Enter a number"),
        ("1e400", "Enter a number"),  # no finite value
        ("inf", "Enter a number"),
        ("9" * 41, "at most 40 characters"),
        ("9" * 5000, "at most 40 characters"),  # int() would refuse it with a ValueError
    ],
)
def test_numbers_a_source_cannot_print_are_form_errors(text, message):
    with pytest.raises(ValidationError, match=message):
        NumberField().clean(text)


def test_editing_a_cell_changes_only_that_value_and_keeps_what_forms_do_not_show(db):
    document = validate_document("trial", documents.myeloma_xi())
    proposed = round_trip("trial", document, **{"cell-0-0-value": "38.9"}).to_document()
    value = proposed["outcomes"][0]["values"][0]
    assert value["value"] == 38.9
    # The per-value note has its own field in the cell, and stays as it was.
    assert value["note"] == document["outcomes"][0]["values"][0]["note"]
    proposed["outcomes"][0]["values"][0]["value"] = 39
    assert proposed == document


def test_regimens_findings_and_conduct_notes_survive_a_renamed_arm(db):
    document = validate_document("trial", documents.calgb_100104())
    proposed = round_trip("trial", document, **{"arms-1-key": "pbo"}).to_document()
    assert proposed["arms"][1]["key"] == "pbo"
    assert proposed["arms"][1]["regimen"] == document["arms"][1]["regimen"]
    assert [v["arm"] for v in proposed["outcomes"][0]["values"]] == ["lenalidomide", "pbo"]
    assert proposed["outcomes"][0]["comparisons"][0]["reference_arm"] == "pbo"
    assert proposed["findings"] == document["findings"]
    assert proposed["conduct_notes"] == document["conduct_notes"]


def test_a_new_trial_from_forms_with_grid_and_comparison(db):
    shown = ProposalForms("trial", base_document=None, base_version=0)
    data = form_post_data(shown)
    data.update(
        {
            "proposal-rationale": "New trial from the source article.",
            "record-slug": "calgb-100104",
            "record-name": "CALGB 100104",
            "record-setting": "post_autologous_transplant",
            "record-population": "Patients age 71 or younger after transplantation.",
            "record-enrollment": "460",
            "arms-0-key": "lenalidomide",
            "arms-0-label": "Revlimid",
            "arms-0-role": "experimental",
            "arms-1-key": "placebo",
            "arms-1-label": "Placebo",
            "arms-1-role": "placebo",
            "outcomes-0-key": "os",
            "outcomes-0-endpoint": "os",
            "outcomes-0-title": "median overall survival",
            "outcomes-0-measure": "median",
            "outcomes-0-unit": "months",
            "cell-0-0-missing": "not_reached",
            "cell-0-1-value": "76",
            "cmp-0-0-kind": "absolute_difference",
            "cmp-0-0-arm": "0",
            "cmp-0-0-reference_arm": "1",
            "cmp-0-0-unit": "months",
            "cmp-0-0-significant": "true",
        }
    )
    forms = ProposalForms("trial", base_document=None, base_version=0, data=as_query(data))
    assert forms.is_valid(), [(f.prefix, f.errors) for f in forms.all_forms() if f.errors]
    document = validate_document("trial", forms.to_document())
    assert [arm["key"] for arm in document["arms"]] == ["lenalidomide", "placebo"]
    (outcome,) = document["outcomes"]
    assert [(v["arm"], v["value"], v["missing"]) for v in outcome["values"]] == [
        ("lenalidomide", None, "not_reached"),
        ("placebo", 76, None),
    ]
    (comparison,) = outcome["comparisons"]
    assert comparison["key"] == "lenalidomide_vs_placebo"
    assert (comparison["arm"], comparison["reference_arm"]) == ("lenalidomide", "placebo")
    assert comparison["significant"] is True


def test_service_error_paths_land_on_the_right_fields(db):
    document = validate_document("trial", documents.calgb_100104())
    forms = round_trip("trial", document)
    forms.to_document()
    forms.add_errors(
        [
            {"path": "document.outcomes[1].values[1].low", "message": "low above high"},
            {"path": "document.outcomes[0].comparisons[0].p_value", "message": "bad p"},
            {"path": "document.arms[0].label", "message": "bad label"},
            {"path": "document.outcomes[1].title", "message": "bad outcome title"},
            {"path": "document.design.masking", "message": "bad masking"},
            {"path": "document.citations[0]", "message": "no citation"},
            {"path": "document.findings[0].key", "message": "duplicate key"},
            {"path": "document.arms", "message": "arm sizes add up to too many"},
            {"path": "rationale", "message": "say why"},
        ]
    )
    assert forms.cells[(1, 1)].errors["low"] == ["low above high"]
    assert forms.comparisons[(0, 0)].errors["p_value"] == ["bad p"]
    assert forms.arms.forms[0].errors["label"] == ["bad label"]
    assert forms.outcomes.forms[1].errors["title"] == ["bad outcome title"]
    assert forms.record.errors["design__masking"] == ["bad masking"]
    assert forms.record.errors["citations"] == ["item 1: no citation"]
    assert forms.meta.errors["rationale"] == ["say why"]
    assert forms.findings.forms[0].errors["key"] == ["duplicate key"]
    assert forms.non_field_errors() == ["document.arms: arm sizes add up to too many"]


def test_paths_into_nested_objects_land_on_their_fields(db):
    """Schema 2's nested objects (timepoint, dispersion, source, dates) are edited as
    ``group__field`` form fields; an error about the whole object lands on its first field."""
    document = validate_document("trial", documents.calgb_100104())
    forms = round_trip("trial", document)
    forms.to_document()
    forms.add_errors(
        [
            {"path": "document.outcomes[0].timepoint.unit", "message": "not a time"},
            {"path": "document.outcomes[1].dispersion", "message": "whole dispersion"},
            {"path": "document.outcomes[0].values[1].source", "message": "name a source"},
            {"path": "document.outcomes[0].values[0].source.pointer", "message": "bad pointer"},
            {"path": "document.outcomes[0].comparisons[0].source.page", "message": "bad page"},
            {"path": "document.dates.start", "message": "whole date"},
            {"path": "document.dates.completion.type", "message": "bad type"},
            {"path": "document.design.masked_roles[1]", "message": "bad role"},
            {"path": "document.phases[0]", "message": "bad phase"},
            {"path": "document.registry_ids[1].id", "message": "bad id"},
            {"path": "document.conditions[0].system", "message": "needs a system"},
            {"path": "document.outcomes[1].citations[0]", "message": "no citation 'x'"},
        ]
    )
    outcomes = forms.outcomes.forms
    assert outcomes[0].errors["timepoint__unit"] == ["not a time"]
    assert outcomes[1].errors["dispersion__kind"] == ["whole dispersion"]
    assert outcomes[1].errors["citations"] == ["item 1: no citation 'x'"]
    assert forms.cells[(0, 1)].errors["source__citation"] == ["name a source"]
    assert forms.cells[(0, 0)].errors["source__pointer"] == ["bad pointer"]
    assert forms.comparisons[(0, 0)].errors["source__page"] == ["bad page"]
    record = forms.record.errors
    assert record["dates__start__date"] == ["whole date"]
    assert record["dates__completion__type"] == ["bad type"]
    assert record["design__masked_roles"] == ["item 2: bad role"]
    assert record["phases"] == ["item 1: bad phase"]
    assert record["registry_ids"] == ["item 2: bad id"]
    assert record["conditions"] == ["item 1: needs a system"]
    assert forms.non_field_errors() == []


def test_initial_grid_positions_follow_arms_and_outcomes():
    initial = document_to_initial("trial", validate_document("trial", documents.calgb_100104()))
    assert initial["cells"][(1, 0)]["missing"] == "not_reached"
    assert initial["cells"][(1, 1)]["value"] == 76
    assert initial["comparisons"][(0, 0)]["arm"] == "0"
    assert initial["comparisons"][(0, 0)]["reference_arm"] == "1"


SEED_DIR = SEED_TRIALS[0].parents[1] if SEED_TRIALS else None


def seed_document(name: str, slug: str | None = None) -> dict:
    data = json.loads((SEED_DIR / name).read_text())
    return next(d for d in data if d["slug"] == slug) if isinstance(data, list) else data


def test_errors_on_the_new_parts_land_on_their_fields(db):
    trial = validate_document("trial", seed_document("trials/atlas.json"))
    forms = round_trip("trial", trial)
    forms.to_document()
    forms.add_errors(
        [
            {"path": "document.findings[1].statement", "message": "bad statement"},
            {"path": "document.findings[0].outcomes[1]", "message": "no outcome 'x'"},
            {"path": "document.conduct_notes[0].at_months", "message": "unused"},
            {"path": "document.arms[0].regimen[2].intervention", "message": "no such drug"},
            {"path": "document.outcomes[0].values[0].note", "message": "bad note"},
        ]
    )
    assert forms.findings.forms[1].errors["statement"] == ["bad statement"]
    assert forms.findings.forms[0].errors["outcomes"] == ["item 2: no outcome 'x'"]
    assert forms.regimens[0].forms[2].errors["intervention"] == ["no such drug"]
    assert forms.cells[(0, 0)].errors["note"] == ["bad note"]
    # ATLAS has no conduct notes: an error about one has no field and is shown above the form.
    assert forms.non_field_errors() == ["document.conduct_notes[0].at_months: unused"]

    topic = validate_document("topic", seed_document("topics.json", "multiple-myeloma-maintenance"))
    forms = round_trip("topic", topic)
    forms.to_document()
    forms.add_errors(
        [
            {"path": "document.sections[3].trials[1]", "message": "no trial with slug 'x'"},
            {"path": "document.sections[1].key", "message": "key 'revlimid' is used twice"},
            {"path": "document.findings[2].trials[0]", "message": "no trial 'y'"},
        ]
    )
    assert forms.sections.forms[3].errors["trials"] == ["item 2: no trial with slug 'x'"]
    assert forms.sections.forms[1].errors["key"] == ["key 'revlimid' is used twice"]
    assert forms.findings.forms[2].errors["trials"] == ["item 1: no trial 'y'"]


def test_errors_follow_items_moved_by_position(db):
    """Error paths index the proposed document; a moved row still gets its own error."""
    topic = validate_document("topic", seed_document("topics.json", "multiple-myeloma-maintenance"))
    forms = round_trip("topic", topic, **{"sections-0-ORDER": "3"})  # first section to third
    proposed = forms.to_document()
    assert [s["key"] for s in proposed["sections"][:3]] == [
        "revlimid-after-asct",
        "krd-after-asct",
        "revlimid",
    ]
    forms.add_errors([{"path": "document.sections[2].heading", "message": "too short"}])
    assert forms.sections.forms[0].errors["heading"] == ["too short"]


def test_body_paragraphs_are_separated_by_blank_lines():
    assert paragraphs("One.\r\n\r\nTwo.") == ["One.", "Two."]
    assert paragraphs("One.\n  \n\n\nTwo,\nstill two.\n") == ["One.", "Two,\nstill two."]
    assert paragraphs("  \n") == [] and paragraphs(None) == []
