"""The compose healthchecks (config.healthcheck) fail when their process is not doing its job;
tests/integration/test_compose_stack.py shows them passing against the running stack."""

from __future__ import annotations

import os
import time

from config import healthcheck
from tests.conftest import free_port


def test_web_fails_when_nothing_answers():
    problem = healthcheck.check_web(f"http://127.0.0.1:{free_port()}")
    assert problem and problem.startswith("web:")


def test_beat_fails_without_a_schedule_file_or_with_a_stale_one(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    assert "no schedule file" in healthcheck.check_beat(str(schedule))
    written = tmp_path / "celerybeat-schedule.db"  # dbm may add a suffix
    written.write_bytes(b"")
    assert healthcheck.check_beat(str(schedule)) is None
    an_hour_ago = time.time() - 3600
    os.utime(written, (an_hour_ago, an_hour_ago))
    assert "untouched" in healthcheck.check_beat(str(schedule))


def test_an_unknown_check_is_a_usage_error():
    assert healthcheck.main(["nothing"]) == 2
    assert healthcheck.main([]) == 2
