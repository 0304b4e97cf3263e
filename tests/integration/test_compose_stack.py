"""The compose stack, proven at process level (no Docker daemon here): the commands of
docker-compose.yml and the Dockerfile's collectstatic, run as they are written, with the
image's and the compose file's environment, against the real PostgreSQL (a database of its
own) and Redis (a db number of its own), sharing one snapshot directory.

Only what cannot be the same outside a container is changed: ``/data`` (the image's paths)
becomes a temporary directory, gunicorn binds 127.0.0.1 on a free port instead of
0.0.0.0:8000, the service host names become the real servers' addresses, and beat sweeps
every second. Requests come as the TLS proxy sends them: ``X-Forwarded-Proto: https`` and an
allowed host name.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from django.conf import settings

from tests.conftest import _redis_ping, free_port, missing_service
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PROXY_HEADERS = {"Host": "localhost", "X-Forwarded-Proto": "https"}


def compose_services() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]


def dockerfile_collectstatic() -> tuple[dict[str, str], str]:
    """The image's ENV and its collectstatic RUN line (continuations joined)."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    image_env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            image_env.update(item.split("=", 1) for item in shlex.split(line[4:]))
    run = next(line for line in text.splitlines() if "collectstatic" in line)
    return image_env, run.removeprefix("RUN ").strip()


class Stack:
    """The stack's processes, each in its own process group, stopped by id at the end."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def run(self, name: str, command: list[str], timeout: float = 600) -> None:
        """A one-shot command (migrate, collectstatic, createsuperuser): it must succeed."""
        result = subprocess.run(
            command, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr}"

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """SIGKILL a process and its children (its own process group), as a crash would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()


@pytest.fixture
def stack_database():
    """A PostgreSQL database of this test's own, created empty and dropped afterwards."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        missing_service("the stack test needs PostgreSQL: set DATABASE_URL=postgres://...")
    import psycopg

    name = f"{db.get('TEST', {}).get('NAME') or 'test_' + db['NAME']}_stack"
    admin = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    auth = admin["user"] + (f":{admin['password']}" if admin["password"] else "")
    yield f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack_redis():
    """The real Redis, on a db number of this test's own (the next one after REDIS_URL's)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not _redis_ping(url):
        missing_service(f"the stack test needs a Redis at {url} (set REDIS_URL)")
    parts = urlsplit(url)
    db = (int(parts.path.strip("/") or 0) + 1) % 16
    own = parts._replace(path=f"/{db}").geturl()
    import redis

    redis.Redis.from_url(own).flushdb()  # this db number is the test's alone
    yield own
    redis.Redis.from_url(own).flushdb()


@pytest.fixture
def stack(tmp_path, stack_database, stack_redis):
    data = tmp_path / "data"  # the image's /data: snapshots (the shared volume), static
    (data / "snapshots").mkdir(parents=True)
    services = compose_services()
    image_env, _ = dockerfile_collectstatic()
    compose_env = dict(services["web"]["environment"])
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "TEST_", "PYTEST"))
    }
    env.update({key: value.replace("/data", str(data)) for key, value in image_env.items()})
    for key, value in compose_env.items():
        # ${VAR:-default} and ${VAR:?message} as Compose reads them, with only the secret key
        # given (as the README's commands do).
        value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
        value = re.sub(r"\$\{\w+:\?[^}]*\}", "", value)
        env[key] = value.replace("/data", str(data))
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=stack_database,
        REDIS_URL=stack_redis,
        PUBLISH_SWEEP_SECONDS="1",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(REPO),
    )
    assert env["DJANGO_ENV"] == "production" and env["DJANGO_SECURE_SSL_REDIRECT"] == "true"
    assert env["SNAPSHOT_ROOT"] == str(data / "snapshots")
    processes = Stack(tmp_path, env)
    processes.data = data
    yield processes
    processes.stop_all()


def as_run_here(command: list[str], data: Path, port: int) -> list[str]:
    """A compose command with the container-only parts changed (see the module docstring)."""
    return [
        part.replace("0.0.0.0:8000", f"127.0.0.1:{port}").replace("/data", str(data))
        for part in command
    ]


def get(base: str, path: str, **kwargs) -> requests.Response:
    return requests.get(base + path, headers=PROXY_HEADERS, timeout=30, **kwargs)


def static_assets(html: str) -> list[str]:
    return [url for url in re.findall(r'(?:src|href)="([^"?]+)', html) if "/static/" in url]


