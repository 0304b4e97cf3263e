"""Process-level tuning shared by the bulk paths (the projection rebuild, snapshot builds)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk job.

    Bulk jobs allocate millions of short-lived, acyclic dicts and tuples. Reference counting
    frees them all, but every allocation burst also triggers the cyclic collector, which walks
    every object the process holds: a third of a projection rebuild, and half of a snapshot
    build's loading and changelog, went to walks that found nothing. The jobs that use this
    were checked to leave no cyclic garbage (tests/publishing/test_builders.py checks the
    build), and the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
