"""Editing evidence in the admin: saving proposes, it never writes the record."""

from __future__ import annotations

import pytest

from curation.models import ChangeRequest, Event
from evidence.models import Trial

from .conftest import change_url, messages_of, proposal_data, review_url

pytestmark = pytest.mark.django_db


def test_editor_sees_the_proposal_form_with_the_results_grid(client, editor, admin_trials):
    client.force_login(editor)
    response = client.get(change_url("trial", admin_trials["myeloma_xi"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="cell-0-0-value"' in html and 'value="39"' in html
    assert 'name="proposal-rationale"' in html
    assert 'name="proposal-base_version"' in html


def test_saving_opens_a_submitted_change_request_and_leaves_the_record(
    client, editor, admin_trials
):
    trial = admin_trials["myeloma_xi"]
    events = Event.objects.count()
    client.force_login(editor)
    data = proposal_data("trial", trial, **{"cell-0-0-value": "38.9"})
    response = client.post(change_url("trial", trial), data, follow=True)
    cr = ChangeRequest.objects.get(record_slug="myeloma-xi", author=editor)
    assert response.redirect_chain[-1][0] == review_url(cr)
    assert cr.status == "submitted" and cr.base_version == trial.version
    assert cr.document["outcomes"][0]["values"][0]["value"] == 38.9
    assert cr.rationale == "The source article says so."
    assert any("waits for a reviewer" in m for m in messages_of(response))
    assert Event.objects.count() == events
    assert Trial.objects.get(pk=trial.pk).document == trial.document


def test_supporting_citations_are_kept_on_the_request(client, editor, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(editor)
    data = proposal_data(
        "trial",
        trial,
        **{"record-enrollment": "461", "proposal-citations": ["mccarthy-2012-nejm"]},
    )
    client.post(change_url("trial", trial), data)
    assert ChangeRequest.objects.get(author=editor).citations == ["mccarthy-2012-nejm"]


def test_rationale_is_required(client, editor, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(editor)
    data = proposal_data("trial", trial, **{"record-enrollment": "461"})
    data["proposal-rationale"] = "   "
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 400
    assert response.context["forms"].meta.errors["rationale"]
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_schema_errors_appear_on_the_grid_cell(client, editor, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(editor)
    # OS of the placebo arm: 76 months, with an interval that does not contain it.
    data = proposal_data(
        "trial",
        trial,
        **{
            "outcomes-1-dispersion__kind": "confidence_interval",
            "cell-1-1-low": "80",
            "cell-1-1-high": "90",
        },
    )
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 400
    forms = response.context["forms"]
    assert "does not contain the estimate 76" in forms.cells[(1, 1)].errors["low"][0]
    assert "does not contain the estimate 76" in response.content.decode()
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_form_errors_name_the_field(client, editor, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(editor)
    data = proposal_data("trial", trial, **{"cell-0-0-value": "fifty"})
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 400
    assert response.context["forms"].cells[(0, 0)].errors["value"] == [
        "Enter a number, such as 53 or 0.52."
    ]


def test_a_proposal_that_changes_nothing_is_refused(client, editor, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(editor)
    response = client.post(change_url("trial", trial), proposal_data("trial", trial))
    assert response.status_code == 400
    assert "document: the proposal changes nothing" in response.context["forms"].non_field_errors()
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_reviewer_cannot_edit_a_record(client, reviewer, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(reviewer)
    page = client.get(change_url("trial", trial))
    assert page.status_code == 200 and b"cell-0-0-value" not in page.content  # read-only
    response = client.post(
        change_url("trial", trial), proposal_data("trial", trial, **{"record-enrollment": "1"})
    )
    assert response.status_code == 403
    assert b"only members of the Editors group may propose changes" in response.content
    assert not ChangeRequest.objects.filter(author=reviewer).exists()
    assert client.post("/admin/evidence/trial/add/", {}).status_code == 403


def test_anonymous_is_sent_to_log_in(client, admin_trials):
    trial = admin_trials["calgb"]
    response = client.post(change_url("trial", trial), proposal_data("trial", trial))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not ChangeRequest.objects.filter(record_slug="calgb-100104", action="revise").exists()


def test_nobody_deletes_or_reverts_records(client, superuser, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(superuser)
    response = client.post(f"/admin/evidence/trial/{trial.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Trial.objects.filter(pk=trial.pk).exists()


def test_editor_creates_a_new_trial_in_one_form(client, editor, admin_trials):
    client.force_login(editor)
    assert client.get("/admin/evidence/trial/add/").status_code == 200
    data = proposal_data(
        "trial",
        None,
        **{
            "record-slug": "myeloma-xi-copy",
            "record-name": "Myeloma XI (copy for the test)",
            "record-setting": "newly_diagnosed_mixed",
            "record-population": "Patients with newly diagnosed multiple myeloma.",
            "arms-0-key": "lenalidomide",
            "arms-0-label": "Revlimid maintenance",
            "arms-0-role": "experimental",
            "arms-1-key": "observation",
            "arms-1-label": "Observation",
            "arms-1-role": "observation",
            "outcomes-0-key": "pfs",
            "outcomes-0-endpoint": "pfs",
            "outcomes-0-title": "average duration of survival without myeloma progression",
            "outcomes-0-measure": "duration_unspecified",
            "outcomes-0-unit": "months",
            "cell-0-0-value": "39",
            "cell-0-1-value": "20",
        },
    )
    response = client.post("/admin/evidence/trial/add/", data)
    assert response.status_code == 302
    cr = ChangeRequest.objects.get(author=editor)
    assert cr.action == "create" and cr.status == "submitted"
    assert [v["value"] for v in cr.document["outcomes"][0]["values"]] == [39, 20]
    assert not Trial.objects.filter(slug="myeloma-xi-copy").exists()


def test_new_trial_errors_land_on_arm_rows(client, editor, admin_trials):
    client.force_login(editor)
    data = proposal_data(
        "trial",
        None,
        **{
            "record-slug": "new-trial",
            "record-name": "New trial",
            "record-setting": "relapsed",
            "record-population": "Patients.",
            "arms-0-key": "same",
            "arms-0-label": "First",
            "arms-0-role": "experimental",
            "arms-1-key": "same",
            "arms-1-label": "Second",
            "arms-1-role": "control",
        },
    )
    response = client.post("/admin/evidence/trial/add/", data)
    assert response.status_code == 400
    assert response.context["forms"].arms.forms[1].errors["key"] == ["key 'same' is used twice"]
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_citation_edit_proposes_too(client, editor, admin_trials):
    from evidence.models import Citation

    citation = Citation.objects.get(slug="mccarthy-2012-nejm")
    client.force_login(editor)
    data = proposal_data("citation", citation, **{"record-year": "1700"})
    response = client.post(change_url("citation", citation), data)
    assert response.status_code == 400
    assert response.context["forms"].record.errors["year"] == [
        "must be a year between 1800 and 2100"
    ]
    data["record-year"] = "2012"
    data["record-pages"] = "1770-81"
    assert client.post(change_url("citation", citation), data).status_code == 302
    assert ChangeRequest.objects.get(author=editor).document["pages"] == "1770-81"


def test_trial_list_shows_settings_as_readers_see_them_and_filters_by_them(
    client, editor, admin_trials
):
    client.force_login(editor)
    page = client.get("/admin/evidence/trial/").content.decode()
    assert "After autologous stem-cell transplant" in page
    assert "Newly diagnosed patients" in page
    assert "post_autologous_transplant</td>" not in page

    filtered = client.get("/admin/evidence/trial/", {"setting": "newly_diagnosed_mixed"})
    assert filtered.status_code == 200
    shown = [trial.slug for trial in filtered.context["cl"].result_list]
    assert shown == [admin_trials["myeloma_xi"].slug]

    unknown = client.get("/admin/evidence/trial/", {"setting": "no-such-setting"})
    assert unknown.status_code == 200
    assert list(unknown.context["cl"].result_list) == []
