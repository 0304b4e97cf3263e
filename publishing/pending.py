"""One publish request waiting in the broker at a time.

Every approval asks for a publication once it commits; a burst of approvals would queue one
task each, although the first to run publishes them all (``services.publish_latest`` builds at
the newest position). So a request is sent only when none is pending: the sender sets a flag
in the broker's Redis (``SET NX``, one round trip, with a TTL of ``PUBLISH_PENDING_SECONDS``)
and sends only if it set it; the worker deletes the flag when it starts publishing, *before*
it reads the newest event. An approval that finds the flag set therefore commits before that
read, and the pending task publishes it; one that commits after the read finds the flag gone
and sends a request of its own.

The flag only ever saves a message, never loses a publication: a broker that is not Redis,
a Redis that does not answer, a forced publication, all send as before; a send that fails
clears the flag; the TTL and the beat sweep (which clears it too) cover a task the broker lost.
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)

# Seconds to wait for the broker's Redis before sending anyway: an approval is never held up.
TIMEOUT = 0.5
_clients: dict[str, object] = {}


def key() -> str:
    """The flag's key, beside the cache's keys (``CACHE_KEY_PREFIX`` keeps servers sharing a
    Redis apart)."""
    prefix = getattr(settings, "CACHE_KEY_PREFIX", "")
    return f"{prefix}:publishing:pending" if prefix else "publishing:pending"


def broker_url() -> str:
    """The broker the publish task is sent to: the flag lives beside the queue, so that a
    Redis that loses one (restarted without persistence) loses the other too."""
    from .tasks import publish_snapshot

    return publish_snapshot.app.conf.broker_url or ""


def _redis():
    """A client of the broker's Redis (one per URL and process; redis-py's pool starts afresh
    in a forked child), or None when the broker is not Redis."""
    url = broker_url()
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
    return client


def claim() -> bool:
    """Whether to send a publish request: True when this call set the flag, or when there is
    no flag to set (the broker is not Redis, or Redis did not answer)."""
    client = _redis()
    if client is None:
        return True
    import redis

    seconds = max(1, int(getattr(settings, "PUBLISH_PENDING_SECONDS", 60)))
    try:
        return bool(client.set(key(), b"1", nx=True, ex=seconds))
    except redis.RedisError:
        logger.warning("publish flag: Redis did not answer; sending the request", exc_info=True)
        return True


def clear() -> None:
    """No request pending: the next approval sends one (a worker starting to publish, the
    sweep, a send that failed). A Redis that does not answer has no flag to clear that its
    TTL will not."""
    client = _redis()
    if client is None:
        return
    import redis

    try:
        client.delete(key())
    except redis.RedisError:
        logger.warning("publish flag: Redis did not answer; the flag expires", exc_info=True)
