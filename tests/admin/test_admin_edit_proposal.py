"""The author edits a proposal sent back for changes, and it goes back to the reviewers."""

from __future__ import annotations

import pytest

from curation import services
from curation.admin.forms import ProposalForms, RationaleForms
from curation.models import Event, Review
from evidence.models import Trial
from tests import documents

from .conftest import messages_of, review_url
from .post_data import form_post_data
from .test_admin_review import propose_pfs

pytestmark = pytest.mark.django_db

# The article's own wording of the more precise PFS figure (38.9 months; see propose_pfs).
PRECISE_SUMMARY = (
    "Revlimid maintenance significantly delayed myeloma progression (38.9 vs 20 months "
    "without progression) but did not improve overall survival."
)


def edit_url(cr) -> str:
    return f"/admin/curation/changerequest/{cr.pk}/edit/"


def edit_data(cr, **changes) -> dict:
    """The POST data of the edit form as shown for ``cr``, with ``changes`` applied."""
    if cr.action == "retract":
        forms = RationaleForms(
            base_version=cr.base_version, rationale=cr.rationale, citations=cr.citations
        )
    else:
        forms = ProposalForms(
            cr.record_type,
            base_document=cr.document,
            base_version=cr.base_version,
            creating=cr.action == "create",
            rationale=cr.rationale,
            citations=cr.citations,
        )
    return {**form_post_data(forms), **changes}


def snapshot(cr) -> tuple:
    cr.refresh_from_db()
    return (cr.status, cr.document, cr.rationale, cr.citations, cr.reviews.count())


@pytest.fixture
def sent_back(admin_trials, editor, reviewer):
    """A revision of Myeloma XI's PFS value that a reviewer sent back to its author."""
    cr = propose_pfs(editor, admin_trials["myeloma_xi"])
    services.request_changes(cr, user=reviewer, comment="Say 38.9 in the summary too.")
    cr.refresh_from_db()
    return cr


def test_author_sees_the_edit_link_and_the_proposed_document(client, editor, sent_back):
    client.force_login(editor)
    review = client.get(review_url(sent_back))
    assert review.context["edit_url"] == edit_url(sent_back)
    assert f'href="{edit_url(sent_back)}"'.encode() in review.content
    page = client.get(edit_url(sent_back))
    assert page.status_code == 200
    forms = page.context["forms"]
    # The proposed value (38.9), not the record's current one (39).
    assert forms.cells[(0, 0)].initial["value"] == 38.9
    assert forms.meta.initial["rationale"] == "The duration section gives 38.9 months."
    assert forms.meta.initial["citations"] == ["jackson-2019-lancet-oncol-myeloma-xi"]
    assert forms.record.fields["slug"].disabled  # a revision never changes the slug
    assert "The duration section gives 38.9 months." in page.content.decode()


def test_author_edits_and_the_request_is_submitted_again(client, editor, admin_trials, sent_back):
    events, record = Event.objects.count(), Trial.objects.get(pk=admin_trials["myeloma_xi"].pk)
    client.force_login(editor)
    data = edit_data(
        sent_back,
        **{
            "record-summary": PRECISE_SUMMARY,
            "proposal-rationale": "The duration section gives 38.9 months; summary updated.",
        },
    )
    response = client.post(edit_url(sent_back), data, follow=True)
    assert response.redirect_chain[-1] == (review_url(sent_back), 302)
    assert any("submitted again" in m for m in messages_of(response))
    sent_back.refresh_from_db()
    assert sent_back.status == "submitted"
    assert sent_back.document["summary"] == PRECISE_SUMMARY
    assert sent_back.document["outcomes"][0]["values"][0]["value"] == 38.9  # kept
    assert sent_back.rationale == "The duration section gives 38.9 months; summary updated."
    assert sent_back.citations == ["jackson-2019-lancet-oncol-myeloma-xi"]
    last = sent_back.reviews.order_by("-pk").first()
    assert (last.kind, last.author) == (Review.Kind.SUBMIT, editor)
    assert Event.objects.count() == events  # nothing is recorded before approval
    assert Trial.objects.get(pk=record.pk).document == record.document
    # The review page now shows the edited summary among the changes.
    assert any(c["path"] == "summary" for c in response.context["changes"])


