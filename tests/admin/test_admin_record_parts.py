"""Every part of a record document is editable in the admin's forms, and round-trips exactly.

The tests read the form from the rendered page as a browser would (tests/admin/html_form.py),
change what an editor would change and post it, so a field the template forgets to render
fails here. Evidence is the seed (loaded through the pipeline); nothing is invented: a test
that adds or corrects something first removes or blanks it in a revision approved through the
services, then puts the seed's own content back through the admin, so the proposal must equal
the seed document and its diff must be exactly that change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from curation import selectors
from curation.admin.forms import ProposalForms
from curation.models import ChangeRequest
from curation.seed import (
    corrected_document,
    seed_accounts,
    seed_corrections,
    seed_records,
)
from evidence.diff import diff_documents
from tests.factories import revise_approved

from .conftest import change_url
from .html_form import as_post, submitted_data

pytestmark = pytest.mark.django_db

TOPIC = "multiple-myeloma-maintenance"
RATIONALE = "Restores the seed article's content."


@pytest.fixture
def seeded(seed_for_the_module, db):
    """The seed as ``load_seed`` leaves it (loaded once for the module, see tests/conftest)."""


def live(record_type: str, slug: str):
    return selectors.live_record(record_type, slug)


def revise(record_type: str, slug: str, change: Callable[[dict], None]):
    """A revision approved through the services (seed accounts): the state a test starts from."""
    proposer, approver = seed_accounts()
    revise_approved(proposer, approver, record_type, slug, change, why="Test set-up.")
    return live(record_type, slug)


def page_data(client, record_type: str, record) -> dict:
    """The proposal form's data as the browser would send it from the page, with a rationale."""
    page = client.get(change_url(record_type, record))
    assert page.status_code == 200
    data = submitted_data(page.content)
    data["proposal-rationale"] = RATIONALE
    return data


def index(items: list[dict], key: str) -> int:
    return next(i for i, item in enumerate(items) if item["key"] == key)


def without(items: list[dict], key: str) -> list[dict]:
    return [item for item in items if item["key"] != key]


# --- Round trip: every seed record, read from its rendered page ---------------------------------


def test_every_seed_record_round_trips_through_its_page(client, editor, seeded):
    client.force_login(editor)
    records = seed_records()
    assert {record_type for record_type, _ in records} == {
        "citation",
        "intervention",
        "trial",
        "topic",
    }
    for record_type, seed_document in records:
        record = live(record_type, seed_document["slug"])
        data = page_data(client, record_type, record)
        forms = ProposalForms(
            record_type, base_document=record.document, base_version=record.version, data=data
        )
        assert forms.is_valid(), (record.slug, [f.errors for f in forms.all_forms() if f.errors])
        assert diff_documents(record.document, forms.to_document()) == [], record.slug
        # And through the view: the service sees the same document and says so.
        response = client.post(change_url(record_type, record), as_post(data))
        assert response.status_code == 400, record.slug
        assert response.context["forms"].non_field_errors() == [
            "document: the proposal changes nothing"
        ], record.slug
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_the_page_shows_every_part_of_a_trial(client, editor, seeded):
    client.force_login(editor)
    record = live("trial", "calgb-100104")
    html = client.get(change_url("trial", record)).content.decode()
    for name in (
        "findings-0-statement",
        "findings-0-outcomes",
        "conduct_notes-1-patients",
        "regimen-0-0-intervention",
        "regimen-1-0-phase",
        "cell-0-0-note",
        "findings-TOTAL_FORMS",
        "regimen-1-TOTAL_FORMS",
    ):
        assert f'name="{name}"' in html, name
    assert "86 patients from the placebo arm" in html


# --- Adding, editing and removing each part: the diff is exactly that change --------------------


@dataclass
class Case:
    id: str
    record_type: str
    slug: str
    edit: Callable[[dict, dict], None]  # (form data, document shown) -> None
    paths: set[str] | Callable[[dict], set[str]]  # the diff's paths, exactly (from the seed)
    start: Callable[[dict], None] | None = None  # set-up revision before the editor's change
    expect: Callable[[dict], None] = field(default=lambda seed: None)  # seed -> expected


