"""Test-only: slow down rendering record pages, so that a test can kill a build in the middle.

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