def test_invalid_document_shows_errors_on_the_field_and_saves_nothing(client, editor, sent_back):
    before = snapshot(sent_back)
    client.force_login(editor)
    # PFS of the Revlimid arm (38.9 as proposed) with an interval that does not contain it.
    data = edit_data(
        sent_back,
        **{
            "outcomes-0-dispersion__kind": "confidence_interval",
            "cell-0-0-low": "40",
            "cell-0-0-high": "45",
        },
    )
    response = client.post(edit_url(sent_back), data)
    assert response.status_code == 400
    errors = response.context["forms"].cells[(0, 0)].errors["low"]
    assert "does not contain the estimate 38.9" in errors[0]
    assert "does not contain the estimate 38.9" in response.content.decode()
    assert snapshot(sent_back) == before


def test_form_errors_and_missing_rationale_save_nothing(client, editor, sent_back):
    before = snapshot(sent_back)
    client.force_login(editor)
    data = edit_data(sent_back, **{"cell-0-0-value": "fifty", "proposal-rationale": "  "})
    response = client.post(edit_url(sent_back), data)
    assert response.status_code == 400
    forms = response.context["forms"]
    assert forms.cells[(0, 0)].errors["value"] == ["Enter a number, such as 53 or 0.52."]
    assert forms.meta.errors["rationale"]
    assert snapshot(sent_back) == before


def test_unknown_citation_error_is_on_the_citations_field(client, editor, sent_back):
    before = snapshot(sent_back)
    client.force_login(editor)
    response = client.post(
        edit_url(sent_back), edit_data(sent_back, **{"proposal-citations": ["no-such-paper"]})
    )
    assert response.status_code == 400
    assert response.context["forms"].meta.errors["citations"]
    assert snapshot(sent_back) == before


@pytest.mark.parametrize("who", ["editor2", "reviewer"])
def test_anyone_but_the_author_is_refused(client, request, who, sent_back):
    before = snapshot(sent_back)
    client.force_login(request.getfixturevalue(who))
    assert client.get(review_url(sent_back)).context["edit_url"] is None
    for response in (
        client.get(edit_url(sent_back)),
        client.post(edit_url(sent_back), edit_data(sent_back, **{"record-summary": "x"})),
        client.post(edit_url(sent_back), edit_data(sent_back, _add_rows="findings")),
    ):
        assert response.status_code == 403
        assert b"only the author (editor) may edit this change request" in response.content
    assert snapshot(sent_back) == before


def test_author_adds_a_row_while_editing_and_nothing_is_saved(client, editor, sent_back):
    before = snapshot(sent_back)
    client.force_login(editor)
    data = edit_data(sent_back, **{"record-summary": PRECISE_SUMMARY, "_add_rows": "findings"})
    response = client.post(edit_url(sent_back), data)
    assert response.status_code == 200
    assert "A blank row was added." in response.content.decode()
    forms = response.context["forms"]
    shown = len(sent_back.document["findings"]) + 1  # the findings and one blank row
    assert forms.findings.total_form_count() == shown + 1
    assert forms.record["summary"].value() == PRECISE_SUMMARY  # what was typed stays
    assert snapshot(sent_back) == before


def test_anonymous_is_sent_to_log_in(client, sent_back):
    before = snapshot(sent_back)
    response = client.post(edit_url(sent_back), edit_data(sent_back, **{"record-summary": "x"}))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert snapshot(sent_back) == before


def test_a_submitted_request_is_not_edited(client, editor, admin_trials):
    cr = propose_pfs(editor, admin_trials["myeloma_xi"])
    before = snapshot(cr)
    client.force_login(editor)
    assert client.get(review_url(cr)).context["edit_url"] is None
    response = client.post(edit_url(cr), edit_data(cr, **{"record-summary": PRECISE_SUMMARY}))
    assert response.status_code == 403
    assert b"a change request that is submitted cannot be edited" in response.content
    assert snapshot(cr) == before


