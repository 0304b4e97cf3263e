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

import pytest

from curation import selectors
from curation.admin.forms import ProposalForms
from curation.models import ChangeRequest
from curation.seed import (
    seed_accounts,
    seed_records,
)
from evidence.diff import diff_documents
from tests.factories import revise_approved

from .conftest import change_url
from .html_form import as_post, submitted_data
from .record_part_cases import (
    CALGB_REPORTS,
    CASES,
    TOPIC,
    index,
    seed_document_of,
    set_field,
    without,
)

pytestmark = pytest.mark.django_db

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
        client, editor, "trial", "calgb-100104", set_field(lambda d: "findings-1-statement", "   ")
    )
    assert forms.findings.forms[1].errors["statement"] == ["This field is required."]


def test_duplicate_finding_keys_are_refused_on_the_second_key(client, editor, seeded):
    forms = _post_bad(
        client,
        editor,
        "trial",
        "calgb-100104",
        set_field(lambda d: "findings-2-key", "os_not_reached"),
    )
    assert forms.findings.forms[2].errors["key"] == ["key 'os_not_reached' is used twice"]


def test_duplicate_section_keys_are_refused_on_the_second_key(client, editor, seeded):
    forms = _post_bad(
        client, editor, "topic", TOPIC, set_field(lambda d: "sections-1-key", "revlimid")
    )
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
        client, editor, "trial", "atlas", set_field(lambda d: "regimen-0-3-phase", "maintenance")
    )
    assert forms.regimens[0].forms[3].errors["description"] == ["This field is required."]


def test_a_bad_number_in_a_conduct_note_is_refused(client, editor, seeded):
    forms = _post_bad(
        client,
        editor,
        "trial",
        "calgb-100104",
        set_field(lambda d: "conduct_notes-0-at_months", "-3"),
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
    seed_findings = {f["key"]: f for f in seed_document_of("calgb-100104")["findings"]}
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
