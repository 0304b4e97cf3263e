"""Fixtures for the API tests: clients per role, and small approved evidence.

The evidence here is synthetic (``tests.documents.synthetic_*``: made-up, numbers chosen only to
be valid) and is approved through the real pipeline: propose, then approve by a second person.
"""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from evidence.api import caching
from tests.conftest import api_token
from tests.factories import seed_synthetic


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """A private cache per test, so throttling counters never leak between tests or runs;
    a fast password hasher, because the API tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caching._local.clear()  # read pages this process kept (keys name the log's hash anyway)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-tests-{uuid.uuid4()}",
        }
    }


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def anon_client(db):
    return APIClient()


@pytest.fixture
def editor_client(editor):
    return token_client(editor)


@pytest.fixture
def editor2_client(editor2):
    return token_client(editor2)


@pytest.fixture
def reviewer_client(reviewer):
    return token_client(reviewer)


@pytest.fixture
def superuser_client(superuser):
    return token_client(superuser)


@pytest.fixture
def synthetic_records(editor, reviewer):
    """The synthetic intervention, citation, two trials and topic, all approved (positions
    1-5); their events by name: intervention, citation, trial, other_trial, topic."""
    return seed_synthetic(editor, reviewer)


def revise_payload(document: dict, base_version: int, **extra) -> dict:
    return {
        "record_type": "trial",
        "record": document["slug"],
        "action": "revise",
        "base_version": base_version,
        "document": document,
        "rationale": "Corrected from the source.",
        **extra,
    }
