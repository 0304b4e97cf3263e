"""Shared fixtures.

Services: tests that need PostgreSQL or Redis ask for the ``postgres`` or ``redis_url``
fixture. Outside CI a missing service skips the test with the reason; under CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing_service(reason: str):
    """Skip outside CI, fail under CI: a CI run must exercise the real services."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        missing_service("this test needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


def _redis_ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway redis-server on a free port (never the machine's shared one)."""
    binary = shutil.which("redis-server")
    if not binary:
        missing_service("this test needs redis-server on PATH")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if _redis_ping(url):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        missing_service("could not start a throwaway redis-server")
    yield {"url": url, "port": port, "process": proc, "binary": binary}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis_url():
    """The Redis the environment points at (REDIS_URL), checked to answer."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not _redis_ping(url):
        missing_service(f"this test needs a Redis at {url} (set REDIS_URL)")
    return url


# Set on a transactional test whose flush was let through: the database blocker, with which
# the triggers are put back once that flush is over (pytest_runtest_teardown below).
_FLUSH_ALLOWED = pytest.StashKey[object]()


def _trigger_modules():
    from curation.migrations import _triggers, _workflow_triggers
    from publishing.migrations import _release_triggers

    # curation_event; the append-only reviews; releases, kept for ever
    return (_triggers, _workflow_triggers, _release_triggers)


@pytest.fixture(autouse=True)
def _allow_flushing_events(request):
    """Let Django's test flush empty the append-only tables, and nothing else.

    Transactional tests end with a flush (TRUNCATE on PostgreSQL, DELETE on SQLite) that the
    triggers would refuse. This runs its teardown just before that flush: it sets the session
    flag the PostgreSQL TRUNCATE trigger honours, or drops SQLite's DELETE triggers. They are
    put back as soon as the flush is over, not by the next transactional test: pytest-django
    runs a file's transactional tests after its others, so under ``--dist loadfile`` the next
    file's ordinary tests would otherwise run with no DELETE trigger at all.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    blocker = request.getfixturevalue("django_db_blocker")
    yield
    request.node.stash[_FLUSH_ALLOWED] = blocker
    for module in _trigger_modules():
        module.allow_flush(connection)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test's fixtures are torn down (a transactional test's flush among them), put
    back the triggers its flush was let past, whether or not the flush succeeded."""
    try:
        return (yield)
    finally:
        blocker = item.stash.get(_FLUSH_ALLOWED, None)
        if blocker is not None:
            del item.stash[_FLUSH_ALLOWED]
            with blocker.unblock():
                for module in _trigger_modules():
                    module.install(connection)


@pytest.fixture(scope="module")
def seed_for_the_module(django_db_setup, django_db_blocker):
    """The seed, loaded through the pipeline once for a whole module (about 3 s each time).

    It is loaded in a transaction that stays open until the module's last test and is then
    rolled back. Each test of the module asks for ``db`` as usual, which runs it in a savepoint
    inside that transaction, rolled back after it: every test starts from the same seeded
    state and the next module from an empty database. Only for modules whose tests all want
    the seed and none needs ``transactional_db`` (which would empty the tables under it).
    """
    from django.db import transaction

    from curation.seed import load_seed

    with django_db_blocker.unblock(), transaction.atomic():
        load_seed()
        yield
        transaction.set_rollback(True)


def make_user(username: str, group: str | None = None, superuser: bool = False):
    from django.contrib.auth import get_user_model

    from curation.permissions import ensure_groups

    groups = ensure_groups()
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, is_staff=True, is_superuser=superuser
    )
    if group:
        user.groups.add(groups[group])
    return get_user_model().objects.get(pk=user.pk)


def api_token(user, **kwargs) -> str:
    """A new API token for ``user`` (django-rest-knox: the database keeps only its hash, so this
    is the only moment the token itself is known). ``expiry`` is a timedelta, as knox takes it."""
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=user, **kwargs)
    return token


@pytest.fixture
def editor(db):
    return make_user("editor", "Editors")


@pytest.fixture
def editor2(db):
    return make_user("editor2", "Editors")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer", "Reviewers")


@pytest.fixture
def reviewer2(db):
    return make_user("reviewer2", "Reviewers")


@pytest.fixture
def superuser(db):
    return make_user("admin", None, superuser=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.3 s per user; tests create many users and never need the strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _own_publish_flag():
    """Each test process its own pending-publication flag (``publishing.pending``): another
    xdist worker's approval must not find a request pending for this one's."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker:
        settings.CACHE_KEY_PREFIX = f"{settings.CACHE_KEY_PREFIX}-{worker}"


@pytest.fixture(autouse=True)
def _no_publication_pending(_own_publish_flag):
    """An earlier test's approval left a request pending (no worker ran it): this test's first
    approval sends its own, as it would with a worker. Nothing to clear without a Redis broker."""
    from publishing import pending

    pending.clear()


@pytest.fixture(autouse=True)
def _no_documents_validated_yet():
    # The services remember documents they validated (per process, by content): a test that
    # counts validations must not find the same document validated by an earlier test.
    from curation.services.inputs import forget_validated

    forget_validated()


class _NothingHere(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def _registry_that_knows_nothing():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _NothingHere)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _registries_never_on_the_internet(settings, _registry_that_knows_nothing):
    """Tests never reach a real registry: the import settings point at a local server that
    knows no study or reference (404); tests of the imports start servers of their own
    (tests/imports/conftest.py)."""
    base = _registry_that_knows_nothing
    settings.CTGOV_API_BASE = f"{base}/api/v2"
    settings.PUBMED_EFETCH_URL = f"{base}/efetch.fcgi"
    settings.DOI_RESOLVER_BASE = f"{base}/doi"
    settings.IMPORT_FETCH_ATTEMPTS = 1


@pytest.fixture(autouse=True)
def _private_snapshot_root(settings, tmp_path_factory):
    # Snapshots a developer published by hand (var/snapshots) must never be what a test
    # serves or counts: every test starts with a snapshot folder of its own, empty.
    settings.SNAPSHOT_ROOT = tmp_path_factory.mktemp("snapshots")
