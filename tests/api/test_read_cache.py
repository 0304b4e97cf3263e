"""Cached read pages: the same bytes as the uncached path, and never older than the log."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from curation import selectors
from evidence.api import caching
from tests.factories import revise_approved

pytestmark = pytest.mark.django_db

PAGES = [
    ("/api/v1/trials/", {}),
    ("/api/v1/trials/", {"limit": 1, "offset": 1}),
    ("/api/v1/trials/", {"search": "synthetic"}),
    ("/api/v1/topics/", {}),
    ("/api/v1/events/", {}),
    ("/api/v1/events/", {"after": 2, "limit": 2}),
]


def _fetch(client, url, query, **headers):
    response = client.get(url, query, **headers)
    return response.status_code, response.content, response["Content-Type"]


def _uncached(client, url, query, **headers):
    source = caching._position_source
    caching.set_position_source(None)
    selectors._labelled.clear()
    try:
        return _fetch(client, url, query, **headers)
    finally:
        caching.set_position_source(source)


@pytest.mark.parametrize(("url", "query"), PAGES)
def test_cached_page_is_byte_identical_to_uncached(anon_client, synthetic_records, url, query):
    assert caching._position_source is not None, "curation registers the position source"
    uncached = _uncached(anon_client, url, query)
    first = _fetch(anon_client, url, query)  # fills the cache
    second = _fetch(anon_client, url, query)  # served from it
    assert uncached == first == second
    assert uncached[0] == 200


def test_cached_page_is_served_without_queries_of_the_read_models(
    anon_client, synthetic_records, django_assert_max_num_queries
):
    _fetch(anon_client, "/api/v1/trials/", {})
    with django_assert_max_num_queries(1):  # the log position, nothing else
        status, _, _ = _fetch(anon_client, "/api/v1/trials/", {})
    assert status == 200


def test_an_approval_changes_every_cached_page(anon_client, synthetic_records, editor, reviewer):
    before = {url: _fetch(anon_client, url, query) for url, query in PAGES[:1] + PAGES[4:5]}

    def rename(document):
        document["name"] = "Renamed synthetic trial"

    revise_approved(editor, reviewer, "trial", "synthetic-trial", rename)
    for url, query in PAGES[:1] + PAGES[4:5]:
        after = _fetch(anon_client, url, query)
        assert after != before[url]
        assert after == _uncached(anon_client, url, query)
    assert b"Renamed synthetic trial" in _fetch(anon_client, "/api/v1/trials/", {})[1]


def test_format_asked_for_is_part_of_the_key(anon_client, synthetic_records):
    plain = _fetch(anon_client, "/api/v1/trials/", {})
    indented = _fetch(anon_client, "/api/v1/trials/", {}, HTTP_ACCEPT="application/json; indent=2")
    assert indented == _uncached(
        anon_client, "/api/v1/trials/", {}, HTTP_ACCEPT="application/json; indent=2"
    )
    assert indented[1] != plain[1] and b"\n  " in indented[1]


def test_bad_query_is_still_a_400_and_never_cached(anon_client, synthetic_records):
    for _ in range(2):
        response = anon_client.get("/api/v1/events/", {"after": "two"})
        assert response.status_code == 400
        assert [e["path"] for e in response.json()["error"]["errors"]] == ["after"]


def test_bad_token_is_still_a_401_on_a_cached_page(anon_client, synthetic_records):
    assert _fetch(anon_client, "/api/v1/trials/", {})[0] == 200
    anon_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert anon_client.get("/api/v1/trials/").status_code == 401


def test_labelled_changes_are_computed_once_per_event(synthetic_records, monkeypatch):
    event = synthetic_records["trial"]
    selectors._labelled.clear()
    first = selectors.event_labelled_changes(event)
    monkeypatch.setattr(selectors, "labelled_changes", lambda *a, **k: pytest.fail("again"))
    assert selectors.event_labelled_changes(event) is first
    assert first and {"path", "label", "old", "new"} <= set(first[0])


def test_a_page_kept_in_the_process_is_the_shared_cache_page(anon_client, synthetic_records):
    """The process-local copy and the shared cache give the same bytes; a page only in the
    shared cache (another worker filled it) is served from there."""
    first = _fetch(anon_client, "/api/v1/trials/", {})
    assert len(caching._local) == 1
    caching._local.clear()
    assert _fetch(anon_client, "/api/v1/trials/", {}) == first  # from the shared cache
    assert len(caching._local) == 1
    assert _fetch(anon_client, "/api/v1/trials/", {}) == first  # from the process


# --- The position query stands in for CONN_HEALTH_CHECKS' own --------------------------------


def _new_request_on_kept_connection():
    """What a worker does between requests (``close_if_unusable_or_obsolete``): the kept
    connection is to be checked again. The test client skips it."""
    connection.health_check_done = False


@pytest.mark.django_db(transaction=True)
def test_a_cached_page_on_a_kept_connection_sends_no_health_check(anon_client, monkeypatch):
    if not connection.settings_dict.get("CONN_HEALTH_CHECKS"):
        pytest.skip("CONN_HEALTH_CHECKS is on with PostgreSQL only")
    first = _fetch(anon_client, "/api/v1/trials/", {})
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    _new_request_on_kept_connection()
    with CaptureQueriesContext(connection) as queries:
        assert _fetch(anon_client, "/api/v1/trials/", {}) == first
    assert checks == [] and len(queries) == 1  # the position, which is the check


@pytest.mark.django_db(transaction=True)
def test_a_dead_kept_connection_is_replaced_and_the_page_is_still_current(anon_client):
    """The server ended the kept connection (a restart, an idle timeout): the position query
    fails as the health check would have, and is asked again on a new connection."""
    if not connection.settings_dict.get("CONN_HEALTH_CHECKS"):
        pytest.skip("CONN_HEALTH_CHECKS is on with PostgreSQL only")
    first = _fetch(anon_client, "/api/v1/trials/", {})
    pid = connection.connection.info.backend_pid
    own = connection.settings_dict
    with psycopg.connect(
        host=own["HOST"],
        port=own["PORT"],
        user=own["USER"],
        password=own["PASSWORD"],
        dbname=own["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    _new_request_on_kept_connection()
    assert _fetch(anon_client, "/api/v1/trials/", {}) == first
    assert connection.connection.info.backend_pid != pid


def test_the_checked_read_runs_as_is_inside_a_transaction(db):
    """In a transaction nothing can be asked again: an error is the caller's, as it was."""
    calls = []

    def failing():
        calls.append(1)
        raise OperationalError("gone")

    connection.ensure_connection()
    connection.health_check_done = False
    assert connection.in_atomic_block  # the test's transaction
    with pytest.raises(OperationalError):
        caching.checking_the_connection(failing)
    assert calls == [1]


@pytest.mark.parametrize(("url", "query"), [PAGES[0], PAGES[4]])
def test_cached_page_has_the_uncached_pages_headers(anon_client, synthetic_records, url, query):
    """Every header (the view's and the middleware's) of a page served from the cache is the
    uncached page's: status, type, Vary, Allow, length, security headers alike."""

    def headers(response):
        return response.status_code, sorted(response.items())

    source = caching._position_source
    caching.set_position_source(None)
    try:
        uncached = headers(anon_client.get(url, query))
    finally:
        caching.set_position_source(source)
    first = headers(anon_client.get(url, query))
    second = headers(anon_client.get(url, query))
    assert uncached == first == second
    names = {name for name, _ in uncached[1]}
    assert uncached[0] == 200 and {"Allow", "Content-Security-Policy", "Vary"} <= names
