"""Notifications with real Redis, PostgreSQL and a Celery worker: a submission becomes a
mail file within seconds, and a broker that is down when the step commits loses nothing
(the outbox waits; the beat sends it once the broker is back)."""

from __future__ import annotations

import time

import pytest

from curation.models import Notification
from tests.desk.conftest import propose, with_email
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


def mail_env(mail_dir) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "NOTIFY_RETRY_SECONDS": "1",
    }


def mails(mail_dir) -> list[str]:
    return [path.read_text() for path in sorted(mail_dir.glob("*.log"))]


def test_a_submission_is_a_mail_file_for_each_reviewer(
    live_postgres, editor, reviewer, reviewer2, send_tasks_to, workers, mail_dir, settings
):
    settings.SITE_URL = "http://curation.test"  # the text is written with the step, here
    for user in (editor, reviewer, reviewer2):
        with_email(user)
    workers.start("w1", **mail_env(mail_dir))
    started = time.monotonic()
    cr = propose(editor)
    wait_for(lambda: Notification.objects.filter(status="sent").count() == 2, 30, "two mails")
    elapsed = time.monotonic() - started
    text = "\n".join(mails(mail_dir))
    assert "To: reviewer@example.org" in text and "To: reviewer2@example.org" in text
    assert f"editor submitted {cr} for review." in text
    assert f"http://curation.test/admin/curation/changerequest/{cr.pk}/change/" in text
    assert elapsed < 30


def test_notifications_survive_a_broker_that_is_down(
    live_postgres, editor, reviewer, send_tasks_to, workers, mail_dir
):
    redis = send_tasks_to
    for user in (editor, reviewer):
        with_email(user)
    redis.stop()
    started = time.monotonic()
    cr = propose(editor)  # commits; sending the task fails fast
    assert time.monotonic() - started < 10, "the submission waited on the dead broker"
    row = Notification.objects.get(change_request=cr)
    assert row.status == "pending" and row.recipient == reviewer
    assert mails(mail_dir) == []

    redis.start()
    workers.start("w1", beat=True, **mail_env(mail_dir))
    # The mail file is written inside the worker's transaction, before the row's "sent"
    # commits: wait for the row, not for the file, or a loaded machine sees it pending.
    wait_for(
        lambda: Notification.objects.get(pk=row.pk).status == "sent",
        60,
        "the beat to send the pending mail",
    )
    row.refresh_from_db()
    assert row.attempts == 1 and len(mails(mail_dir)) == 1
    assert "To: reviewer@example.org" in mails(mail_dir)[0]
