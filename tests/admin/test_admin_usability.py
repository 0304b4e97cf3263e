"""What an editor and a reviewer read in the admin (issue 14): controls named by their row
and column, choices that say each thing once, every error at the top in one round, the
rationale marked public beside a note for reviewers only, "Current / Proposed" on the review
page, the conflict state in the queue, and the queue's count on the index."""

from __future__ import annotations

import re

import pytest

from curation import selectors, services
from curation.admin.forms import ProposalForms
from curation.models import ChangeRequest
from tests.factories import revise_approved

from .conftest import change_url, messages_of, proposal_data, review_url
from .test_admin_review import QUEUE, propose_pfs

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


# --- The proposal form -------------------------------------------------------------------------


def test_grid_controls_are_named_by_their_arm_and_outcome(client, editor, admin_trials):
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    forms = client.get(change_url("trial", trial)).context["forms"]
    arm, outcome = forms.arm_headers()[0], forms.grid_rows()[0]["label"]
    value = forms.cells[(0, 0)]["value"]
    assert value.field.widget.attrs["aria-label"] == f"Value, {arm}, {outcome}"
    html = _html(client.get(change_url("trial", trial)))
    assert f'aria-label="Value, {arm}, {outcome}"' in html
    # Every row of a list says which row it is.
    assert 'aria-label="Key, arm 2 (Observation without maintenance)"' in html
    assert re.search(r'aria-label="Kind, comparison 1, [^"]+"', html)


def test_choices_name_each_record_once_and_offer_no_blank_outcome(client, editor, admin_trials):
    client.force_login(editor)
    html = _html(client.get(change_url("trial", admin_trials["myeloma_xi"])))
    assert "Revlimid (lenalidomide)" in html
    assert "(lenalidomide) (lenalidomide)" not in html
    forms = client.get(change_url("trial", admin_trials["myeloma_xi"])).context["forms"]
    outcome_choices = [label for _, label in forms.findings.forms[0].fields["outcomes"].choices]
    assert outcome_choices and not any(label.startswith("New outcome") for label in outcome_choices)
    # Citations are check boxes: a click ticks one and never drops the others.
    assert 'type="checkbox" name="proposal-citations"' in html
    assert '<select name="proposal-citations"' not in html


def test_every_error_is_listed_at_the_top_in_one_round(client, editor, admin_trials):
    """A form error (no rationale) and a validator error (a p-value of 2) in one answer,
    each linking to its field."""
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    data = proposal_data(
        "trial",
        trial,
        **{
            "proposal-rationale": "",
            "cmp-0-0-kind": "hazard_ratio",
            "cmp-0-0-arm": "0",
            "cmp-0-0-reference_arm": "1",
            "cmp-0-0-estimate": "0.5",
            "cmp-0-0-p_value": "2",
        },
    )
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 400
    summary = response.context["forms"].error_summary()
    anchors = {error.anchor: error.message for error in summary}
    assert "id_proposal-rationale" in anchors
    assert "greater than 0 and at most 1" in anchors["id_cmp-0-0-p_value"]
    html = _html(response)
    top = html[html.index('id="error-summary"') : html.index("</ol>", html.index("error-summary"))]
    assert 'href="#id_proposal-rationale"' in top and 'href="#id_cmp-0-0-p_value"' in top
    assert not ChangeRequest.objects.filter(author=editor).exists()


def test_rationale_is_marked_public_and_the_reviewer_note_is_kept_apart(
    client, editor, reviewer, admin_trials
):
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    html = _html(client.get(change_url("trial", trial)))
    assert "Published in the audit trail" in html and "Note for reviewers" in html
    note = "The abstract rounds it; see table 2 of the article."
    data = proposal_data(
        "trial",
        trial,
        **{"record-summary": "A new summary.", "proposal-reviewer_note": note},
    )
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 302, messages_of(response)
    cr = ChangeRequest.objects.get(author=editor)
    assert cr.reviewer_note == note
    client.force_login(reviewer)
    page = _html(client.get(review_url(cr)))
    assert note in page and "not published" in page
    services.approve(cr, user=reviewer)
    assert note not in str(cr.events.get().document)


# --- The review page ----------------------------------------------------------------------------


