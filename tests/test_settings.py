"""The settings module: strict production mode, safe development defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 20 + "-production-secret-key-for-tests-only-0123456789"


def manage(*args, **env):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser test in this process; production never has it.
    dropped = ("DJANGO_ENV", "DJANGO_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
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


def test_production_passes_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


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
