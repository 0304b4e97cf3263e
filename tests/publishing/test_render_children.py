"""Forked page renderers die with the build process that started them.

A worker killed mid-build (Celery's hard time limit, the OOM killer) must not leave renderers
running on: they would burn CPU for minutes and keep the dead worker's database session, and
with it the publish lock, alive. Real processes: a build in a subprocess, SIGKILLed.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = """
import os, pathlib, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from bench.generator import load_dataset
load_dataset(120, seed=5)  # 3 topics of 50, 40 and 30 trials: 3 groups
from tests.slow_rendering import slow_down_rendering
slow_down_rendering(1.0)  # about half a minute per renderer
from publishing.build import SnapshotBuilder
from curation.eventstore import last_position
print("building", flush=True)
SnapshotBuilder(1, last_position()).build(pathlib.Path(os.environ["BUILD_INTO"]))
"""


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended; only its exit status is left


def wait_for(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


@pytest.mark.integration
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_renderers_die_when_the_build_process_is_killed(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "",  # a SQLite database of its own in VAR_DIR
        "VAR_DIR": str(tmp_path / "var"),
        "SNAPSHOT_ROOT": str(tmp_path / "snapshots"),
        "BUILD_INTO": str(tmp_path / "build"),
        "PUBLISH_BUILD_PROCESSES": "2",
        "PUBLISH_PARALLEL_THRESHOLD": "10",
        "PUBLISH_RENDER_GROUP_SIZE": "10",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    renderers: list[int] = []
    build = subprocess.Popen(
        [sys.executable, "-c", BUILD], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert build.stdout.readline().strip() == "building"
        renderers = wait_for(lambda: len(children_of(build.pid)) == 2, 30) and children_of(
            build.pid
        )
        assert renderers, "the build did not fork its two renderers"
        assert all(alive(pid) for pid in renderers)

        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=10)

        assert wait_for(lambda: not any(alive(pid) for pid in renderers), 5), (
            f"renderers {[pid for pid in renderers if alive(pid)]} outlived the build"
        )
    finally:
        if build.poll() is None:
            build.kill()
        for pid in renderers:  # when the test fails: leave nothing running behind it
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
