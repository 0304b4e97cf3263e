"""The reviewer's desk in the admin: the dashboard on the index, claiming on the review page,
the queue's columns and filters, the notification settings page and the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from curation import notifications, services
from curation.models import ChangeRequest, Notification, NotificationPreference

from .conftest import propose

pytestmark = pytest.mark.django_db


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_dashboard_shows_each_person_what_waits_for_them(client, people, settings):
    settings.REVIEW_WINDOW_DAYS = 7
    editor, reviewer = people["editor"], people["reviewer"]
    draft = propose(editor, "draft-2020", submit=False)
    waiting = propose(editor, "waiting-2020")
    late = propose(editor, "late-2020")
    ChangeRequest.objects.filter(pk=late.pk).update(
        submitted_at=timezone.now() - timedelta(days=10)
    )
    back = propose(editor, "back-2020")
    services.claim(back, user=reviewer)
    services.request_changes(back, user=reviewer, comment="Fix the year.")

    html = page(client, editor, "/admin/")
    assert 'aria-label="Your desk"' in html
    assert "My drafts (1)" in html and str(draft) in html
    assert "My requests waiting for review (2)" in html and str(waiting) in html
    assert "Sent back to me (1)" in html and str(back) in html
    assert "My requests lately decided (0)" in html
    services.approve(waiting, user=people["reviewer2"])
    html = page(client, editor, "/admin/")
    assert "My requests lately decided (1)" in html and "approved by reviewer2" in html
    assert "My requests waiting for review (1)" in html
    assert "Requests I claimed" not in html  # not a reviewer

    html = page(client, reviewer, "/admin/")
    assert "My drafts" not in html
    assert "Requests I claimed (1)" in html and str(back) in html
    assert "Unclaimed, waiting longest (1)" in html and str(late) in html
    assert "Overdue (1)" in html and "overdue</span>" in html
    # The admin's own app list is still there, below.
    assert "Change requests" in html

    html = page(client, people["consumer"], "/admin/")
    assert "Your desk" not in html


def test_claiming_on_the_review_page(client, people, submitted):
    url = f"/admin/curation/changerequest/{submitted.pk}/change/"
    claim_url = f"/admin/curation/changerequest/{submitted.pk}/claim/"
    html = page(client, people["reviewer"], url)
    assert "Nobody has claimed this request yet." in html
    assert 'value="claim"' in html and 'value="approve"' in html
    response = client.post(claim_url, {"claim": "claim"})
    assert response.status_code == 302 and response["Location"] == url
    html = page(client, people["reviewer"], url)
    assert "In review by <strong>reviewer</strong>" in html and 'value="unclaim"' in html

    html = page(client, people["reviewer2"], url)
    assert 'value="take_over"' in html and "Take over from reviewer" in html
    assert 'value="approve"' not in html  # no decision without taking over
    assert client.post(claim_url, {"claim": "claim"}).status_code == 409
    assert client.post(claim_url, {"claim": "take_over"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.claimed_by == people["reviewer2"]
    assert Notification.objects.filter(kind="taken_over", recipient=people["reviewer"]).exists()
    assert client.post(claim_url, {"claim": "unclaim"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.claimed_by is None


def test_bad_and_forbidden_claims_in_the_admin(client, people, submitted):
    claim_url = f"/admin/curation/changerequest/{submitted.pk}/claim/"
    client.force_login(people["editor"])
    response = client.post(claim_url, {"claim": "claim"})
    assert response.status_code == 403
    assert "only members of the Reviewers group may claim" in response.content.decode()
    html = page(client, people["editor"], f"/admin/curation/changerequest/{submitted.pk}/change/")
    assert 'value="claim"' not in html
    client.force_login(people["reviewer"])
    assert client.get(claim_url).status_code == 405
    response = client.post(claim_url, {"claim": "grab"})
    assert response.status_code == 400 and "unknown claim step" in response.content.decode()
    assert (
        client.post("/admin/curation/changerequest/999999/claim/", {"claim": "claim"}).status_code
        == 404
    )
    assert (
        client.post("/admin/curation/changerequest/x/claim/", {"claim": "claim"}).status_code == 404
    )
    submitted.refresh_from_db()
    assert submitted.claimed_by is None
    client.logout()
    assert client.post(claim_url, {"claim": "claim"}).status_code == 302  # to the login page
    submitted.refresh_from_db()
    assert submitted.claimed_by is None


def test_the_queue_shows_claims_and_due_dates_and_filters_by_them(client, people, settings):
    settings.REVIEW_WINDOW_DAYS = 7
    late = propose(people["editor"], "late-2020")
    fresh = propose(people["editor"], "fresh-2020")
    ChangeRequest.objects.filter(pk=late.pk).update(submitted_at=timezone.now() - timedelta(days=8))
    services.claim(fresh, user=people["reviewer"])
    queue = "/admin/curation/changerequest/"
    html = page(client, people["reviewer"], queue)
    assert "OVERDUE (due" in html
    assert "in review by" in html  # the filter's title
    html = page(client, people["reviewer"], queue + "?overdue=yes")
    assert str(late) in html and str(fresh) not in html
    html = page(client, people["reviewer"], queue + "?claim=me")
    assert str(fresh) in html and str(late) not in html
    html = page(client, people["reviewer"], queue + "?claim=nobody")
    assert str(late) in html and str(fresh) not in html
    html = page(client, people["reviewer2"], queue + "?claim=others")
    assert str(fresh) in html and str(late) not in html


def test_the_notification_settings_page(client, people):
    url = "/admin/curation/notification/preferences/"
    html = page(client, people["editor"], url)
    assert "editor@example.org" in html
    assert 'name="approved"' in html and "Your change request was approved" in html
    assert 'for="id_approved"' in html  # every checkbox has its label
    # Untick "approved", keep the rest.
    data = {kind: "on" for kind in notifications.KINDS if kind != "approved"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(
        NotificationPreference.objects.filter(user=people["editor"], enabled=False).values_list(
            "kind", flat=True
        )
    ) == ["approved"]
    response = client.post(url, {**data, "comment": "on"})
    assert response.status_code == 400 and "no notification" in response.content.decode()
    client.force_login(people["consumer"])
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    assert not NotificationPreference.objects.filter(user=people["consumer"]).exists()


def test_the_outbox_is_for_superusers(client, people, superuser):
    propose(people["editor"])
    client.force_login(people["reviewer"])
    assert client.get("/admin/curation/notification/").status_code == 403
    html = page(client, superuser, "/admin/curation/notification/")
    assert "reviewer@example.org" in html and "pending" in html


def test_the_dashboard_reads_a_fixed_number_of_queries(client, people, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reviewer = people["reviewer"]

    def count() -> int:
        client.force_login(reviewer)
        client.get("/admin/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    propose(people["editor"], "one-2020")
    few = count()
    for n in range(6):
        cr = propose(people["editor"], f"more-{n}-2020")
        if n % 2:
            services.claim(cr, user=reviewer)
    assert count() == few
