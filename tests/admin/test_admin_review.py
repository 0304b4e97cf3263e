"""Reviewing in the admin: the queue, the review page, and every refusal changing nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from curation import services
from curation.models import ChangeRequest, Event
from evidence.models import Trial
from tests import documents

from .conftest import messages_of, review_url

pytestmark = pytest.mark.django_db

QUEUE = "/admin/curation/changerequest/"


def propose_pfs(user, trial, value=38.9, base_version=None, summary=None):
    """A revision of Myeloma XI's PFS value (38.9 is the article's own, more precise figure)."""
    document = documents.myeloma_xi()
    document["outcomes"][0]["values"][0]["value"] = value
    if summary:
        document["summary"] = summary
    return services.propose(
        user=user,
        record_type="trial",
        action="revise",
        record=trial.slug,
        document=document,
        base_version=base_version or trial.version,
        rationale="The duration section gives 38.9 months.",
        citations=["jackson-2019-lancet-oncol-myeloma-xi"],
    )


def assert_unchanged(cr, status, events_before):
    cr.refresh_from_db()
    assert cr.status == status
    assert Event.objects.count() == events_before


@pytest.fixture
def request_(admin_trials, editor):
    return propose_pfs(editor, admin_trials["myeloma_xi"])


# --- The queue --------------------------------------------------------------------------------


def test_queue_lists_submitted_requests_and_filters(
    client, reviewer, admin_trials, editor, request_
):
    other = services.propose(
        user=editor,
        record_type="citation",
        action="revise",
        record="mccarthy-2012-nejm",
        document={**documents.mccarthy_2012_citation(), "pages": "1770-81"},
        base_version=1,
        rationale="Short page range as printed.",
    )
    services.withdraw(other, user=editor)
    client.force_login(reviewer)
    queue = client.get(QUEUE)
    assert queue.status_code == 200
    assert list(queue.context["cl"].result_list) == [request_]  # opens on "submitted"
    every = client.get(QUEUE, {"status": "all"}).context["cl"].result_list
    assert set(every) >= {request_, other}
    assert (
        list(client.get(QUEUE, {"record_type__exact": "citation"}).context["cl"].result_list) == []
    )
    assert list(client.get(QUEUE, {"q": "myeloma"}).context["cl"].result_list) == [request_]
    assert list(client.get(QUEUE, {"age": "day"}).context["cl"].result_list) == [request_]
    assert list(client.get(QUEUE, {"age": "older"}).context["cl"].result_list) == []
    by_author = client.get(QUEUE, {"author__id__exact": reviewer.pk}).context["cl"].result_list
    assert list(by_author) == []


def test_change_requests_cannot_be_added_or_deleted_through_the_admin(client, superuser, request_):
    client.force_login(superuser)
    assert client.get(QUEUE + "add/").status_code == 403
    assert (
        client.post(review_url(request_).replace("change/", "delete/"), {"post": "yes"}).status_code
        == 403
    )
    assert ChangeRequest.objects.filter(pk=request_.pk).exists()


# --- The review page --------------------------------------------------------------------------


def test_review_page_shows_diff_by_labels_rationale_citations_and_buttons(
    client, reviewer, request_
):
    client.force_login(reviewer)
    response = client.get(review_url(request_))
    assert response.status_code == 200
    (change,) = response.context["changes"]
    assert change["label"] == (
        "outcomes “average duration of survival without myeloma progression” › "
        "values “Revlimid maintenance” › value"
    )
    assert (change["old"], change["new"]) == ("39", "38.9")
    html = response.content.decode()
    assert "The duration section gives 38.9 months." in html
    assert "Lenalidomide maintenance versus observation" in html  # citation by its title
    assert [a for a, _ in response.context["buttons"]] == ["approve", "reject", "request_changes"]


def test_author_sees_only_withdraw_and_rebase(client, editor, request_):
    client.force_login(editor)
    response = client.get(review_url(request_))
    assert [a for a, _ in response.context["buttons"]] == ["withdraw", "rebase"]
    assert b'value="approve"' not in response.content


def test_buttons_are_labelled_by_the_workflow(client, editor, reviewer, request_):
    client.force_login(reviewer)
    assert client.get(review_url(request_)).context["buttons"] == [
        ("approve", "Approve"),
        ("reject", "Reject"),
        ("request_changes", "Request changes"),
    ]
    client.force_login(editor)
    assert client.get(review_url(request_)).context["buttons"] == [
        ("withdraw", "Withdraw"),
        ("rebase", "Rebase onto the current version"),
    ]


@pytest.mark.parametrize("action", ["frobnicate", "edit", ""])
def test_an_unknown_action_is_refused_and_changes_nothing(client, editor, request_, action):
    """The edit action is in the workflow, but needs a whole proposal: it has its own page."""
    client.force_login(editor)
    before, reviews_before = Event.objects.count(), request_.reviews.count()
    response = client.post(review_url(request_), {"action": action, "comment": "Why not."})
    assert response.status_code == 400
    assert messages_of(response) == [f"unknown action {action!r}"]
    assert_unchanged(request_, "submitted", before)
    assert request_.reviews.count() == reviews_before


def test_reviewer_approves_and_the_record_changes(client, reviewer, editor, admin_trials, request_):
    client.force_login(reviewer)
    response = client.post(review_url(request_), {"action": "approve", "comment": "Checked."})
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.status == "approved" and request_.decided_by == reviewer
    trial = Trial.objects.get(slug="myeloma-xi")
    assert trial.version == 2
    assert trial.document["outcomes"][0]["values"][0]["value"] == 38.9
    event = Event.objects.get(change_request=request_)
    assert (event.proposer, event.approver) == (editor, reviewer)
    history = client.get(f"/admin/evidence/trial/{trial.pk}/history/")
    assert history.status_code == 200
    html = history.content.decode()
    # The history names who proposed and who approved each version.
    assert "<td>editor</td>" in html and "<td>reviewer</td>" in html


# --- Refusals: a reason, and nothing changes --------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, request_):
    before = Event.objects.count()
    response = client.post(review_url(request_), {"action": "approve"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert_unchanged(request_, "submitted", before)


def test_editor_cannot_approve(client, editor2, request_):
    before = Event.objects.count()
    client.force_login(editor2)
    response = client.post(review_url(request_), {"action": "approve"})
    assert response.status_code == 403
    assert messages_of(response) == [
        "Not done: only members of the Reviewers group may decide on change requests"
    ]
    assert_unchanged(request_, "submitted", before)


def test_nobody_approves_their_own_change_superusers_included(client, superuser, admin_trials):
    cr = propose_pfs(superuser, admin_trials["myeloma_xi"])
    before = Event.objects.count()
    client.force_login(superuser)
    page = client.get(review_url(cr))
    assert "approve" not in [a for a, _ in page.context["buttons"]]
    response = client.post(review_url(cr), {"action": "approve"})
    assert response.status_code == 403
    assert "nobody may decide on their own change request" in messages_of(response)[0]
    assert_unchanged(cr, "submitted", before)


def test_author_in_both_groups_cannot_approve_own_change(client, editor, admin_trials):
    from curation.permissions import REVIEWERS, ensure_groups

    editor.groups.add(ensure_groups()[REVIEWERS])
    cr = propose_pfs(editor, admin_trials["myeloma_xi"])
    before = Event.objects.count()
    client.force_login(editor)
    response = client.post(review_url(cr), {"action": "approve"})
    assert response.status_code == 403
    assert_unchanged(cr, "submitted", before)


def test_reject_and_request_changes_need_a_comment(client, reviewer, request_):
    client.force_login(reviewer)
    for action in ("reject", "request_changes"):
        response = client.post(review_url(request_), {"action": action, "comment": " "})
        assert response.status_code == 400
        assert "comment: say why" in messages_of(response)[0]
        assert_unchanged(request_, "submitted", Event.objects.count())
    response = client.post(
        review_url(request_), {"action": "request_changes", "comment": "Cite the page."}
    )
    assert response.status_code == 302
    request_.refresh_from_db()
    assert request_.status == "changes_requested"
    assert request_.reviews.last().comment == "Cite the page."


def test_double_approval_is_refused_and_writes_one_event(client, reviewer, reviewer2, request_):
    client.force_login(reviewer)
    assert client.post(review_url(request_), {"action": "approve"}).status_code == 302
    before = Event.objects.count()
    client.force_login(reviewer2)
    response = client.post(review_url(request_), {"action": "approve"})
    assert response.status_code == 409
    assert "a change request that is approved cannot be approved" in messages_of(response)[-1]
    assert_unchanged(request_, "approved", before)
    assert Event.objects.filter(change_request=request_).count() == 1


def test_approving_a_withdrawn_request_is_refused(client, editor, reviewer, request_):
    client.force_login(editor)
    assert client.post(review_url(request_), {"action": "withdraw"}).status_code == 302
    before = Event.objects.count()
    client.force_login(reviewer)
    page = client.get(review_url(request_))
    assert page.context["buttons"] == []
    response = client.post(review_url(request_), {"action": "approve"})
    assert response.status_code == 409
    assert "withdrawn cannot be approved" in messages_of(response)[0]
    assert_unchanged(request_, "withdrawn", before)


def test_only_the_author_withdraws(client, editor2, request_):
    client.force_login(editor2)
    response = client.post(review_url(request_), {"action": "withdraw"})
    assert response.status_code == 403
    assert "only the author (editor) may withdraw" in messages_of(response)[0]
    assert_unchanged(request_, "submitted", Event.objects.count())


def test_unknown_action_changes_nothing(client, reviewer, request_):
    client.force_login(reviewer)
    response = client.post(review_url(request_), {"action": "delete"})
    assert response.status_code == 400
    assert_unchanged(request_, "submitted", Event.objects.count())


# --- Stale versions: merged when apart, a plain conflict when they collide --------------------


def test_stale_request_with_colliding_field_shows_conflict_and_is_refused(
    client, editor, editor2, reviewer, reviewer2, admin_trials
):
    trial = admin_trials["myeloma_xi"]
    first = propose_pfs(editor, trial, value=38.9)
    stale = propose_pfs(editor2, trial, value=38)  # both from version 1, same value
    services.approve(first, user=reviewer)
    before = Event.objects.count()
    stale.refresh_from_db()
    assert stale.needs_rebase

    client.force_login(reviewer2)
    page = client.get(review_url(stale))
    check = page.context["check"]
    assert check.conflict and check.current_version == 2
    assert page.context["conflict_fields"] == [
        "outcomes “average duration of survival without myeloma progression” › "
        "values “Revlimid maintenance” › value"
    ]
    html = page.content.decode()
    assert "Conflict: this change cannot be approved" in html
    assert 'value="approve" disabled' in html

    response = client.post(review_url(stale), {"action": "approve"})
    assert response.status_code == 409
    assert (
        "in the same fields: outcomes[key=pfs].values[arm=lenalidomide].value"
        in (messages_of(response)[0])
    )
    assert_unchanged(stale, "submitted", before)


def test_stale_request_on_other_fields_merges_and_rebase_clears_the_flag(
    client, editor, editor2, reviewer, admin_trials
):
    trial = admin_trials["myeloma_xi"]
    services.approve(propose_pfs(editor, trial, value=38.9), user=reviewer)
    summary = "Revlimid maintenance significantly delayed myeloma progression."
    document = documents.myeloma_xi()
    document["summary"] = summary
    stale = services.propose(
        user=editor2,
        record_type="trial",
        action="revise",
        record="myeloma-xi",
        document=document,
        base_version=1,
        rationale="Shorter summary.",
    )
    client.force_login(reviewer)
    page = client.get(review_url(stale))
    assert page.context["check"].conflict is None
    assert "The changes do not overlap" in page.content.decode()

    client.force_login(editor2)
    assert client.post(review_url(stale), {"action": "rebase"}).status_code == 302
    stale.refresh_from_db()
    assert (stale.base_version, stale.needs_rebase) == (2, False)
    assert stale.document["outcomes"][0]["values"][0]["value"] == 38.9
    client.force_login(reviewer)
    assert client.post(review_url(stale), {"action": "approve"}).status_code == 302
    trial = Trial.objects.get(slug="myeloma-xi")
    assert trial.document["summary"] == summary
    assert trial.document["outcomes"][0]["values"][0]["value"] == 38.9


def test_stale_form_save_is_detected_by_its_hidden_base_version(
    client, editor, editor2, reviewer, reviewer2, admin_trials
):
    from .conftest import change_url, proposal_data

    trial = admin_trials["myeloma_xi"]
    client.force_login(editor2)
    stale_form = proposal_data("trial", trial, **{"cell-0-0-value": "38"})  # opened at v1
    services.approve(propose_pfs(editor, trial, value=38.9), user=reviewer)  # now v2
    assert client.post(change_url("trial", trial), stale_form).status_code == 302
    stale = ChangeRequest.objects.get(author=editor2)
    assert stale.base_version == 1
    before = Event.objects.count()
    client.force_login(reviewer2)
    assert client.post(review_url(stale), {"action": "approve"}).status_code == 409
    assert_unchanged(stale, "submitted", before)


# --- Events, history, groups, demo accounts ---------------------------------------------------


def test_event_admin_is_read_only_for_superusers_too(client, superuser, admin_trials):
    event = Event.objects.first()
    client.force_login(superuser)
    assert client.get("/admin/curation/event/").status_code == 200
    assert client.get("/admin/curation/event/add/").status_code == 403
    assert (
        client.post(f"/admin/curation/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    page = client.get(f"/admin/curation/event/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = client.post(f"/admin/curation/event/{event.pk}/change/", {"slug": "x"})
    assert response.status_code == 403
    assert Event.objects.get(pk=event.pk).slug == event.slug


def test_record_links_to_its_events_and_history(client, reviewer, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(reviewer)
    page = client.get(f"/admin/evidence/trial/{trial.pk}/change/")
    html = page.content.decode()
    link = f"/admin/curation/event/?stream_type__exact=trial&amp;stream_id={trial.pk}"
    assert link in html
    events = client.get(link.replace("&amp;", "&"))
    assert list(events.context["cl"].result_list) == list(Event.objects.filter(stream_id=trial.pk))
    assert client.get(f"/admin/evidence/trial/{trial.pk}/history/").status_code == 200


def test_demo_accounts_and_groups(db):
    from django.contrib.auth import get_user_model

    call_command("setup_demo_accounts")
    users = {u.username: u for u in get_user_model().objects.all()}
    assert services.can_propose(users["editor"]) and not services.can_review(users["editor"])
    for name in ("reviewer", "reviewer2"):
        assert services.can_review(users[name]) and not services.can_propose(users[name])
    assert users["admin"].is_superuser
    assert users["editor"].has_perm("evidence.view_trial")
    assert users["reviewer"].has_perm("curation.view_changerequest")
