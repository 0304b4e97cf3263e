"""A throwaway database for a benchmark run: PostgreSQL when DATABASE_URL says so, else SQLite.

``use_fresh_database(name)`` creates an empty database (dropping an old one of the same name),
points DATABASE_URL at it (for the subprocesses a benchmark starts) and this process's Django
(set up now, or by a benchmark that ran before in the same ``make bench``), and migrates.
"""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit


def scratch_name(name: str, url: str) -> str:
    """The database a benchmark calls ``name``: named after the configured one too, so that
    benchmarks run by people with different databases on one server never drop each other's."""
    own = urlsplit(url).path.lstrip("/")
    return f"{name}_{own}"[:63] if own and own not in name else name


def use_fresh_database(name: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(url)
        name = scratch_name(name, url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        backend = "postgresql"
    else:
        os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix=f"{name}-")
        backend = "sqlite"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.apps import apps
    from django.core.management import call_command

    if apps.ready:
        # Another benchmark of this run set Django up on its own database: point this
        # process at the new one too, as the subprocesses started with DATABASE_URL will be.
        _repoint_default(name if backend == "postgresql" else None)
    django.setup()
    call_command("migrate", verbosity=0)
    return backend


def _repoint_default(postgres_name: str | None) -> None:
    """The default connection to the database ``postgres_name`` (None: SQLite in VAR_DIR)."""
    from pathlib import Path

    from django.conf import settings
    from django.db import connections

    connections.close_all()
    name = postgres_name or Path(os.environ["VAR_DIR"]) / "db.sqlite3"
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
