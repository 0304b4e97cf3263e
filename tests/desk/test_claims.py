"""Claiming, taking over, and deciding on a claimed request (curation.services.claims)."""

from __future__ import annotations

import pytest

from curation import services
from curation.errors import ClaimedByOther, InvalidTransition, PermissionDenied, ValidationFailed
from curation.models import Notification

from .conftest import propose

pytestmark = pytest.mark.django_db


def test_a_reviewer_claims_and_gives_up_a_request(people, submitted):
    cr = services.claim(submitted, user=people["reviewer"])
    assert cr.claimed_by == people["reviewer"] and cr.claimed_at is not None
    assert services.claim(cr.pk, user=people["reviewer"]).claimed_by == people["reviewer"]
    cr = services.unclaim(cr.pk, user=people["reviewer"])
    cr.refresh_from_db()
    assert cr.claimed_by is None and cr.claimed_at is None
    # The claim is in the request's history with who made it.
    assert list(cr.history.values_list("claimed_by__username", flat=True)[:2]) == [
        None,
        "reviewer",
    ]


def test_the_author_cannot_claim_their_own_request(people):
    from django.contrib.auth.models import Group

    both = people["reviewer"]  # an editor who is also a reviewer
    both.groups.add(Group.objects.get(name="Editors"))
    cr = propose(type(both).objects.get(pk=both.pk))
    with pytest.raises(PermissionDenied, match="nobody may claim their own"):
        services.claim(cr, user=type(both).objects.get(pk=both.pk))


@pytest.mark.parametrize("who", ["editor2", "consumer", "anonymous"])
def test_only_reviewers_claim(people, submitted, who):
    from django.contrib.auth.models import AnonymousUser

    from tests.conftest import make_user

    user = {
        "editor2": lambda: make_user("editor2", "Editors"),
        "consumer": lambda: people["consumer"],
        "anonymous": AnonymousUser,
    }[who]()
    with pytest.raises(PermissionDenied):
        services.claim(submitted, user=user)
    submitted.refresh_from_db()
    assert submitted.claimed_by is None


@pytest.mark.parametrize("step", ["approve", "reject", "withdraw", "draft"])
def test_a_decided_withdrawn_or_unsubmitted_request_cannot_be_claimed(people, step):
    cr = propose(people["editor"], submit=step != "draft")
    if step == "approve":
        services.approve(cr, user=people["reviewer2"])
    elif step == "reject":
        services.reject(cr, user=people["reviewer2"], comment="no")
    elif step == "withdraw":
        services.withdraw(cr, user=people["editor"])
    with pytest.raises(InvalidTransition, match="cannot be claimed"):
        services.claim(cr, user=people["reviewer"])


def test_claimed_by_another_is_refused_unless_taken_over(people, submitted):
    services.claim(submitted, user=people["reviewer"])
    with pytest.raises(ClaimedByOther, match="reviewer has this change request in review"):
        services.claim(submitted, user=people["reviewer2"])
    cr = services.claim(submitted, user=people["reviewer2"], take_over=True)
    assert cr.claimed_by == people["reviewer2"]
    told = Notification.objects.get(kind="taken_over")
    assert told.recipient == people["reviewer"] and told.actor == people["reviewer2"]
    assert "taken over by reviewer2" in told.subject


def test_take_over_must_be_a_boolean(people, submitted):
    with pytest.raises(ValidationFailed) as caught:
        services.claim(submitted, user=people["reviewer"], take_over="yes")
    assert caught.value.errors == [{"path": "take_over", "message": "must be true or false"}]


def test_unclaim_rules(people, submitted):
    with pytest.raises(InvalidTransition, match="not claimed"):
        services.unclaim(submitted, user=people["reviewer"])
    services.claim(submitted, user=people["reviewer"])
    with pytest.raises(PermissionDenied, match="only they may give it up"):
        services.unclaim(submitted, user=people["reviewer2"])
    with pytest.raises(PermissionDenied):
        services.unclaim(submitted, user=people["editor"])


@pytest.mark.parametrize("action", ["approve", "reject", "request_changes"])
def test_deciding_on_a_request_claimed_by_another_is_refused(people, submitted, action):
    services.claim(submitted, user=people["reviewer"])
    submitted.refresh_from_db()
    assert services.allowed_actions(submitted, people["reviewer2"]) == []
    with pytest.raises(ClaimedByOther, match="take it over to decide"):
        services.ACTIONS[action].execute(submitted.pk, people["reviewer2"], "a reason")
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    # The claimant may; so may the other reviewer once they took it over.
    assert action in services.allowed_actions(submitted, people["reviewer"])
    services.claim(submitted, user=people["reviewer2"], take_over=True)
    services.ACTIONS[action].execute(submitted.pk, people["reviewer2"], "a reason")
    submitted.refresh_from_db()
    assert submitted.status != "submitted"
    assert submitted.decided_by == people["reviewer2"]


def test_no_such_request(people):
    from curation.errors import NotFound

    with pytest.raises(NotFound):
        services.claim(999999, user=people["reviewer"])