def _add_finding(data, doc):
    # The seed's "second_cancers" finding, put back at its place (position 3).
    new = len(doc["findings"])
    data.update(
        {
            f"findings-{new}-key": "second_cancers",
            f"findings-{new}-statement": "Among those receiving Revlimid maintenance, 25 "
            "secondary primary malignancies were observed, compared to 10 in the placebo arm.",
            f"findings-{new}-kind": "safety",
            f"findings-{new}-ORDER": "3",
        }
    )
    data.setlist(
        f"findings-{new}-outcomes", [str(index(doc["outcomes"], "second_primary_malignancies"))]
    )
    data.setlist(f"findings-{new}-citations", CALGB_REPORTS)


# The seed corrections cite both reports of CALGB 100104 for every finding of the trial.
CALGB_REPORTS = ["mccarthy-2012-nejm", "calgb-100104-updated-analysis-abstract-8523"]


def _cite_finding(data, doc):
    data.setlist(f"findings-{index(doc['findings'], 'longer_ttp')}-citations", CALGB_REPORTS)


def _add_conduct_note(data, doc):
    new = len(doc["conduct_notes"])
    data.update(
        {
            f"conduct_notes-{new}-key": "unblinding",
            f"conduct_notes-{new}-kind": "unblinding",
            f"conduct_notes-{new}-text": "The study was unblinded at 18 months median follow-up.",
            f"conduct_notes-{new}-at_months": "18",
            f"conduct_notes-{new}-ORDER": "1",
        }
    )


def _add_regimen_part(data, doc):
    krd = index(doc["arms"], "krd")
    new = len(doc["arms"][krd]["regimen"])
    data.update(
        {
            f"regimen-{krd}-{new}-intervention": "dexamethasone",
            f"regimen-{krd}-{new}-description": "Dexamethasone maintenance following ASCT",
            f"regimen-{krd}-{new}-phase": "maintenance",
        }
    )


def _seed_document(slug: str) -> dict:
    """A seed record as ``load_seed`` leaves it: its seed file with its corrections made."""
    record_type, document = next((t, d) for t, d in seed_records() if d["slug"] == slug)
    for correction in seed_corrections():
        if (correction["record_type"], correction["slug"]) == (record_type, slug):
            document = corrected_document(document, correction["changes"])[0] or document
    return document


def _seed_section(slug: str, key: str) -> dict:
    return _section_of(_seed_document(slug), key)


def _add_section(data, doc):
    velcade = _seed_section(TOPIC, "velcade")
    new = len(doc["sections"])
    data.update(
        {
            f"sections-{new}-key": "velcade",
            f"sections-{new}-heading": velcade["heading"],
            f"sections-{new}-body": "\r\n\r\n".join(velcade["body"]),  # as a browser sends it
            f"sections-{new}-ORDER": "9",
        }
    )
    data.setlist(f"sections-{new}-interventions", velcade["interventions"])


def _set_section_trials(key: str, trials: list[str]):
    def edit(data, doc):
        # The section's numbered boxes, as chosen by the editor; empty boxes are sent too.
        data.setlist(f"sections-{index(doc['sections'], key)}-trials", [*trials, ""])

    return edit


def _set_body(data, doc):
    section = _seed_section(TOPIC, "revlimid")
    data[f"sections-{index(doc['sections'], 'revlimid')}-body"] = section["body"][0]


def _section_positions(data, doc):
    # The editor numbers the two swapped sections back into the seed's order.
    data[f"sections-{index(doc['sections'], 'revlimid')}-ORDER"] = "1"
    data[f"sections-{index(doc['sections'], 'revlimid-after-asct')}-ORDER"] = "2"


def _remove(prefix: str, list_name: str, key: str):
    def edit(data, doc):
        data[f"{prefix}-{index(doc[list_name], key)}-DELETE"] = "on"

    return edit


def _set(name: Callable[[dict], str], value: str):
    def edit(data, doc):
        data[name(doc)] = value

    return edit


def _finding_of(doc: dict, key: str) -> dict:
    return doc["findings"][index(doc["findings"], key)]


def _section_of(doc: dict, key: str) -> dict:
    return doc["sections"][index(doc["sections"], key)]


def _krd(doc: dict) -> dict:
    return doc["arms"][index(doc["arms"], "krd")]


def _pfs_value(doc: dict) -> dict:
    return doc["outcomes"][index(doc["outcomes"], "pfs")]["values"][0]