def test_review_shows_the_current_value_then_before_and_after(
    client, editor, reviewer, reviewer2, admin_trials
):
    trial = admin_trials["myeloma_xi"]
    cr = propose_pfs(editor, trial, summary="Summary of the request.")
    # The record moves on under the request, on the same field: a conflict, where the
    # reviewer must see what the record says now, not what it said at the base version.
    revise_approved(
        editor, reviewer2, "trial", trial.slug, lambda d: d.update(summary="Summary now.")
    )
    client.force_login(reviewer)
    html = _html(client.get(review_url(cr)))
    assert '<th scope="col">Current</th>' in html and '<th scope="col">Proposed</th>' in html
    diff = html[html.index('class="diff"') :]
    row = diff[diff.index(">summary<") : diff.index("</tr>", diff.index(">summary<"))]
    assert "Summary now." in row and "Summary of the request." in row
    response = client.post(review_url(cr), {"action": "reject", "comment": "Not now."})
    assert response.status_code == 302
    html = _html(client.get(review_url(cr)))
    assert '<th scope="col">Before</th>' in html and '<th scope="col">After</th>' in html


def test_approval_says_publication_is_queued_not_done(client, editor, reviewer, admin_trials):
    cr = propose_pfs(editor, admin_trials["myeloma_xi"])
    client.force_login(reviewer)
    response = client.post(review_url(cr), {"action": "approve"}, follow=True)
    said = " ".join(messages_of(response))
    assert "publication is queued" in said and "recorded and published" not in said


def test_diff_values_show_labels_not_codes(client, editor, reviewer, admin_trials):
    trial = admin_trials["myeloma_xi"]
    document = selectors.live_record("trial", trial.slug).document
    document["outcomes"][0]["endpoint"] = "os"
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=trial.version,
        document=document,
        rationale="The article says overall survival.",
    )
    client.force_login(reviewer)
    html = _html(client.get(review_url(cr)))
    row = html[html.index(".endpoint") : html.index("</tr>", html.index(".endpoint"))]
    assert "Overall survival" in row and ">os<" not in row


# --- The queue and the index -------------------------------------------------------------------


def test_queue_shows_the_conflict_state_first(client, editor, reviewer, reviewer2, admin_trials):
    trial = admin_trials["myeloma_xi"]
    cr = propose_pfs(editor, trial)
    revise_approved(editor, reviewer2, "trial", trial.slug, lambda d: d.update(summary="S."))
    ChangeRequest.objects.filter(pk=cr.pk).update(needs_rebase=True)
    client.force_login(reviewer)
    html = _html(client.get(QUEUE))
    row = html[html.index("<tbody>") : html.index("</tr>", html.index("<tbody>"))]
    names = re.findall(r'class="field-(\w+)', row)
    assert names.index("state") < names.index("author")
    assert "needs rebase" in html


def test_index_counts_the_queue_and_links_to_the_published_site(client, editor, admin_trials):
    propose_pfs(editor, admin_trials["myeloma_xi"])
    client.force_login(editor)
    html = _html(client.get("/admin/"))
    assert "1 change request waiting for review" in html
    assert 'href="/published/latest/"' in html
    assert "changerequest/?status=submitted" in html


def test_login_page_has_a_heading(client):
    html = _html(client.get("/admin/login/"))
    assert re.search(r"<h1[^>]*>", html)


def test_a_condition_may_contain_a_bar(client, editor, admin_trials):
    """The bar separates the name, code and coding system; "\\|" is a bar inside the name."""
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    conditions = "Myeloma \\| newly diagnosed\nMultiple myeloma | C90.0 | ICD-10"
    data = proposal_data("trial", trial, **{"record-conditions": conditions})
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 302, messages_of(response)
    document = ChangeRequest.objects.get(author=editor).document
    assert document["conditions"][:2] == [
        {"text": "Myeloma | newly diagnosed", "code": None, "system": None},
        {"text": "Multiple myeloma", "code": "C90.0", "system": "ICD-10"},
    ]
    # Shown again (editing the proposal), the bar inside the name is written as typed.
    shown = ProposalForms("trial", base_document=document, base_version=1)
    assert shown.record["conditions"].value().startswith("Myeloma \\| newly diagnosed\n")


def test_registry_ids_do_not_repeat_the_registry(client, editor, reviewer, admin_trials):
    trial = admin_trials["myeloma_xi"]
    document = selectors.live_record("trial", trial.slug).document
    document["registry_ids"] = [
        *document.get("registry_ids", []),
        {"registry": "ISRCTN", "id": "ISRCTN49407852", "editorial": True},
    ]
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=trial.version,
        document=document,
        rationale="The registry lists it.",
    )
    client.force_login(reviewer)
    html = _html(client.get(review_url(cr)))
    assert "ISRCTN49407852 (editorial)" in html
    assert "ISRCTN ISRCTN" not in html and "NCT NCT" not in html