@pytest.mark.parametrize("ending", ["approved", "withdrawn"])
def test_approved_or_withdrawn_requests_are_not_edited(client, editor, reviewer, ending, sent_back):
    services.submit(sent_back, user=editor)
    if ending == "approved":
        services.approve(sent_back, user=reviewer)
    else:
        services.withdraw(sent_back, user=editor)
    before, events = snapshot(sent_back), Event.objects.count()
    client.force_login(editor)
    assert client.get(review_url(sent_back)).context["edit_url"] is None
    data = edit_data(sent_back, **{"record-summary": PRECISE_SUMMARY})
    response = client.post(edit_url(sent_back), data)
    assert response.status_code == 403
    assert f"a change request that is {ending} cannot be edited".encode() in response.content
    assert snapshot(sent_back) == before
    assert Event.objects.count() == events


def test_author_edits_a_proposed_new_record_in_the_create_form(
    client, editor, reviewer, admin_trials
):
    citation = {**documents.mccarthy_2012_citation(), "slug": "mccarthy-2012-nejm-copy"}
    cr = services.propose(
        user=editor,
        record_type="citation",
        action="create",
        document=citation,
        rationale="A copy for the test.",
    )
    services.request_changes(cr, user=reviewer, comment="Use a clearer slug.")
    client.force_login(editor)
    page = client.get(edit_url(cr))
    assert page.status_code == 200
    forms = page.context["forms"]
    assert not forms.record.fields["slug"].disabled  # a new record's slug can still change
    assert forms.record.initial["slug"] == "mccarthy-2012-nejm-copy"
    data = edit_data(cr, **{"record-slug": "mccarthy-2012-nejm-second-copy"})
    response = client.post(edit_url(cr), data)
    assert response.status_code == 302
    cr.refresh_from_db()
    assert (cr.status, cr.record_slug) == ("submitted", "mccarthy-2012-nejm-second-copy")
    assert cr.document["slug"] == "mccarthy-2012-nejm-second-copy"
    assert cr.document["title"] == citation["title"]


def test_a_retraction_edits_only_its_reasons(client, editor, reviewer, admin_trials):
    cr = services.propose(
        user=editor,
        record_type="citation",
        action="retract",
        record="mccarthy-2012-nejm",
        base_version=1,
        rationale="Duplicate.",
    )
    services.request_changes(cr, user=reviewer, comment="Duplicate of what?")
    client.force_login(editor)
    page = client.get(edit_url(cr))
    assert page.status_code == 200
    assert b'name="record-slug"' not in page.content
    assert b"only the reasons can be edited" in page.content
    blank = client.post(edit_url(cr), edit_data(cr, **{"proposal-rationale": ""}))
    assert blank.status_code == 400 and blank.context["forms"].meta.errors["rationale"]
    cr.refresh_from_db()
    assert (cr.status, cr.rationale) == ("changes_requested", "Duplicate.")
    reason = "Entered twice; the other record is the one cited by the trials."
    response = client.post(edit_url(cr), edit_data(cr, **{"proposal-rationale": reason}))
    assert response.status_code == 302
    cr.refresh_from_db()
    assert (cr.status, cr.rationale, cr.document) == ("submitted", reason, None)


def test_a_form_opened_before_a_rebase_is_refused(client, editor, sent_back):
    before = snapshot(sent_back)
    client.force_login(editor)
    data = edit_data(sent_back, **{"proposal-base_version": str(sent_back.base_version - 1)})
    response = client.post(edit_url(sent_back), data)
    assert response.status_code == 409
    assert "reload the page" in " ".join(response.context["forms"].non_field_errors())
    assert snapshot(sent_back) == before


def test_revise_and_resubmit_keeps_nothing_when_the_submission_fails(
    editor, sent_back, monkeypatch
):
    """Saving and submitting are one transaction: a refused submission undoes the edit."""
    from curation.errors import InvalidTransition

    def refuse(*args, **kwargs):
        raise InvalidTransition("refused for the test")

    before = snapshot(sent_back)
    monkeypatch.setattr("curation.services.proposals.submit", refuse)
    with pytest.raises(InvalidTransition):
        services.revise_and_resubmit(
            sent_back,
            user=editor,
            document={**sent_back.document, "summary": PRECISE_SUMMARY},
            rationale="Summary updated.",
        )
    assert snapshot(sent_back) == before