def item_paths(list_name: str, key: str) -> Callable[[dict], set[str]]:
    """The diff paths of adding or removing the seed's item: its order and its fields
    (a null field of an added item is no change)."""

    def paths(seed_document: dict) -> set[str]:
        item = seed_document[list_name][index(seed_document[list_name], key)]
        fields = {f"{list_name}[key={key}].{name}" for name, v in item.items() if v is not None}
        return {f"{list_name}[]", *fields}

    return paths


CASES = [
    Case(
        "add a trial finding",
        "trial",
        "calgb-100104",
        start=lambda d: d.update(findings=without(d["findings"], "second_cancers")),
        edit=_add_finding,
        paths=item_paths("findings", "second_cancers"),
    ),
    Case(
        "edit a trial finding's citations",
        "trial",
        "calgb-100104",
        start=lambda d: _finding_of(d, "longer_ttp").update(citations=[]),
        edit=_cite_finding,
        paths={"findings[key=longer_ttp].citations"},
    ),
    Case(
        "remove a trial finding",
        "trial",
        "calgb-100104",
        edit=_remove("findings", "findings", "unblinding_crossover"),
        expect=lambda d: d.update(findings=without(d["findings"], "unblinding_crossover")),
        paths=item_paths("findings", "unblinding_crossover"),
    ),
    Case(
        "add a conduct note",
        "trial",
        "calgb-100104",
        start=lambda d: d.update(conduct_notes=without(d["conduct_notes"], "unblinding")),
        edit=_add_conduct_note,
        paths=item_paths("conduct_notes", "unblinding"),
    ),
    Case(
        "edit a conduct note",
        "trial",
        "calgb-100104",
        start=lambda d: d["conduct_notes"][index(d["conduct_notes"], "crossover")].update(
            patients=None
        ),
        edit=_set(
            lambda d: f"conduct_notes-{index(d['conduct_notes'], 'crossover')}-patients", "86"
        ),
        paths={"conduct_notes[key=crossover].patients"},
    ),
    Case(
        "remove a conduct note",
        "trial",
        "calgb-100104",
        edit=_remove("conduct_notes", "conduct_notes", "crossover"),
        expect=lambda d: d.update(conduct_notes=without(d["conduct_notes"], "crossover")),
        paths=item_paths("conduct_notes", "crossover"),
    ),
    Case(
        "add a regimen part",
        "trial",
        "atlas",
        start=lambda d: _krd(d).update(regimen=_krd(d)["regimen"][:2]),
        edit=_add_regimen_part,
        paths={"arms[key=krd].regimen"},
    ),
    Case(
        "edit a regimen part",
        "trial",
        "atlas",
        start=lambda d: _krd(d)["regimen"][0].update(phase=None),
        edit=_set(lambda d: f"regimen-{index(d['arms'], 'krd')}-0-phase", "maintenance"),
        paths={"arms[key=krd].regimen"},
    ),
    Case(
        "remove a regimen part",
        "trial",
        "atlas",
        edit=_set(lambda d: f"regimen-{index(d['arms'], 'krd')}-1-DELETE", "on"),
        expect=lambda d: _krd(d)["regimen"].pop(1),
        paths={"arms[key=krd].regimen"},
    ),
    Case(
        "edit the note on a single result value",
        "trial",
        "myeloma-xi",
        start=lambda d: _pfs_value(d).update(note=None),
        edit=_set(
            lambda d: f"cell-{index(d['outcomes'], 'pfs')}-0-note",
            _pfs_value(_seed_document("myeloma-xi"))["note"],
        ),
        paths={"outcomes[key=pfs].values[arm=lenalidomide].note"},
    ),
    Case(
        "add a section",
        "topic",
        TOPIC,
        start=lambda d: d.update(sections=without(d["sections"], "velcade")),
        edit=_add_section,
        paths=item_paths("sections", "velcade"),
    ),
    Case(
        "edit a section's body",
        "topic",
        TOPIC,
        start=lambda d: _section_of(d, "revlimid").update(body=[]),
        edit=_set_body,
        paths={"sections[key=revlimid].body"},
    ),
    Case(
        "remove a section",
        "topic",
        TOPIC,
        edit=_remove("sections", "sections", "ninlaro"),
        expect=lambda d: d.update(sections=without(d["sections"], "ninlaro")),
        paths=item_paths("sections", "ninlaro"),
    ),
    Case(
        "reorder sections by position",
        "topic",
        TOPIC,
        start=lambda d: d["sections"].insert(0, d["sections"].pop(1)),
        edit=_section_positions,
        paths={"sections[]"},
    ),
    Case(
        "add a trial to a section",
        "topic",
        TOPIC,
        start=lambda d: _section_of(d, "revlimid-after-asct").update(trials=["ifm-2005-02"]),
        edit=_set_section_trials("revlimid-after-asct", ["ifm-2005-02", "calgb-100104"]),
        paths={"sections[key=revlimid-after-asct].trials"},
    ),
    Case(
        "reorder a section's trials",
        "topic",
        TOPIC,
        start=lambda d: _section_of(d, "revlimid-after-asct")["trials"].reverse(),
        edit=_set_section_trials("revlimid-after-asct", ["ifm-2005-02", "calgb-100104"]),
        paths={"sections[key=revlimid-after-asct].trials"},
    ),
    Case(
        "remove a trial from a section",
        "topic",
        TOPIC,
        edit=_set_section_trials("revlimid-asct-ineligible", ["mm-015"]),
        expect=lambda d: _section_of(d, "revlimid-asct-ineligible").update(trials=["mm-015"]),
        paths={"sections[key=revlimid-asct-ineligible].trials"},
    ),
    Case(
        "add a topic finding",
        "topic",
        TOPIC,
        start=lambda d: d.update(findings=without(d["findings"], "duration-evidence")),
        edit=lambda data, doc: _put_back_topic_finding(data, doc, "duration-evidence", 7),
        paths=item_paths("findings", "duration-evidence"),
    ),
    Case(
        "remove a topic finding",
        "topic",
        TOPIC,
        edit=_remove("findings", "findings", "mrd-tailoring"),
        expect=lambda d: d.update(findings=without(d["findings"], "mrd-tailoring")),
        paths=item_paths("findings", "mrd-tailoring"),
    ),
]


