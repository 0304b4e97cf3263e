"""Healthchecks of the compose services (docker-compose.yml), one per process kind:

    python -m config.healthcheck web http://127.0.0.1:8000
    python -m config.healthcheck worker [celery@host]
    python -m config.healthcheck beat /data/celerybeat-schedule

Exit status 0 when healthy, 1 with the reason on stderr otherwise.
"""

from __future__ import annotations

import glob
import os
import socket
import sys
import time
import urllib.error
import urllib.request


def check_web(base_url: str) -> str | None:
    """``/healthz`` answers 200, asked as the TLS proxy asks: with an allowed host name and
    ``X-Forwarded-Proto: https`` (production redirects plain HTTP, and refuses other hosts)."""
    allowed = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = (allowed[0].strip().lstrip(".") if allowed else "localhost").replace("*", "localhost")
    request = urllib.request.Request(  # noqa: S310 - the URL is the healthcheck's own argument
        base_url.rstrip("/") + "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            status = response.status
    except (urllib.error.URLError, OSError) as exc:
        return f"web: {exc}"
    return None if status == 200 else f"web: /healthz answered {status}"


def check_worker(node: str | None = None) -> str | None:
    """This container's worker answers a ping through the broker (so it is connected to it)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from config.celery import app

    node = node or f"celery@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=5)
    return None if replies else f"worker: {node} did not answer a ping"


def check_beat(schedule_path: str) -> str | None:
    """Beat rewrites its schedule file after every task it sends (CELERY_BEAT_SYNC_EVERY), and
    it sends the publishing sweep every PUBLISH_SWEEP_SECONDS: an old file means a stuck beat.
    (The dbm module may add a suffix to the name, hence the glob.)"""
    files = glob.glob(glob.escape(schedule_path) + "*")
    if not files:
        return f"beat: no schedule file at {schedule_path}"
    age = time.time() - max(os.path.getmtime(path) for path in files)
    limit = max(60.0, 6 * float(os.environ.get("PUBLISH_SWEEP_SECONDS", "10")))
    return None if age <= limit else f"beat: schedule file untouched for {age:.0f}s"


CHECKS = {"web": check_web, "worker": check_worker, "beat": check_beat}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CHECKS:
        print(
            f"usage: python -m config.healthcheck {{{'|'.join(CHECKS)}}} [argument]",
            file=sys.stderr,
        )
        return 2
    problem = CHECKS[argv[0]](*argv[1:2])
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
