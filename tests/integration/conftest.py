"""Real processes for the fault tests: a throwaway redis-server and Celery workers.

The workers run ``python -m celery -A config worker`` against the pytest test database
(transactional tests commit, so another process sees the data) and a temporary
SNAPSHOT_ROOT. Everything started here is stopped here, by process id.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import _redis_ping, free_port, missing_service

REPO = Path(__file__).resolve().parents[2]


class RedisProcess:
    """A redis-server on a fixed free port that a test can stop and start again."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _redis_ping(self.url), 10, "redis-server to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def live_postgres(transactional_db):
    if connection.vendor != "postgresql":
        missing_service("the fault tests need PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


@pytest.fixture
def redis_process():
    binary = shutil.which("redis-server")
    if not binary:
        missing_service("the fault tests need redis-server on PATH")
    redis = RedisProcess(binary)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def snapshot_root(settings, tmp_path):
    settings.SNAPSHOT_ROOT = tmp_path / "snapshots"
    return settings.SNAPSHOT_ROOT


@pytest.fixture
def send_tasks_to(redis_process):
    """Point this process's Celery app (used by the approval signal) at the test Redis."""
    from config.celery import app

    def use(url: str) -> None:
        app.conf.broker_url = url
        app.conf.broker_transport_options = {"socket_connect_timeout": 2, "socket_timeout": 5}
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    original = (app.conf.broker_url, app.conf.broker_transport_options)
    use(redis_process.url)
    yield redis_process
    use(original[0])
    app.conf.broker_transport_options = original[1]


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    def __init__(self, tmp_path: Path, broker_url: str):
        self.tmp_path = tmp_path
        self.broker_url = broker_url
        self.processes: dict[str, subprocess.Popen] = {}

    def start(
        self, name: str, beat: bool = False, app: str = "config", **env_extra: str
    ) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "REDIS_URL": "",
            "SNAPSHOT_ROOT": str(settings.SNAPSHOT_ROOT),
            "VAR_DIR": str(self.tmp_path / f"var-{name}"),
            "PUBLISH_SWEEP_SECONDS": "1",
            # The pending-publication flag this process sets is the one the worker clears.
            "CACHE_KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            "PYTHONPATH": str(REPO),
            **env_extra,
        }
        command = [sys.executable, "-m", "celery", "-A", app, "worker", "--loglevel", "INFO"]
        command += ["--concurrency", "1", "-n", f"{name}@%h", "--without-gossip"]
        command += ["--without-mingle", "--without-heartbeat"]
        if beat:
            command += ["--beat", "--schedule", str(self.tmp_path / f"beat-{name}")]
        log = open(self.tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its pool children (its own process group)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in list(self.processes.values()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in list(self.processes.items()):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            self.processes.pop(name)


@pytest.fixture
def workers(tmp_path, redis_process, snapshot_root):
    pool = Workers(tmp_path, redis_process.url)
    yield pool
    pool.stop_all()