def _put_back_topic_finding(data, doc, key: str, position: int):
    finding = _finding_of(_seed_document(TOPIC), key)
    new = len(doc["findings"])
    data.update(
        {
            f"findings-{new}-key": key,
            f"findings-{new}-statement": finding["statement"],
            f"findings-{new}-kind": finding["kind"],
            f"findings-{new}-note": finding["note"] or "",
            f"findings-{new}-ORDER": str(position),
        }
    )
    data.setlist(f"findings-{new}-trials", finding["trials"])
    data.setlist(f"findings-{new}-citations", finding["citations"])


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_part_is_editable_and_the_diff_is_exactly_that_change(client, editor, seeded, case):
    seed_document = copy.deepcopy(live(case.record_type, case.slug).document)
    record = revise(case.record_type, case.slug, case.start) if case.start else None
    record = record or live(case.record_type, case.slug)
    client.force_login(editor)
    data = page_data(client, case.record_type, record)
    case.edit(data, record.document)
    response = client.post(change_url(case.record_type, record), as_post(data))
    assert response.status_code == 302, (
        response.context and [f.errors for f in response.context["forms"].all_forms() if f.errors],
        response.context and response.context["forms"].non_field_errors(),
    )
    cr = ChangeRequest.objects.get(author=editor)
    assert (cr.status, cr.base_version) == ("submitted", record.version)
    expected = copy.deepcopy(seed_document)
    case.expect(expected)
    assert cr.document == expected
    paths = case.paths(seed_document) if callable(case.paths) else case.paths
    assert {change["path"] for change in diff_documents(cr.base_document, cr.document)} == paths
    assert live(case.record_type, case.slug).version == record.version  # nothing applied yet


# --- Bad input: the error is on the field, and nothing is created -------------------------------


def _post_bad(client, editor, record_type: str, slug: str, edit) -> object:
    record = live(record_type, slug)
    client.force_login(editor)
    data = page_data(client, record_type, record)
    edit(data, record.document)
    response = client.post(change_url(record_type, record), as_post(data))
    assert response.status_code == 400
    assert not ChangeRequest.objects.filter(author=editor).exists()
    assert "Nothing was saved. Please correct" in response.content.decode()
    return response.context["forms"]


def test_a_blank_finding_statement_is_refused_on_that_field(client, editor, seeded):
    forms = _post_bad(
        client, editor, "trial", "calgb-100104", _set(lambda d: "findings-1-statement", "   ")
    )
    assert forms.findings.forms[1].errors["statement"] == ["This field is required."]


