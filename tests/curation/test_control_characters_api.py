"""NUL and other control characters through the API: 400 naming the field, nothing written.

On PostgreSQL a NUL used to reach the database (a DataError, 500); on SQLite it was stored
and published raw into HTML.
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from curation import services
from tests import documents
from tests.conftest import api_token
from tests.read_models import written

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-requests/"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """No throttling counters shared with other tests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def post(client: APIClient, url: str, body: dict):
    """JSON as a client sends it: json.dumps escapes every control character as \\uXXXX,
    which the server's parser turns back into the character. (A lone surrogate never gets
    this far: the API's JSON parser refuses it as malformed.)"""
    return client.post(url, json.dumps(body), content_type="application/json")


def payload(**changes) -> dict:
    return {
        "record_type": "trial",
        "action": "create",
        "document": documents.ifm_trial(),
        "rationale": "From the article.",
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        (
            {"document": documents.ifm_trial(summary="Revlimid\x00 delayed progression")},
            "document.summary",
        ),
        ({"document": documents.ifm_trial(name="IFM\x1b[0m")}, "document.name"),
        ({"document": documents.ifm_trial(notes="Unblinded\x85early")}, "document.notes"),
        ({"rationale": "From the article\x00"}, "rationale"),
        ({"rationale": "From the article\x07"}, "rationale"),
        ({"citations": ["attal-2012\x00"]}, "citations"),
        ({"citations": ["attal\x0c2012"]}, "citations[0]"),
    ],
)
def test_proposing_control_characters_is_400_naming_the_field(
    trial_references, editor, changes, path
):
    before = written()
    response = post(client_for(editor), URL, payload(**changes))
    assert response.status_code == 400, response.content
    paths = [e["path"] for e in response.json()["error"]["errors"]]
    assert any(p == path or p.startswith(f"{path}[") for p in paths), paths
    assert written() == before


def test_the_document_error_says_which_character_at_which_offset(trial_references, editor):
    document = documents.ifm_trial(summary="Revlimid\x00 delayed progression")
    response = post(client_for(editor), URL, payload(document=document))
    assert response.json()["error"]["errors"] == [
        {
            "path": "document.summary",
            "message": "contains a control character (U+0000 NUL) at offset 8; remove it",
        }
    ]


@pytest.mark.parametrize("action", ["approve", "reject", "request-changes", "comments"])
@pytest.mark.parametrize("comment", ["Checked\x00", "Checked\x08"])
def test_a_comment_with_control_characters_is_400_and_decides_nothing(
    trial_references, editor, reviewer, action, comment
):
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="create",
        document=documents.ifm_trial(),
        rationale="From the article.",
    )
    before = written()
    response = post(client_for(reviewer), f"{URL}{cr.pk}/{action}/", {"comment": comment})
    assert response.status_code == 400, response.content
    assert [e["path"] for e in response.json()["error"]["errors"]] == ["comment"]
    assert written() == before
    cr.refresh_from_db()
    assert cr.status == "submitted"
