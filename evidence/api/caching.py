"""Read pages cached by the event-log position they reflect.

Published evidence changes only when an approval appends an event, so a list page or a page
of the changes feed is fully determined by the request and the newest log position. Views
that mix in ``CachedByPosition`` keep their rendered bytes (and headers) in Django's cache
under a key made of that position, the absolute URL and the negotiated format; the next
request at the same position gets the same bytes without touching the read models or the
serializers. No invalidation is needed: an approval moves the position, so every key changes
(old entries expire on their own, ``READ_CACHE_SECONDS``).

The position is read from the database on every request (one indexed query), never from the
cache, so processes with separate caches (locmem in development) can never serve a page older
than the log. That query is also the kept connection's health check
(``checking_the_connection``): a cached page costs one round trip to the database, not two.
The log belongs to curation, which this app must not import: curation registers how to read
the position (``set_position_source``) when it starts; without one, nothing is cached.

A request is answered from the cache only after DRF's authentication, permission and
throttle checks (``initial``), so errors and rate limits behave exactly as without it; only
200 responses are stored. The position query runs while the throttle's Redis script does
(``check_throttles``): the throttle's command is written first, its reply read after the
query, so a cached page waits for one round trip's time instead of two.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpResponse

_position_source: Callable[[], object] | None = None

# The response headers a cached page is served with (the rest come from middleware, alike).
KEPT_HEADERS = ("Content-Type", "Vary", "Allow")
# The last pages each process served, in front of the shared cache: a key names the log's
# hash, so an entry here can never be stale either. Bounded, oldest out.
LOCAL_PAGES = 64
_local: dict[str, tuple[bytes, dict[str, str]]] = {}


def set_position_source(source: Callable[[], object] | None) -> None:
    """How to read the newest event-log position (curation registers it on start). Its hash
    too, best: a database reset or another database behind the same cache then cannot meet a
    page of the same position number written from other events."""
    global _position_source
    _position_source = source


def checking_the_connection(read: Callable[[], object]) -> object:
    """``read()``, the request's first query, standing in for ``CONN_HEALTH_CHECKS``' own.

    The health check sends ``SELECT 1`` before a kept connection's first query of a request:
    a round trip per cached page. Here the position query is that check: if it fails on a kept
    connection as a dead one does (``OperationalError``, ``InterfaceError``), the connection is
    closed and the query asked again on a new one, which is what the check would have done;
    once it answered, the connection is known to work for the rest of the request. Inside a
    transaction (nothing could be retried there) and with the check off, Django's path runs.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    if (
        conn.connection is None
        or not conn.health_check_enabled
        or conn.health_check_done
        or conn.in_atomic_block
    ):
        return read()
    conn.health_check_done = True  # the query below is the check
    try:
        return read()
    except (OperationalError, InterfaceError):
        conn.close()
        return read()


def cache_seconds() -> int:
    return int(getattr(settings, "READ_CACHE_SECONDS", 300))


def page_key(request, position: object) -> str:
    """What a page depends on besides the position: the absolute URL (pagination links hold
    it) and the format asked for (``Accept`` may ask for indentation)."""
    accepted = getattr(request, "accepted_media_type", "") or ""
    raw = "\0".join((str(position), request.build_absolute_uri(), accepted))
    return "read-page:" + hashlib.sha256(raw.encode()).hexdigest()


class CachedByPosition:
    """A DRF view mixin: GET pages served from the cache while the log position stands."""

    def initial(self, request, *args, **kwargs):
        self._read_cache_key = None
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles

    def get_throttles(self):
        """DRF's, made once a request (a view is): the same throttles send and decide."""
        throttles = self.__dict__.get("_throttles")
        if throttles is None:
            throttles = self._throttles = super().get_throttles()
        return throttles

    def check_throttles(self, request):
        """DRF's check, with the log position read while the throttles' store works.

        A throttle that can send its question ahead (``send``, as ``ApiRateThrottle`` on
        Redis) sends it; then the position is read from the database; then DRF's own check
        reads the answers and decides. The two round trips overlap. A refusal is the answer
        even when the position could not be read, as when the position was read after."""
        if request.method != "GET" or _position_source is None or cache_seconds() <= 0:
            return super().check_throttles(request)
        for throttle in self.get_throttles():
            send = getattr(throttle, "send", None)
            if send is not None:
                send(request, self)
        try:
            position = checking_the_connection(_position_source)
        except BaseException:
            super().check_throttles(request)
            raise
        super().check_throttles(request)
        self._read_cache_key = page_key(request, position)
        return None

    def cached_page(self) -> HttpResponse | None:
        """The stored page for this request at the current position, if there is one."""
        key = getattr(self, "_read_cache_key", None)
        if not key:
            return None
        stored = _local.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is None:
                return None
            _remember(key, stored)
        content, headers = stored
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        response.from_read_cache = True
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "_read_cache_key", None)
        if key and response.status_code == 200 and not getattr(response, "from_read_cache", 0):
            response.render()
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            cache.set(key, (response.content, headers), cache_seconds())
            _remember(key, (response.content, headers))
        return response


def _remember(key: str, page: tuple[bytes, dict[str, str]]) -> None:
    if len(_local) >= LOCAL_PAGES:
        del _local[next(iter(_local))]
    _local[key] = page
