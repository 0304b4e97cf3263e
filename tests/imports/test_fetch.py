"""Fetching from the registry's API, against a local server: retries, timeouts, 404, size."""

from __future__ import annotations

import pytest

from curation.imports import fetch
from curation.imports.errors import FetchFailed, SourceTooLarge, StudyNotFound


def test_fetches_a_study(registry):
    registry.add("NCT00000001", {"x": 1})
    body = fetch.fetch(fetch.ctgov_study_url("NCT00000001"), what="study NCT00000001")
    assert body == b'{"x": 1}'
    assert registry.requests == ["/api/v2/studies/NCT00000001"]


def test_retries_a_busy_registry_with_backoff(registry):
    registry.add("NCT00000001", {"x": 1})
    registry.failures_left = 2
    pauses = []
    body = fetch.fetch(fetch.ctgov_study_url("NCT00000001"), what="s", sleep=pauses.append)
    assert body == b'{"x": 1}' and len(registry.requests) == 3
    assert pauses == [0.01, 0.02]  # doubling


def test_gives_up_after_the_attempts(registry):
    registry.failures_left = 10
    with pytest.raises(FetchFailed, match=r"study NCT00000001: .*answered 503 \(3 attempts\)"):
        fetch.fetch(fetch.ctgov_study_url("NCT00000001"), what="study NCT00000001")


def test_unknown_id_is_not_found_at_once(registry):
    with pytest.raises(StudyNotFound, match="does not know it"):
        fetch.fetch(fetch.ctgov_study_url("NCT09999999"), what="study NCT09999999")
    assert len(registry.requests) == 1  # a 404 is not retried


def test_timeout(registry, settings):
    registry.add("NCT00000001", {"x": 1})
    registry.delay = 0.5
    settings.IMPORT_FETCH_TIMEOUT = 0.1
    settings.IMPORT_FETCH_ATTEMPTS = 2
    with pytest.raises(FetchFailed, match=r"timed out after 0.1 s \(2 attempts\)"):
        fetch.fetch(fetch.ctgov_study_url("NCT00000001"), what="s")


def test_offline(offline):
    with pytest.raises(FetchFailed, match="could not connect"):
        fetch.fetch(fetch.ctgov_study_url("NCT00000001"), what="s")


def test_over_the_size_limit(registry, settings):
    registry.add("NCT00000001", b"[" + b"1," * 600 + b"1]")
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(SourceTooLarge, match="over the limit of 1000 bytes"):
        fetch.fetch(fetch.ctgov_study_url("NCT00000001"), what="s")
