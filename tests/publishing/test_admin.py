"""The snapshot list in the admin, and "republish now" (superusers only)."""

from unittest import mock

import pytest

from publishing import services, tasks
from publishing.models import Snapshot

pytestmark = pytest.mark.django_db
URL = "/admin/publishing/snapshot/"


def test_snapshot_list_shows_status_and_progress(client, superuser, small_corpus):
    services.publish_latest()
    Snapshot.objects.create(seq=2, position=5, progress_done=3, progress_total=7)
    client.force_login(superuser)
    html = client.get(URL).content.decode()
    assert "3/7 (42%)" in html
    assert "complete" in html and "building" in html
    assert "republish_now" in html


def test_superuser_can_republish_now(client, superuser, small_corpus):
    snapshot = services.publish_latest()
    client.force_login(superuser)
    with mock.patch.object(tasks.publish_snapshot, "apply_async") as send:
        response = client.post(
            URL, {"action": "republish_now", "_selected_action": [snapshot.pk]}, follow=True
        )
    send.assert_called_once()
    assert send.call_args.kwargs["kwargs"] == {"force": True}
    assert "being published" in response.content.decode()


def test_republish_reports_an_unreachable_queue(client, superuser, small_corpus):
    snapshot = services.publish_latest()
    client.force_login(superuser)
    with mock.patch.object(tasks.publish_snapshot, "apply_async", side_effect=OSError("down")):
        response = client.post(
            URL, {"action": "republish_now", "_selected_action": [snapshot.pk]}, follow=True
        )
    assert "Could not reach the task queue" in response.content.decode()


def test_staff_who_are_not_superusers_cannot_republish(client, reviewer, small_corpus):
    from django.contrib.auth.models import Permission

    snapshot = services.publish_latest()
    reviewer.user_permissions.add(Permission.objects.get(codename="view_snapshot"))
    client.force_login(reviewer)
    assert "republish_now" not in client.get(URL).content.decode()
    with mock.patch.object(tasks.publish_snapshot, "apply_async") as send:
        client.post(URL, {"action": "republish_now", "_selected_action": [snapshot.pk]})
    send.assert_not_called()


def test_snapshots_cannot_be_edited_or_deleted_in_the_admin(client, superuser, small_corpus):
    snapshot = services.publish_latest()
    client.force_login(superuser)
    client.post(f"{URL}{snapshot.pk}/change/", {"status": "failed"})
    client.post(f"{URL}{snapshot.pk}/delete/", {"post": "yes"})
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.COMPLETE
    assert client.get(f"{URL}add/").status_code == 403


def test_publish_command(small_corpus, capsys):
    from django.core.management import call_command

    call_command("publish")
    assert "Published snapshot 1" in capsys.readouterr().out
    call_command("publish")
    assert "Nothing to publish" in capsys.readouterr().out
