"""The project's Celery app slowed down for the fault tests: page rendering
(``SLOW_RENDER_SECONDS`` per page) and import batches (``SLOW_IMPORT_SECONDS`` per record);
``celery -A tests.integration.slow_worker worker``."""

import os

from celery.signals import worker_init

from config.celery import app  # noqa: F401 - the app Celery's -A option looks for


@worker_init.connect
def _slow_down(**_) -> None:
    # After Django is set up; the prefork pool's children inherit the change.
    if "SLOW_RENDER_SECONDS" in os.environ:
        from tests.slow_rendering import slow_down_rendering

        slow_down_rendering(float(os.environ["SLOW_RENDER_SECONDS"]))
    if "SLOW_IMPORT_SECONDS" in os.environ:
        from tests.slow_rendering import slow_down_imports

        slow_down_imports(float(os.environ["SLOW_IMPORT_SECONDS"]))
