"""Test-only: slow down rendering record pages (or importing batch records), so that a test can
kill a build (or a batch) in the middle.

Used by processes the tests start (a Celery worker, a build script); production code has no
hook for it.
"""

from __future__ import annotations

import time


def slow_down_rendering(seconds_per_page: float) -> None:
    from publishing.pages import RecordPages

    for name in ("trial_page", "topic_page"):
        render = getattr(RecordPages, name)

        def slowed(self, record, _render=render):
            time.sleep(seconds_per_page)
            return _render(self, record)

        setattr(RecordPages, name, slowed)


def slow_down_imports(seconds_per_record: float) -> None:
    """Each record of an import batch takes ``seconds_per_record`` longer (inside its
    transaction, so a kill in the middle leaves it undone)."""
    from curation.imports import batch_chunks

    one_record = batch_chunks._prepare

    def slowed(batch, item, *given, _import=one_record):
        time.sleep(seconds_per_record)
        return _import(batch, item, *given)

    batch_chunks._prepare = slowed
