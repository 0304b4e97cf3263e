"""The API's rate limits: DRF's anonymous and per-user throttles, checked in one Redis round trip.

DRF's ``SimpleRateThrottle`` keeps each client's request times as a pickled list in the cache
and reads then rewrites it whole: two round trips per throttle, four per anonymous request
(``UserRateThrottle`` counts anonymous clients by address too), and a list that grows with the
rate (at 1,000 requests a second under a generous limit, 60,000 times pickled twice per
request). On Redis, ``ApiRateThrottle`` runs the very same sliding windows, the anon and the
user one, as one server-side script over Redis lists: for each window drop the times older
than it from the oldest end, refuse when it is full, else push this request's time and renew
its expiry. Which requests pass, the 429 and its ``Retry-After`` are what DRF's two throttles
give for the same request times (``wait`` is DRF's formula, the longest of the refusing
windows' as in ``APIView.check_throttles``); the script also makes each read-and-write one
atomic step, so concurrent workers no longer lose each other's requests. On other caches
(locmem in development and tests) DRF's own code runs unchanged.
"""

from __future__ import annotations

import weakref

from django.core.cache.backends.redis import RedisCacheClient
from rest_framework import throttling

# KEYS: one list of request times per window, newest first (as DRF's list).
# ARGV: now, then each window's length in seconds and the requests allowed in it.
# Returns, per window: allowed (1 or 0), requests in the window, the oldest of them ('' if none).
# Times travel as Python's repr of the float, which Lua's tonumber reads back exactly, so the
# comparisons are DRF's to the bit.
SLIDING_WINDOWS = """
local now = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local duration = tonumber(ARGV[2 * i])
  local oldest = redis.call('LINDEX', key, -1)
  while oldest and tonumber(oldest) <= now - duration do
    redis.call('RPOP', key)
    oldest = redis.call('LINDEX', key, -1)
  end
  local count = redis.call('LLEN', key)
  if count >= tonumber(ARGV[2 * i + 1]) then
    table.insert(out, 0)
    table.insert(out, count)
    table.insert(out, oldest or '')
  else
    redis.call('LPUSH', key, ARGV[1])
    redis.call('EXPIRE', key, duration)
    table.insert(out, 1)
    table.insert(out, count + 1)
    table.insert(out, oldest or ARGV[1])
  end
end
return out
"""
# The lists live beside DRF's keys, never under them: the two formats must not meet (a pickled
# list left by DRF's code during a deploy would be a WRONGTYPE error).
LIST_SUFFIX = ":times"

_script = None
# Django's Redis cache builds a new redis.Redis for every command, and building one (its table
# of about 170 reply callbacks) costs as much as the round trip: one client per cache backend.
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _client(backend: RedisCacheClient):
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend.get_client(None, write=True)
    return client


def _sliding_windows(client):
    global _script
    if _script is None:
        _script = client.register_script(SLIDING_WINDOWS)
    return _script


class _Window:
    """A DRF throttle's window as the script saw it: what DRF's ``wait`` reads."""

    def __init__(self, throttle: throttling.SimpleRateThrottle, now: float, count: int, oldest):
        self.throttle, self.now, self.count = throttle, now, count
        self.oldest = float(oldest) if oldest else None

    def wait(self) -> float | None:
        throttle = self.throttle
        if self.oldest is not None:
            remaining_duration = throttle.duration - (self.now - self.oldest)
        else:
            remaining_duration = throttle.duration
        available_requests = throttle.num_requests - self.count + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)


class ApiRateThrottle(throttling.BaseThrottle):
    """DRF's ``AnonRateThrottle`` and ``UserRateThrottle`` (scopes ``anon`` and ``user``,
    ``DEFAULT_THROTTLE_RATES``), as one throttle: one round trip on Redis (module docstring)."""

    parts = (throttling.AnonRateThrottle, throttling.UserRateThrottle)

    def __init__(self):
        self.throttles = [part() for part in self.parts]
        self.refused: list = []  # what refused this request: each has DRF's wait()

    def allow_request(self, request, view):
        backend = getattr(self.throttles[0].cache, "_cache", None)  # through the cache proxy
        if not isinstance(backend, RedisCacheClient):
            self.refused = [t for t in self.throttles if not t.allow_request(request, view)]
            return not self.refused
        windows = []
        for throttle in self.throttles:
            key = throttle.get_cache_key(request, view) if throttle.rate is not None else None
            if key is not None:
                windows.append((throttle, throttle.cache.make_and_validate_key(key + LIST_SUFFIX)))
        if not windows:
            return True
        now = self.throttles[0].timer()
        arguments = [repr(now)]
        for throttle, _ in windows:
            arguments += [throttle.duration, throttle.num_requests]
        client = _client(backend)
        replies = _sliding_windows(client)(
            keys=[key for _, key in windows], args=arguments, client=client
        )
        self.refused = [
            _Window(throttle, now, replies[3 * i + 1], replies[3 * i + 2])
            for i, (throttle, _) in enumerate(windows)
            if not replies[3 * i]
        ]
        return not self.refused

    def wait(self):
        """The longest wait of the refusing throttles, as ``APIView.check_throttles`` picks."""
        return max((w for t in self.refused if (w := t.wait()) is not None), default=None)
