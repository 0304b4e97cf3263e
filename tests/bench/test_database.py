"""Benchmarks run one after another in one process (`make bench`): each one's scratch
database is the one this process's Django uses, and the one its subprocesses are told of."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import os
from bench.database import use_fresh_database
for name in ("curation_bench_scratch_one", "curation_bench_scratch_two"):
    use_fresh_database(name)
    from django.db import connection
    from curation.models import ImportBatch
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        used = cursor.fetchone()[0]
    told = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    print(used, told, ImportBatch.objects.count())
"""


@pytest.mark.postgres
@pytest.mark.integration
def test_a_second_benchmarks_database_is_used_in_process_and_in_subprocesses():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        missing_service("the benchmarks' databases need DATABASE_URL=postgres://...")
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    try:
        first, second = (line.split() for line in output[:2])
        assert first[0] == first[1] and first[0].startswith("curation_bench_scratch_one")
        assert second[0] == second[1] and second[0].startswith("curation_bench_scratch_two")
        assert first[2] == second[2] == "0"  # migrated: the import batches' table is there
    finally:
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            made = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'curation_bench_scratch_%'"
            ).fetchall()
            for (name,) in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