def test_duplicate_finding_keys_are_refused_on_the_second_key(client, editor, seeded):
    forms = _post_bad(
        client, editor, "trial", "calgb-100104", _set(lambda d: "findings-2-key", "os_not_reached")
    )
    assert forms.findings.forms[2].errors["key"] == ["key 'os_not_reached' is used twice"]


def test_duplicate_section_keys_are_refused_on_the_second_key(client, editor, seeded):
    forms = _post_bad(client, editor, "topic", TOPIC, _set(lambda d: "sections-1-key", "revlimid"))
    assert forms.sections.forms[1].errors["key"] == ["key 'revlimid' is used twice"]


def test_an_unknown_trial_in_a_section_is_refused_on_that_field(client, editor, seeded):
    def edit(data, doc):
        data.setlist("sections-0-trials", ["myeloma-xi", "no-such-trial", ""])

    forms = _post_bad(client, editor, "topic", TOPIC, edit)
    # The document validator's error on sections[0].trials[1], on that field, naming the box.
    assert forms.sections.forms[0].errors["trials"] == [
        "item 2: no trial with slug 'no-such-trial'"
    ]


def test_a_trial_chosen_twice_in_a_section_is_refused(client, editor, seeded):
    forms = _post_bad(
        client,
        editor,
        "topic",
        TOPIC,
        lambda data, doc: data.setlist("sections-1-trials", ["calgb-100104", "calgb-100104"]),
    )
    assert forms.sections.forms[1].errors["trials"] == [
        "calgb-100104 is chosen twice; choose each one once."
    ]


def test_a_finding_cannot_rest_on_an_outcome_being_removed(client, editor, seeded):
    def edit(data, doc):
        data[f"outcomes-{index(doc['outcomes'], 'os')}-DELETE"] = "on"

    forms = _post_bad(client, editor, "trial", "calgb-100104", edit)
    errors = forms.findings.forms[1].errors["outcomes"]  # os_not_reached rests on os
    assert errors == [
        "the outcome “median overall survival” is removed or empty above; "
        "choose another outcome or none"
    ]


def test_a_regimen_part_needs_its_description(client, editor, seeded):
    forms = _post_bad(
        client, editor, "trial", "atlas", _set(lambda d: "regimen-0-3-phase", "maintenance")
    )
    assert forms.regimens[0].forms[3].errors["description"] == ["This field is required."]


def test_a_bad_number_in_a_conduct_note_is_refused(client, editor, seeded):
    forms = _post_bad(
        client, editor, "trial", "calgb-100104", _set(lambda d: "conduct_notes-0-at_months", "-3")
    )
    assert forms.conduct_notes.forms[0].errors["at_months"] == ["must not be negative"]


# --- Who may post -------------------------------------------------------------------------------


def _section_trial_added(client, seeded_record):
    data = page_data(client, "topic", seeded_record)
    data.setlist("sections-8-trials", ["calgb-100104", ""])
    return as_post(data)


def test_a_reviewer_cannot_post_a_section_change_nor_add_rows(client, editor, reviewer, seeded):
    topic = live("topic", TOPIC)
    # Loading the seed may itself revise the topic (its corrections): count, not "none".
    proposed = ChangeRequest.objects.filter(record_slug=TOPIC, action="revise").count()
    client.force_login(editor)
    data = _section_trial_added(client, topic)
    client.force_login(reviewer)
    response = client.post(change_url("topic", topic), data)
    assert response.status_code == 403
    assert b"only members of the Editors group may propose changes" in response.content
    response = client.post(change_url("topic", topic), {**data, "_add_rows": ["sections"]})
    assert response.status_code == 403
    assert ChangeRequest.objects.filter(record_slug=TOPIC, action="revise").count() == proposed


