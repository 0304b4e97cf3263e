"""Fixtures for the API tests: clients per role, and small published evidence.

The evidence here is synthetic (made-up trial, numbers chosen only to be valid) and is
published through the real pipeline: propose, then approve by a second person.
"""

from __future__ import annotations

import copy
import uuid

import pytest
from rest_framework.test import APIClient

from curation import services
from tests.conftest import api_token


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """A private cache per test, so throttling counters never leak between tests or runs;
    a fast password hasher, because the API tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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


INTERVENTION = {
    "slug": "testamide",
    "name": "Testamide",
    "generic_name": "testamide",
    "brand_names": ["Testa"],
}
CITATION = {
    "slug": "synthetic-2020",
    "kind": "article",
    "title": "A synthetic trial report used only by the test suite",
    "year": 2020,
}
TRIAL = {
    "slug": "synthetic-trial",
    "name": "Synthetic Trial",
    "phase": "3",
    "setting": "post_autologous_transplant",
    "population": "Synthetic patients (test data, not evidence)",
    "enrollment": 300,
    "registry_ids": [{"registry": "NCT", "id": "NCT99999901"}],
    "interventions": ["testamide"],
    "arms": [
        {"key": "tst", "label": "Testamide", "role": "experimental", "n": 150},
        {"key": "pbo", "label": "Placebo", "role": "placebo", "n": 150},
    ],
    "outcomes": [
        {
            "key": "pfs",
            "endpoint": "pfs",
            "label": "Progression-free survival",
            "measure": "median",
            "unit": "months",
            "values": [{"arm": "tst", "value": 30}, {"arm": "pbo", "value": 20}],
        }
    ],
    "summary": "A synthetic trial for tests.",
    "citations": ["synthetic-2020"],
}
OTHER_TRIAL = {
    "slug": "other-trial",
    "name": "Other Trial",
    "phase": "2",
    "setting": "transplant_ineligible",
    "population": "Other synthetic patients",
    "registry_ids": [{"registry": "ISRCTN", "id": "ISRCTN0000002"}],
}
TOPIC = {
    "slug": "synthetic-topic",
    "title": "Synthetic topic",
    "condition": "Synthetic condition",
    "summary": "A topic for tests.",
    "sections": [
        {"key": "main", "heading": "Main", "body": ["Text."], "trials": ["synthetic-trial"]}
    ],
}


def doc(template: dict, **changes) -> dict:
    document = copy.deepcopy(template)
    document.update(changes)
    return document


def publish(editor, reviewer, record_type: str, document: dict, action="create", base=None):
    """Propose and approve; returns the event."""
    cr = services.propose(
        user=editor,
        record_type=record_type,
        action=action,
        document=document,
        record=None if action == "create" else document["slug"],
        base_version=base,
        rationale="test data",
    )
    return services.approve(cr, user=reviewer)


@pytest.fixture
def published(editor, reviewer):
    """An intervention, a citation, two trials and a topic, all approved (positions 1-5)."""
    events = {}
    events["intervention"] = publish(editor, reviewer, "intervention", doc(INTERVENTION))
    events["citation"] = publish(editor, reviewer, "citation", doc(CITATION))
    events["trial"] = publish(editor, reviewer, "trial", doc(TRIAL))
    events["other_trial"] = publish(editor, reviewer, "trial", doc(OTHER_TRIAL))
    events["topic"] = publish(editor, reviewer, "topic", doc(TOPIC))
    return events


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
