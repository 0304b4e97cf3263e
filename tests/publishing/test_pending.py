"""A publish request is sent only when none is pending (``publishing.pending``), against the
real Redis: the flag set by the first request, left by the next ones, deleted by the worker
before it reads the newest event (so an approval that commits meanwhile is never missed), by
the sweep and by a failed send; forced requests, another broker and a Redis that does not
answer always send."""

from __future__ import annotations

import time
import uuid
from unittest import mock

import pytest
import redis
from kombu.exceptions import OperationalError

from curation.models import Event
from publishing import pending, services, tasks
from tests import documents
from tests.conftest import free_port
from tests.factories import create_approved, seed_corpus


@pytest.fixture
def broker(redis_url, settings):
    """The publish task's broker is the test Redis; the flag's key is this test's own."""
    app = tasks.publish_snapshot.app
    original = app.conf.broker_url
    app.conf.broker_url = redis_url
    settings.CACHE_KEY_PREFIX = f"test-pending-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(redis_url)
    yield client
    client.delete(pending.key())
    app.conf.broker_url = original


@pytest.fixture
def send():
    with mock.patch.object(tasks.publish_snapshot, "apply_async") as sending:
        yield sending


def test_a_request_is_sent_only_when_none_is_pending(broker, send, settings):
    settings.PUBLISH_PENDING_SECONDS = 30
    services.request_publication(position=1)
    services.request_publication(position=2)
    services.request_publication(position=3)
    send.assert_called_once()
    assert send.call_args.kwargs["kwargs"] == {"position": 1}
    assert broker.exists(pending.key())
    assert 0 < broker.ttl(pending.key()) <= 30  # a request the broker lost frees the flag


def test_the_flag_is_cleared_before_the_worker_reads_the_newest_event(
    broker, send, editor, reviewer, snapshot_root
):
    seed_corpus(editor, reviewer)
    services.request_publication(position=1)  # the task the worker is about to run
    read = services.last_position
    during = []

    def newest_event_read_while_an_approval_commits():
        # An approval committing now, before the worker reads the log: its request must be
        # sent, since the read below may or may not see its event.
        services.request_publication(position=99)
        during.append(send.call_count)
        return read()

    with mock.patch.object(services, "last_position", newest_event_read_while_an_approval_commits):
        snapshot = services.publish_latest()
    assert snapshot.position == Event.objects.last().position
    assert during[0] == 2, "an approval during the worker's read found a request pending"
    assert send.call_args_list[1].kwargs["kwargs"] == {"position": 99}


def test_an_approval_after_a_publication_sends_again(
    broker, send, editor, reviewer, snapshot_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed_corpus(editor, reviewer)  # four approvals, one request
    send.assert_called_once()
    services.publish_latest()  # the worker's run
    assert not broker.exists(pending.key())
    with django_capture_on_commit_callbacks(execute=True):
        event = create_approved(editor, reviewer, "citation", documents.minimal_citation("x-2"))
    assert send.call_count == 2
    assert send.call_args.kwargs["kwargs"] == {"position": event.position}


def test_the_sweep_clears_the_flag(broker, send, db, snapshot_root):
    services.request_publication(position=1)
    assert services.sweep() is None  # nothing to publish: a lost request is let go all the same
    assert not broker.exists(pending.key())
    services.request_publication(position=2)
    assert send.call_count == 2


def test_a_forced_request_is_always_sent(broker, send):
    services.request_publication(position=1)
    services.request_publication(force=True)
    services.request_publication(force=True)
    assert [c.kwargs["kwargs"] for c in send.call_args_list] == [
        {"position": 1},
        {"force": True},
        {"force": True},
    ]


def test_a_failed_send_clears_the_flag(broker, send):
    send.side_effect = OperationalError("refused")
    with pytest.raises(services.PublishingError):
        services.request_publication(position=1)
    assert not broker.exists(pending.key())
    send.side_effect = None
    services.request_publication(position=2)  # the next approval tries again
    send.assert_called_with(kwargs={"position": 2}, retry=True, retry_policy=mock.ANY)
    assert broker.exists(pending.key())


def test_another_broker_always_sends(broker, send):
    tasks.publish_snapshot.app.conf.broker_url = "filesystem://"
    services.request_publication(position=1)
    services.request_publication(position=2)
    assert send.call_count == 2
    assert not broker.exists(pending.key())


def test_a_redis_that_does_not_answer_always_sends(broker, send):
    tasks.publish_snapshot.app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    services.request_publication(position=1)
    services.request_publication(position=2)
    pending.clear()  # nothing to clear, and no error either
    assert send.call_count == 2
    assert time.monotonic() - started < 2 * pending.TIMEOUT + 1
