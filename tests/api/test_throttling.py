"""The API's throttle on Redis (one script, one round trip) decides as DRF's two throttles do.

``config.throttling.ApiRateThrottle`` runs DRF's anon and user sliding windows inside Redis.
Here the same requests, at the same clock times, go through DRF's own ``AnonRateThrottle``
and ``UserRateThrottle`` (on a private locmem cache, as ``APIView.check_throttles`` runs them)
and through ``ApiRateThrottle`` on a throwaway redis-server: every decision and every
``Retry-After`` must be the same.
"""

from __future__ import annotations

import random
import uuid
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework import throttling
from rest_framework.test import APIClient

from config.throttling import ApiRateThrottle

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache(settings, redis_server):
    """The default cache on a throwaway Redis, under a key prefix of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server["url"],
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by the test (DRF's ``SimpleRateThrottle.timer``)."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(throttling.SimpleRateThrottle, "timer", lambda self: now[0])
    return now


@pytest.fixture
def rates(monkeypatch):
    monkeypatch.setattr(
        throttling.SimpleRateThrottle, "THROTTLE_RATES", {"anon": "4/min", "user": "6/min"}
    )


def _request(address: str, user=None):
    return SimpleNamespace(
        user=user or AnonymousUser(),
        META={"REMOTE_ADDR": address},
        headers={},
    )


def _drf_decision(request):
    """What DRF's throttles decide, as ``APIView.check_throttles`` combines them."""
    waits = []
    for throttle in (throttling.AnonRateThrottle(), throttling.UserRateThrottle()):
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait())
    if not waits:
        return True, None
    return False, max((w for w in waits if w is not None), default=None)


def _our_decision(request):
    throttle = ApiRateThrottle()
    if throttle.allow_request(request, None):
        return True, None
    return False, throttle.wait()


def _script(seed: int, users) -> list[tuple[float, SimpleNamespace]]:
    """Requests from a few addresses and users at random times over three minutes: bursts
    that fill the windows, and pauses that let them drain."""
    rng = random.Random(seed)
    steps, now = [], 0.0
    for _ in range(120):
        now += rng.choice([0.0, 0.001, 0.5, 3.0, 7.25, 20.0, 61.0])
        who = rng.choice(["10.0.0.1", "10.0.0.2", users[0], users[1]])
        request = _request(who) if isinstance(who, str) else _request("10.0.0.9", user=who)
        steps.append((now, request))
    return steps


@pytest.mark.parametrize("seed", range(4))
def test_redis_windows_decide_as_drfs_throttles(
    seed, settings, redis_cache, clock, rates, editor, reviewer
):
    steps = _script(seed, [editor, reviewer])
    start = clock[0]
    ours = []
    for offset, request in steps:
        clock[0] = start + offset
        ours.append(_our_decision(request))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"drf-{uuid.uuid4()}",
        }
    }
    drf = []
    for offset, request in steps:
        clock[0] = start + offset
        drf.append(_drf_decision(request))
    assert ours == drf
    refused = [decision for decision in drf if not decision[0]]
    assert refused and len(refused) < len(drf), "the script fills windows and drains them"


def test_throttled_request_is_a_429_with_drfs_retry_after_on_redis(db, redis_cache, clock, rates):
    client = APIClient()
    statuses = [client.get("/api/v1/trials/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    clock[0] += 15
    response = client.get("/api/v1/events/")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    # DRF's wait: (60 - 15 seconds since the oldest) / (4 - 4 + 1) available
    assert response["Retry-After"] == "45"
    clock[0] += 45  # the oldest request leaves the window
    assert client.get("/api/v1/trials/").status_code == 200


def test_an_odd_client_address_is_counted_alone(db, redis_cache, clock, rates):
    """X-Forwarded-For is the client's to write: whatever it holds names one window (DRF's
    key, spaces dropped), on Redis as on DRF's cache."""
    odd = APIClient(HTTP_X_FORWARDED_FOR="1.2.3.4, ünïcode\tand * keys: ")
    plain = APIClient()
    assert [odd.get("/api/v1/trials/").status_code for _ in range(5)][-1] == 429
    assert plain.get("/api/v1/trials/").status_code == 200


def test_without_redis_drfs_code_runs(clock, rates):
    """On another cache ApiRateThrottle is DRF's two throttles, one after the other."""
    request = _request("10.0.0.1")
    decisions = [_our_decision(request) for _ in range(5)]
    assert [allowed for allowed, _ in decisions] == [True] * 4 + [False]
    assert decisions[-1][1] == 60.0


@pytest.mark.parametrize("mishap", ["script flushed", "connection killed"])
def test_a_lost_script_or_connection_changes_no_decision(db, redis_cache, clock, rates, mishap):
    """The throttle keeps a connection of its own with the script loaded; when Redis forgets
    the script or drops the connection, redis-py's path (load, retry) decides instead, and
    every request is still counted exactly once."""
    client = APIClient()
    assert [client.get("/api/v1/trials/").status_code for _ in range(2)] == [200, 200]
    admin = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    if mishap == "script flushed":
        admin.script_flush()
    else:
        killed = admin.client_kill_filter(_type="normal", skipme=True)
        assert killed >= 1
    statuses = [client.get("/api/v1/trials/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # 4 a minute: the two before still count, once each


def test_a_refusal_is_the_answer_even_when_the_log_position_cannot_be_read(
    db, redis_cache, clock, rates, monkeypatch
):
    """The read cache asks the log position while Redis runs the throttle's script; a refused
    request is still a 429 (with DRF's Retry-After) when that query fails, as when the
    position was read after the throttles."""
    from django.db import OperationalError

    from evidence.api import caching

    client = APIClient()
    assert [client.get("/api/v1/trials/").status_code for _ in range(4)] == [200] * 4

    def broken():
        raise OperationalError("the database went away")

    monkeypatch.setattr(caching, "_position_source", broken)
    response = client.get("/api/v1/trials/")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"


def test_a_reply_left_unread_never_answers_a_later_request(db, redis_cache, clock, rates):
    """A command sent with its reply never read (the request failed in between) is not taken
    for the next request's answer: the kept connection is dropped and opened again."""
    ApiRateThrottle().send(_request("127.0.0.1"), None)  # sent, counted, never read
    client = APIClient()
    statuses = [client.get("/api/v1/trials/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
