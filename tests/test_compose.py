"""docker-compose.yml as Compose itself reads it (``docker compose config``, or Debian's
``docker-compose``), with the environment the README documents: it is valid, every
long-running service has a healthcheck and a restart policy, Redis keeps its data on a volume,
and the production settings it gives pass ``check --deploy`` as they are."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import missing_service
from tests.test_settings import STRONG_KEY, manage

ROOT = Path(__file__).resolve().parents[1]
# The one variable the README's command sets; everything else keeps the file's defaults.
README_ENVIRONMENT = {"DJANGO_SECRET_KEY": STRONG_KEY}
ONE_SHOT_SERVICES = {"migrate"}  # runs to completion: nothing to watch or restart


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    if legacy := shutil.which("docker-compose"):
        return [legacy]
    missing_service("linting docker-compose.yml needs `docker compose` or docker-compose")


@pytest.fixture(scope="module")
def compose_config() -> dict:
    command = compose_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COMPOSE_"))}
    result = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        env={**env, **README_ENVIRONMENT},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "WARN" not in result.stderr.upper(), result.stderr
    return yaml.safe_load(result.stdout)


def test_the_secret_key_is_required():
    command = compose_command()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    result = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_every_service_has_a_healthcheck_and_a_restart_policy(compose_config):
    services = compose_config["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name, service in services.items():
        assert service.get("restart") not in (None, "no"), name
        if name not in ONE_SHOT_SERVICES:
            assert service["healthcheck"]["test"], name
    # migrate waits for healthy services; the others wait for migrate to have succeeded.
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def named_volumes(service: dict) -> dict[str, str]:
    """Mount target -> named volume, from either form Compose prints (docker-compose 1 keeps
    the short "name:/target:rw"; the plugin the long form)."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
            if not source.startswith((".", "/")):
                mounts[target] = source
        elif volume["type"] == "volume":
            mounts[volume["target"]] = volume["source"]
    return mounts


def test_redis_persists_on_a_named_volume(compose_config):
    redis = compose_config["services"]["redis"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    data_dir = redis["command"][redis["command"].index("--dir") + 1]
    assert named_volumes(redis)[data_dir] in compose_config["volumes"]


def test_the_app_services_share_the_snapshot_volume(compose_config):
    for name in ("web", "worker", "beat", "migrate"):
        service = compose_config["services"][name]
        target = service["environment"]["SNAPSHOT_ROOT"]
        assert named_volumes(service)[target] == "snapshots", name


def test_the_image_creates_what_the_services_write_owned_by_app():
    # A named volume starts as a copy of the image's directory, owner included: a directory
    # missing from the image comes up owned by root, and user `app` cannot write snapshots.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /data/snapshots /data/static" in dockerfile
    assert "chown -R app:app /data" in dockerfile
    assert dockerfile.index("chown -R app:app /data") < dockerfile.index("USER app")
    assert dockerfile.index("USER app") < dockerfile.index("collectstatic")


def test_check_deploy_is_clean_with_the_compose_defaults(compose_config, tmp_path):
    environment = dict(compose_config["services"]["web"]["environment"])
    # Everything the file sets, except where the data lives: a SQLite database of its own.
    environment.pop("DATABASE_URL")
    environment.pop("REDIS_URL")
    environment["SNAPSHOT_ROOT"] = str(tmp_path / "snapshots")
    assert environment["DJANGO_SECURE_SSL_REDIRECT"] == "true"
    assert manage("migrate", "--noinput", sqlite_in=tmp_path, **environment).returncode == 0
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", sqlite_in=tmp_path, **environment
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Without TLS (the variable set to false) the same check warns: the default matters.
    plain_http = {**environment, "DJANGO_SECURE_SSL_REDIRECT": "false"}
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", sqlite_in=tmp_path, **plain_http
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr
