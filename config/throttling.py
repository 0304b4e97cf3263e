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

import os
import threading
import weakref

from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError
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


def _bulk(value) -> bytes:
    data = value if isinstance(value, bytes) else str(value).encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class _Line:
    """A Redis connection kept by one thread for the script alone, its command packed here and
    written with no pool checkout and no retry wrapper (redis-py's client spends more on those
    than the round trip costs). The connection is redis-py's own (its connect, AUTH, SELECT
    and TLS as configured) and its reply redis-py's parse. Anything else than the script's
    reply (the server restarted, lost the script, went away) drops the connection and hands
    the request to redis-py's path (``receive`` is None), which loads the script, retries
    and raises exactly as before."""

    def __init__(self, client):
        self.client = client
        self.connection = None
        self.sha = None
        self.waiting = False  # a reply is owed: a send with none read drops the connection
        self.pid = os.getpid()

    def send(self, keys: list[str], arguments: list) -> _Line | None:
        if self.waiting or self.pid != os.getpid():  # a reply owed, or a forked copy
            self.drop()
        try:
            if self.connection is None:
                self.sha = _sliding_windows(self.client).sha.encode()
                self.connection = self.client.connection_pool.make_connection()
            parts = [b"EVALSHA", self.sha, len(keys), *keys, *arguments]
            packed = b"*%d\r\n" % len(parts) + b"".join(_bulk(part) for part in parts)
            self.connection.send_packed_command([packed], check_health=False)
            self.waiting = True
        except (RedisError, OSError):
            self.drop()
            return None
        return self

    def receive(self) -> list | None:
        self.waiting = False
        try:
            reply = self.connection.read_response()
        except (RedisError, OSError):
            self.drop()
            return None
        return reply

    def drop(self) -> None:
        if self.connection is not None and self.pid == os.getpid():
            self.connection.disconnect()
        self.connection, self.waiting, self.pid = None, False, os.getpid()


_lines = threading.local()
_UNKNOWN = object()


def _line(backend: RedisCacheClient) -> _Line:
    """This thread's kept connection for ``backend`` (one per process and thread)."""
    lines = getattr(_lines, "by_backend", None)
    if lines is None:
        lines = _lines.by_backend = weakref.WeakKeyDictionary()
    line = lines.get(backend)
    if line is None:
        line = lines[backend] = _Line(_client(backend))
    return line


class ApiRateThrottle(throttling.BaseThrottle):
    """DRF's ``AnonRateThrottle`` and ``UserRateThrottle`` (scopes ``anon`` and ``user``,
    ``DEFAULT_THROTTLE_RATES``), as one throttle: one round trip on Redis (module docstring).

    ``send`` may write the script's command before ``allow_request`` reads its reply, so that
    a view can do other work while Redis runs it (``evidence.api.caching`` reads the log
    position then); ``allow_request`` alone does both."""

    parts = (throttling.AnonRateThrottle, throttling.UserRateThrottle)

    def __init__(self):
        self.throttles = [part() for part in self.parts]
        self.refused: list = []  # what refused this request: each has DRF's wait()
        self._redis = _UNKNOWN

    def _backend(self):
        """The Redis cache client behind DRF's cache (None on another cache), once a request."""
        if self._redis is _UNKNOWN:
            backend = getattr(self.throttles[0].cache, "_cache", None)  # through the proxy
            self._redis = backend if isinstance(backend, RedisCacheClient) else None
        return self._redis

    def send(self, request, view) -> None:
        """Write this request's script command to Redis; ``allow_request`` reads the reply.
        Nothing is sent where DRF's own code decides (no Redis) or no window applies."""
        backend = self._backend()
        if backend is None:
            return
        windows = []
        for throttle in self.throttles:
            key = throttle.get_cache_key(request, view) if throttle.rate is not None else None
            if key is not None:
                windows.append((throttle, throttle.cache.make_and_validate_key(key + LIST_SUFFIX)))
        sent = None
        if windows:
            now = self.throttles[0].timer()
            arguments = [repr(now)]
            for throttle, _ in windows:
                arguments += [throttle.duration, throttle.num_requests]
            keys = [key for _, key in windows]
            sent = (windows, now, keys, arguments, _line(backend).send(keys, arguments))
        request._sliding_windows = (view, sent)

    def allow_request(self, request, view):
        backend = self._backend()
        if backend is None:
            self.refused = [t for t in self.throttles if not t.allow_request(request, view)]
            return not self.refused
        pending = getattr(request, "_sliding_windows", None)
        if pending is None or pending[0] is not view:
            self.send(request, view)
            pending = request._sliding_windows
        del request._sliding_windows
        if pending[1] is None:
            return True
        windows, now, keys, arguments, line = pending[1]
        replies = line.receive() if line is not None else None
        if replies is None:  # the kept connection failed: redis-py's path, with its retries
            client = _client(backend)
            replies = _sliding_windows(client)(keys=keys, args=arguments, client=client)
        self.refused = [
            _Window(throttle, now, replies[3 * i + 1], replies[3 * i + 2])
            for i, (throttle, _) in enumerate(windows)
            if not replies[3 * i]
        ]
        return not self.refused

    def wait(self):
        """The longest wait of the refusing throttles, as ``APIView.check_throttles`` picks."""
        return max((w for t in self.refused if (w := t.wait()) is not None), default=None)
