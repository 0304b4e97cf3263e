"""Writes sent from a second thread on the connection of this thread's transaction, while
this thread goes on building the next ones: a batch approval's server writes for one chunk
overlap the checks and the serialising of the next.

The connection is used by one thread at a time. Only one script is in flight, and this
thread waits for it (``settle``) before it uses the connection itself: every query through
Django's cursors (an execute wrapper), every ``Pipeline.run``, event insert outside a script
and psycopg cursor of the event store (``settle_pending``), and before the block ends, so
that the COMMIT or ROLLBACK comes after it. A failure of the writes in flight is raised in
this thread at that wait, as Django raises a database error, and the caller's transaction
rolls back whole.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections


class BackgroundWrites:
    def __init__(self) -> None:
        connection.ensure_connection()
        self.wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's
        self.raw = self.wrapper.connection
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writes")
        self.inflight: Future | None = None
        self.lock = threading.Lock()  # held by whichever thread is using ``raw``

    def send(self, script) -> None:
        """Send ``script`` (a ``projection.script.Pipeline``) from the second thread, after
        the script in flight; returns at once."""
        self.settle()
        self.lock.acquire()  # released by the second thread once the script is sent
        try:
            self.inflight = self.executor.submit(self._send, script)
        except BaseException:
            self.lock.release()
            raise

    def _send(self, script) -> None:
        try:
            script.send(self.raw)
        finally:
            self.lock.release()

    def settle(self) -> None:
        """Wait for the script in flight; its error raised here, as Django raises it."""
        inflight, self.inflight = self.inflight, None
        if inflight is not None:
            with self.wrapper.wrap_database_errors:
                inflight.result()

    def _abandon(self) -> None:
        """Wait for the script in flight, its error dropped (the caller is raising its own)."""
        inflight, self.inflight = self.inflight, None
        if inflight is not None:
            inflight.exception()

    def _wrapper(self, execute: Callable, sql: str, params: Any, many: bool, context) -> Any:
        self.settle()
        return execute(sql, params, many, context)


@contextmanager
def background_writes() -> Iterator[BackgroundWrites]:
    """A ``BackgroundWrites`` for this block, settled before it ends (in the caller's
    transaction, which must be open: the writes are part of it)."""
    writes = BackgroundWrites()
    wrapper = writes.wrapper
    wrapper.background_writes = writes
    try:
        with wrapper.execute_wrapper(writes._wrapper):
            try:
                yield writes
            except BaseException:
                writes._abandon()
                raise
            writes.settle()
    finally:
        del wrapper.background_writes
        writes.executor.shutdown(wait=True)


def settle_pending() -> None:
    """Wait for this thread's background writes in flight, if any, before using the
    connection directly (not through Django's cursors)."""
    writes = getattr(connection, "background_writes", None)
    if writes is not None:
        writes.settle()
