"""The change-request list's "Approve the selected change requests" action: one action for a
reviewed batch, refused as a whole (with the request named) when one of them may not be."""

from __future__ import annotations

import pytest

from curation import services
from curation.models import ChangeRequest, Event
from tests import documents

from .conftest import messages_of

pytestmark = pytest.mark.django_db

QUEUE = "/admin/curation/changerequest/"


def propose_two(editor, trial):
    made = []
    for field, text in (("notes", "First note."), ("summary", "Second summary.")):
        document = documents.myeloma_xi()
        document[field] = text
        made.append(
            services.propose(
                user=editor,
                record_type="trial",
                action="revise",
                record=trial.slug,
                document=document,
                base_version=trial.version,
                rationale="From the article.",
            )
        )
    return made


def approve_selected(client, user, ids):
    client.force_login(user)
    return client.post(QUEUE, {"action": "approve_selected", "_selected_action": ids}, follow=True)


def test_a_reviewer_approves_the_selected_requests_in_one_action(
    client, admin_trials, editor, reviewer
):
    made = propose_two(editor, admin_trials["myeloma_xi"])
    before = Event.objects.count()
    response = approve_selected(client, reviewer, [cr.pk for cr in made])
    assert response.status_code == 200
    assert "Approved 2 change requests." in messages_of(response)
    assert Event.objects.count() == before + 2
    assert {cr.status for cr in ChangeRequest.objects.filter(pk__in=[c.pk for c in made])} == {
        "approved"
    }


@pytest.mark.parametrize("who", ["editor", "author_as_reviewer"])
def test_a_forbidden_approval_changes_nothing_and_says_why(
    client, admin_trials, editor, reviewer, who
):
    made = propose_two(editor, admin_trials["myeloma_xi"])
    user = editor
    if who == "author_as_reviewer":
        from curation.permissions import REVIEWERS, ensure_groups

        editor.groups.add(ensure_groups()[REVIEWERS])
        user = type(editor).objects.get(pk=editor.pk)
    before = Event.objects.count()
    response = approve_selected(client, user, [cr.pk for cr in made])
    assert Event.objects.count() == before
    text = " ".join(messages_of(response))
    assert "Nothing was approved" in text
    if who == "author_as_reviewer":
        assert f"change request {made[0].pk}" in text and "their own" in text
    else:
        assert "Reviewers group" in text