def test_anonymous_cannot_post_a_section_change(client, editor, seeded):
    topic = live("topic", TOPIC)
    proposed = ChangeRequest.objects.filter(record_slug=TOPIC, action="revise").count()
    client.force_login(editor)
    data = _section_trial_added(client, topic)
    client.logout()
    response = client.post(change_url("topic", topic), data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ChangeRequest.objects.filter(record_slug=TOPIC, action="revise").count() == proposed


# --- More blank rows, keeping what was typed ----------------------------------------------------


def _add_rows(client, url: str, data, target: str):
    response = client.post(url, as_post(data) | {"_add_rows": [target]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "A blank row was added." in html and "Please correct the errors" not in html
    return submitted_data(response.content), html


def test_add_rows_keeps_what_was_typed_and_proposes_nothing(client, editor, seeded):
    """Two findings put back one after the other, with an "Add a finding" in between."""
    record = revise(
        "trial",
        "calgb-100104",
        lambda d: d.update(
            findings=without(without(d["findings"], "os_not_reached"), "longer_ttp")
        ),
    )
    seed_findings = {f["key"]: f for f in _seed_document("calgb-100104")["findings"]}
    client.force_login(editor)
    url = change_url("trial", record)
    data = page_data(client, "trial", record)
    assert data["findings-TOTAL_FORMS"] == "3"  # two findings and one blank row
    data.update(
        {
            "findings-2-key": "longer_ttp",
            "findings-2-statement": seed_findings["longer_ttp"]["statement"],
        }
    )
    data.update({"findings-2-kind": "efficacy", "findings-2-ORDER": "1"})
    data.setlist("findings-2-outcomes", ["0"])
    data.setlist("findings-2-citations", CALGB_REPORTS)
    data.update({"findings-0-ORDER": "3", "findings-1-ORDER": "4"})  # numbering them all
    data, html = _add_rows(client, url, data, "findings")
    assert not ChangeRequest.objects.filter(author=editor).exists()
    assert data["findings-TOTAL_FORMS"] == "4"
    assert data["findings-2-statement"] == seed_findings["longer_ttp"]["statement"]
    assert data.getlist("findings-2-citations") == CALGB_REPORTS
    assert data["proposal-rationale"] == RATIONALE
    data.update(
        {
            "findings-3-key": "os_not_reached",
            "findings-3-statement": seed_findings["os_not_reached"]["statement"],
        }
    )
    data.update(
        {
            "findings-3-kind": "survival",
            "findings-3-ORDER": "2",
            "findings-3-note": seed_findings["os_not_reached"]["note"],
        }
    )
    data.setlist("findings-3-outcomes", ["1"])
    data.setlist("findings-3-citations", CALGB_REPORTS)
    response = client.post(url, as_post(data))
    assert response.status_code == 302
    cr = ChangeRequest.objects.get(author=editor)
    assert cr.document["findings"] == list(seed_findings.values())


def test_add_rows_on_a_new_trial_gives_the_new_arm_its_cells_and_regimen(client, editor, seeded):
    client.force_login(editor)
    url = "/admin/evidence/trial/add/"
    page = client.get(url)
    data = submitted_data(page.content)
    assert data["arms-TOTAL_FORMS"] == "3" and data["regimen-2-TOTAL_FORMS"] == "1"
    data["record-name"] = "typed before adding a row"
    data, html = _add_rows(client, url, data, "arms")
    assert data["arms-TOTAL_FORMS"] == "4"
    assert data["regimen-3-TOTAL_FORMS"] == "1" and data["regimen-3-INITIAL_FORMS"] == "0"
    assert 'name="cell-0-3-value"' in html and 'name="regimen-3-0-description"' in html
    assert data["record-name"] == "typed before adding a row"
    data, html = _add_rows(client, url, data, "regimen-3")
    assert data["regimen-3-TOTAL_FORMS"] == "2"
    data, html = _add_rows(client, url, data, "outcomes-0-comparisons")
    assert data["outcomes-0-comparison_slots"] == "2"
    assert data["cmp-0-1-unit"] == "ratio"  # a new comparison shows its default unit
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_another_trial_box_for_a_section(client, editor, seeded):
    topic = live("topic", TOPIC)
    client.force_login(editor)
    url = change_url("topic", topic)
    data = page_data(client, "topic", topic)
    assert data.getlist("sections-1-trials") == ["ifm-2005-02", "calgb-100104", ""]
    data, html = _add_rows(client, url, data, "sections-1-trials")
    assert data.getlist("sections-1-trials") == ["ifm-2005-02", "calgb-100104", "", ""]
    data, html = _add_rows(client, url, data, "sections")
    assert data["sections-TOTAL_FORMS"] == str(len(topic.document["sections"]) + 2)


def test_enter_in_a_text_box_still_sends_the_form_for_review(client, editor, seeded):
    """Browsers submit with the form's first submit button: it must not be an "Add" one."""
    client.force_login(editor)
    html = client.get(change_url("trial", live("trial", "atlas"))).content.decode()
    form = html[html.index('<form method="post" novalidate>') :]
    first_button = form[form.index("<button") : form.index("</button>")]
    assert 'name="_propose"' in first_button