def login(base: str, username: str, password: str) -> dict[str, str]:
    response = requests.post(
        base + "/api/v1/auth/token/",
        json={"username": username, "password": password},
        headers=PROXY_HEADERS,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {**PROXY_HEADERS, "Authorization": f"Token {response.json()['token']}"}


def approve_new_citation(base: str, editor: dict, reviewer: dict, slug: str) -> int:
    proposal = {
        "record_type": "citation",
        "action": "create",
        "document": {"slug": slug, "kind": "article", "title": f"Stack test {slug}"},
        "rationale": "Published by the stack test.",
    }
    created = requests.post(
        base + "/api/v1/change-requests/", json=proposal, headers=editor, timeout=30
    )
    assert created.status_code == 201, created.text
    approved = requests.post(
        f"{base}/api/v1/change-requests/{created.json()['id']}/approve/",
        json={},
        headers=reviewer,
        timeout=30,
    )
    assert approved.status_code == 200, approved.text
    return approved.json()["event"]["position"]


def published_citation(base: str, slug: str, timeout: float = 120) -> dict:
    """Wait until /published/latest/ serves a snapshot with the citation in it."""

    def served():
        response = get(base, "/published/latest/evidence.json")
        if response.status_code != 200:
            return None
        citations = response.json().get("citations", [])
        return next((c for c in citations if c.get("slug") == slug), None)

    return wait_for(served, timeout, f"{slug} to be published and served", interval=0.5)


def test_the_compose_commands_serve_publish_and_survive_a_killed_worker(stack):
    services = compose_services()
    image_env, collectstatic = dockerfile_collectstatic()
    data, port = stack.data, free_port()
    base = f"http://127.0.0.1:{port}"

    # The image build's collectstatic, then the migrate service.
    stack.run("collectstatic", ["sh", "-c", collectstatic])
    assert (data / "static" / "staticfiles.json").exists()  # the manifest production needs
    stack.run("migrate", as_run_here(services["migrate"]["command"], data, port))
    # The README's first-admin step (non-interactive here); two, as approval needs another.
    passwords = {}
    for username in ("first-admin", "second-admin"):
        passwords[username] = stack.env["DJANGO_SUPERUSER_PASSWORD"] = secrets.token_urlsafe(16)
        stack.run(
            "createsuperuser",
            ["python", "manage.py", "createsuperuser", "--noinput", "--username", username]
            + ["--email", f"{username}@example.org"],
        )
    del stack.env["DJANGO_SUPERUSER_PASSWORD"]

    stack.start("web", as_run_here(services["web"]["command"], data, port))
    for name in ("worker-1", "worker-2"):
        stack.start(name, as_run_here(services["worker"]["command"], data, port))
    stack.start("beat", as_run_here(services["beat"]["command"], data, port))

    wait_for(lambda: _answers(base), 60, "gunicorn to answer")
    # The web healthcheck, as the compose file runs it (against this port).
    web_check = as_run_here(services["web"]["healthcheck"]["test"][1:], data, port)
    web_check = [part.replace("http://127.0.0.1:8000", base) for part in web_check]
    stack.run("web healthcheck", web_check, timeout=30)

    # The admin login page and the API docs, with every static file they load (from WhiteNoise:
    # hashed names from the manifest, cached for good).
    for page in ("/admin/login/", "/api/v1/docs/"):
        response = get(base, page)
        assert response.status_code == 200, f"{page}: {response.status_code}\n{stack.log('web')}"
        assets = static_assets(response.text)
        assert assets, page
        for asset in assets:
            served = get(base, asset)
            assert served.status_code == 200, asset
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", asset), f"{asset}: not a manifest name"
            assert "immutable" in served.headers["Cache-Control"], asset
    # Plain HTTP is redirected to HTTPS (the compose default).
    for path in ("/admin/login/", "/healthz"):
        plain = requests.get(
            base + path, headers={"Host": "localhost"}, allow_redirects=False, timeout=30
        )
        assert plain.status_code == 301, path
        assert plain.headers["Location"] == f"https://localhost{path}"

    # An approval through the API is published by a worker and served.
    editor = login(base, "first-admin", passwords["first-admin"])
    reviewer = login(base, "second-admin", passwords["second-admin"])
    approve_new_citation(base, editor, reviewer, "stack-citation-one")
    citation = published_citation(base, "stack-citation-one")
    assert "Stack test stack-citation-one" in str(citation)
    assert get(base, "/published/latest/").status_code == 200

    # The worker and beat healthchecks pass while they run.
    stack.run("worker healthcheck", services["worker"]["healthcheck"]["test"][1:], timeout=60)
    beat_check = as_run_here(services["beat"]["healthcheck"]["test"][1:], data, port)
    stack.run("beat healthcheck", beat_check, timeout=30)

    # One worker killed outright, right after an approval: nothing is lost, the other worker
    # (or beat's sweep through it) publishes that approval and the next one.
    approve_new_citation(base, editor, reviewer, "stack-citation-two")
    stack.kill("worker-1")
    published_citation(base, "stack-citation-two")
    approve_new_citation(base, editor, reviewer, "stack-citation-three")
    published_citation(base, "stack-citation-three")
    latest = get(base, "/api/v1/snapshots/latest/").json()
    events = get(base, "/api/v1/events/", params={"limit": 1000}).json()
    assert latest["position"] == events["last_position"]
    assert stack.processes["worker-2"].poll() is None, stack.log("worker-2")
    assert "Traceback" not in stack.log("web")


def _answers(base: str) -> bool:
    try:
        return get(base, "/healthz").status_code == 200
    except requests.ConnectionError:
        return False
