"""The settings module: strict production mode, safe development defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 20 + "-production-secret-key-for-tests-only-0123456789"


def manage(*args, sqlite_in=None, **env):
    """``manage.py`` in a fresh process with ``env``; ``sqlite_in``: a directory for a SQLite
    database of its own (instead of DATABASE_URL's)."""
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser test in this process; production never has it.
    dropped = ("DJANGO_ENV", "DJANGO_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    if sqlite_in is not None:
        dropped += ("DATABASE_URL",)
        env["VAR_DIR"] = str(sqlite_in)
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    result = manage("check", DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_key_and_missing_hosts():
    short = manage(
        "check", DJANGO_ENV="production", DJANGO_SECRET_KEY="short", DJANGO_ALLOWED_HOSTS="x"
    )
    assert short.returncode != 0 and "at least 50" in short.stderr
    hosts = manage("check", DJANGO_ENV="production", DJANGO_SECRET_KEY=STRONG_KEY)
    assert hosts.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in hosts.stderr


PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "example.org",
}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a" * 64, "fewer than 5 distinct characters"),
        ("django-insecure-" + "q8#x2!vz9@lm4p0s7r6t5w3y1u-k_j&h%gfedcba", "django-insecure-"),
        ("dev-only-insecure-key-do-not-use-in-production", "development key"),
    ],
)
def test_production_refuses_weak_secret_keys(key, reason):
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY" in result.stderr and reason in result.stderr


def test_weak_secret_key_reasons():
    from config.settings import weak_secret_key_reason

    assert weak_secret_key_reason(STRONG_KEY) is None
    assert weak_secret_key_reason("abcd" * 13) == "has fewer than 5 distinct characters"
    assert weak_secret_key_reason("abcde" * 10) is None  # Django's own threshold (W009)
    assert weak_secret_key_reason("x" * 49) == "is shorter than 50 characters"


def test_production_passes_check_deploy(tmp_path):
    assert manage("migrate", "--noinput", sqlite_in=tmp_path).returncode == 0
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", sqlite_in=tmp_path, **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

    # The same database after `make run`'s setup_demo_accounts: the deployment check fails.
    assert manage("setup_demo_accounts", sqlite_in=tmp_path).returncode == 0
    result = manage("check", "--deploy", sqlite_in=tmp_path, **PRODUCTION)
    assert result.returncode != 0
    assert "curation.E001" in result.stderr
    assert "Demo accounts exist: admin, editor, reviewer, reviewer2" in result.stderr
    assert "HINT: Delete them" in result.stderr


def test_check_deploy_warns_when_it_cannot_read_the_database():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing",
        **PRODUCTION,
    )
    assert result.returncode != 0
    assert "curation.W001" in result.stderr


def test_auth_settings_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.REST_KNOX['TOKEN_TTL'], s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "API_TOKEN_TTL_HOURS": "2.5",
        "LOGIN_FAILURE_LIMIT": "4",
        "LOGIN_COOLOFF_MINUTES": "30",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["2:30:00", "4", "0:30:00"], result.stderr


def test_demo_accounts_are_refused_in_production():
    result = manage(
        "setup_demo_accounts",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert result.returncode != 0 and "never created in production" in result.stderr


def test_sqlite_default_uses_wal_and_immediate_transactions(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["wal", "IMMEDIATE"], result.stderr
    assert (tmp_path / "db.sqlite3").exists()
