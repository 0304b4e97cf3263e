"""Notifications: who gets which mail, the outbox, delivery and retries, preferences, the
overdue digest (curation.notifications). Mail goes to Django's locmem outbox here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from curation import notifications, services
from curation.errors import PermissionDenied, ValidationFailed
from curation.models import ChangeRequest, Notification
from tests.conftest import make_user

from .conftest import propose, with_email

pytestmark = pytest.mark.django_db


def sent_to(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_submission_is_written_for_every_reviewer_and_sent(
    people, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://curation.example.org"
    with django_capture_on_commit_callbacks() as callbacks:
        cr = propose(people["editor"])
    assert sent_to("submitted") == {"reviewer", "reviewer2"}
    assert len(callbacks) == 1  # one request to a worker, after the commit
    assert notifications.deliver() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["reviewer2@example.org", "reviewer@example.org"]
    message = mail.outbox[0]
    assert message.subject == f"[curation] {cr} submitted for review by editor"
    assert (
        f"https://curation.example.org/admin/curation/changerequest/{cr.pk}/change/" in message.body
    )
    assert "Rationale: add smith-2020" in message.body
    assert Notification.objects.filter(status="sent", sent_at__isnull=False).count() == 2
    assert notifications.deliver() == 0  # never sent twice


def test_a_draft_tells_nobody_until_submitted(people):
    cr = propose(people["editor"], submit=False)
    assert not Notification.objects.exists()
    services.submit(cr, user=people["editor"])
    assert sent_to("submitted") == {"reviewer", "reviewer2"}


def test_decisions_go_to_the_author_with_the_comment(people):
    cr = propose(people["editor"])
    services.request_changes(cr, user=people["reviewer"], comment="Give the page range.")
    row = Notification.objects.get(kind="changes_requested")
    assert row.recipient == people["editor"] and "Comment: Give the page range." in row.body
    services.submit(cr, user=people["editor"])
    services.reject(cr, user=people["reviewer"], comment="Duplicate.")
    assert sent_to("rejected") == {"editor"}
    other = propose(people["editor"], "other-2020")
    services.approve(other, user=people["reviewer2"])
    assert sent_to("approved") == {"editor"}
    assert Notification.objects.get(kind="approved").actor == people["reviewer2"]


def test_once_claimed_a_resubmission_goes_to_the_claimant_only(people):
    cr = propose(people["editor"])
    services.claim(cr, user=people["reviewer"])
    services.request_changes(cr, user=people["reviewer"], comment="Fix the year.")
    Notification.objects.all().delete()
    services.submit(cr, user=people["editor"], comment="Fixed.")
    assert sent_to("resubmitted") == {"reviewer"}
    assert not Notification.objects.filter(kind="submitted").exists()


def test_nobody_is_told_of_their_own_step_and_addressless_people_are_left_out(people):
    people["reviewer2"].email = ""
    people["reviewer2"].save()
    cr = propose(people["editor"])
    assert sent_to("submitted") == {"reviewer"}
    services.claim(cr, user=people["reviewer"])
    services.claim(cr, user=people["reviewer2"], take_over=True)
    assert sent_to("taken_over") == {"reviewer"}


def test_a_kind_turned_off_is_not_written(people):
    notifications.set_preferences(people["reviewer"], {"submitted": False})
    propose(people["editor"])
    assert sent_to("submitted") == {"reviewer2"}
    kinds = {p["kind"]: p["enabled"] for p in notifications.preferences_of(people["reviewer"])}
    assert kinds["submitted"] is False and kinds["approved"] is True
    notifications.set_preferences(people["reviewer"], {"submitted": True})
    propose(people["editor"], "other-2020")
    assert Notification.objects.filter(kind="submitted", recipient=people["reviewer"]).exists()


def test_turning_off_an_unknown_kind_is_refused_naming_it(people):
    with pytest.raises(ValidationFailed) as caught:
        notifications.set_preferences(people["editor"], {"approved": False, "comment": False})
    assert caught.value.errors[0]["path"] == "preferences.comment"
    assert "no notification 'comment'" in caught.value.errors[0]["message"]
    # Nothing changed, not even the valid part.
    assert all(p["enabled"] for p in notifications.preferences_of(people["editor"]))
    with pytest.raises(ValidationFailed, match="must be true or false"):
        notifications.set_preferences(people["editor"], {"approved": "no"})
    with pytest.raises(ValidationFailed, match="name at least one kind"):
        notifications.set_preferences(people["editor"], {})


def test_consumers_have_no_notification_settings(people):
    with pytest.raises(PermissionDenied):
        notifications.set_preferences(people["consumer"], {"approved": False})


def test_notify_refuses_a_kind_nobody_registered(people, submitted):
    with pytest.raises(ValueError, match="no notification kind 'reply'"):
        notifications.notify("reply", submitted, people["reviewer"])


def test_a_refused_mail_is_tried_again_later_and_given_up_at_last(people, settings):
    settings.EMAIL_BACKEND = "tests.desk.failing_mail.RefusingBackend"
    settings.NOTIFY_MAX_ATTEMPTS = 2
    propose(people["editor"])
    assert notifications.deliver() == 0
    row = Notification.objects.filter(recipient=people["reviewer"]).get()
    assert row.status == "pending" and row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert notifications.deliver() == 0  # not due yet: nothing tried
    Notification.objects.update(next_attempt_at=timezone.now())
    notifications.deliver()
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 2
    # A mail server that is back: what is pending goes out.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    propose(people["editor"], "other-2020")
    assert notifications.deliver() == 2


def test_a_broker_that_cannot_be_reached_leaves_the_mail_pending(people, monkeypatch, caplog):
    # The sending task cannot be queued (the broker refuses, as kombu says it); the real
    # broker stopped under a real worker is tests/integration/test_notification_delivery.py.
    from kombu.exceptions import OperationalError

    from curation.tasks import send_notifications

    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_notifications, "apply_async", refused)
    propose(people["editor"])
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert notifications.request_delivery(ids) is False
    assert "the beat will send them" in caplog.text
    assert Notification.objects.filter(status="pending").count() == 2
    assert notifications.deliver() == 2  # the beat's run


def age(cr: ChangeRequest, days: float) -> None:
    ChangeRequest.objects.filter(pk=cr.pk).update(
        submitted_at=timezone.now() - timedelta(days=days)
    )
    cr.refresh_from_db()


def test_due_dates_and_the_overdue_digest(people, settings):
    settings.REVIEW_WINDOW_DAYS = 7
    late = propose(people["editor"], "late-2020")
    fresh = propose(people["editor"], "fresh-2020")
    age(late, 8)
    assert late.is_overdue and not fresh.is_overdue
    assert late.due_at == late.submitted_at + timedelta(days=7)
    services.claim(late, user=people["reviewer2"])
    Notification.objects.all().delete()
    assert notifications.send_overdue_digest() == 1  # reviewer2 claimed it; reviewer did not
    digest = Notification.objects.get(kind="overdue_digest")
    assert digest.recipient == people["reviewer2"] and digest.change_request is None
    assert digest.subject == "[curation] 1 change request(s) overdue for review"
    assert "late-2020" in digest.body and "fresh-2020" not in digest.body
    assert "in review by reviewer2" in digest.body
    assert notifications.send_overdue_digest() == 0  # once a day
    settings.REVIEW_WINDOW_DAYS = 30
    late.refresh_from_db()
    assert not late.is_overdue


def test_no_digest_when_nothing_is_overdue(people):
    propose(people["editor"])
    assert notifications.send_overdue_digest() == 0


def test_a_comment_goes_to_the_author_and_a_reply_to_everyone_in_the_thread(people):
    cr = propose(people["editor"])
    thread = services.add_comment(cr, user=people["reviewer"], comment="Which table is this from?")
    row = Notification.objects.get(kind="commented")
    assert row.recipient == people["editor"] and "Which table is this from?" in row.body
    assert f"/admin/curation/changerequest/{cr.pk}/change/" in row.body
    services.add_comment(cr, user=people["editor"], comment="Table 2.", parent=thread)
    assert sent_to("replied") == {"reviewer"}  # the author wrote it: not told of it
    Notification.objects.all().delete()
    services.add_comment(cr, user=people["reviewer2"], comment="Agreed.", parent=thread.pk)
    assert sent_to("replied") == {"editor", "reviewer"}
    assert not Notification.objects.filter(kind="commented").exists()


def test_the_author_commenting_on_their_own_request_is_told_nothing(people):
    cr = propose(people["editor"])
    services.add_comment(cr, user=people["editor"], comment="Note: page 4.")
    assert not Notification.objects.filter(kind__in=["commented", "replied"]).exists()


def test_a_batch_approval_sends_each_author_one_mail_listing_theirs(people):
    other = with_email(make_user("editor2", "Editors"))
    mine = [propose(people["editor"], f"mine-{i}-2020") for i in range(3)]
    theirs = propose(other, "theirs-2020")
    Notification.objects.all().delete()
    services.approve_change_requests(
        people["reviewer"], [cr.pk for cr in [*mine, theirs]], comment="Checked against PubMed."
    )
    rows = Notification.objects.filter(kind="batch_approved")
    assert sorted(r.recipient.username for r in rows) == ["editor", "editor2"]
    editor_mail = rows.get(recipient=people["editor"])
    assert editor_mail.subject == "[curation] 3 of your change requests approved by reviewer"
    assert all(cr.record_slug in editor_mail.body for cr in mine)
    assert theirs.record_slug not in editor_mail.body
    assert "Comment: Checked against PubMed." in editor_mail.body
    assert not Notification.objects.filter(kind="approved").exists()  # not one per request


def test_a_long_batch_mail_names_the_first_requests_and_counts_the_rest(people, monkeypatch):
    from curation.services import batch_approval

    monkeypatch.setattr(batch_approval, "MAILED_REQUESTS", 2)
    crs = [propose(people["editor"], f"long-{i}-2020") for i in range(3)]
    services.approve_change_requests(people["reviewer"], [cr.pk for cr in crs])
    body = Notification.objects.get(kind="batch_approved").body
    assert crs[0].record_slug in body and crs[1].record_slug in body
    assert crs[2].record_slug not in body and "and 1 more" in body


def test_new_kinds_can_be_turned_off(people):
    notifications.set_preferences(people["editor"], {"commented": False})
    cr = propose(people["editor"])
    services.add_comment(cr, user=people["reviewer"], comment="Hm.")
    assert not Notification.objects.filter(kind="commented").exists()
