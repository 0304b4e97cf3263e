"""The project's Celery app with page rendering slowed down (``SLOW_RENDER_SECONDS`` per
page), for the fault tests: ``celery -A tests.integration.slow_worker worker``."""

import os

from celery.signals import worker_init

from config.celery import app  # noqa: F401 - the app Celery's -A option looks for


@worker_init.connect
def _slow_down(**_) -> None:
    # After Django is set up; the prefork pool's children inherit the change.
    from tests.slow_rendering import slow_down_rendering

    slow_down_rendering(float(os.environ["SLOW_RENDER_SECONDS"]))
