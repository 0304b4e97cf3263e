"""manage.py import_citations and POST /api/v1/imports/citations/: every role, bad input."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from curation.models import ChangeRequest
from tests.conftest import api_token

from .helpers import row_counts

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
URL = "/api/v1/imports/citations/"


def run(*args):
    out = StringIO()
    call_command("import_citations", *args, stdout=out)
    return out.getvalue()


def test_command_with_a_pubmed_file(editor):
    out = run(str(DATA / "pubmed.xml"), "--as", "editor", "--submit")
    ids = [cr.pk for cr in ChangeRequest.objects.order_by("pk")]
    assert [line for line in out.splitlines() if line.startswith("change request")] == [
        f"change request {pk}" for pk in ids
    ]
    assert out.splitlines()[-1] == f"change request {ids[-1]}"
    assert {cr.status for cr in ChangeRequest.objects.all()} == {"submitted"}


def test_command_names_the_broken_entry_after_importing_the_others(editor):
    with pytest.raises(CommandError, match=r"references.ris: entry 3 \(line 26\): the entry does"):
        run(str(DATA / "references.ris"), "--as", "editor")
    assert ChangeRequest.objects.count() == 2


def test_command_by_pmid(editor, registry):
    registry.pages["/efetch.fcgi?db=pubmed&retmode=xml&id=22571202"] = (
        DATA / "pubmed.xml"
    ).read_bytes()
    out = run("22571202", "--as", "editor")
    cr = ChangeRequest.objects.get()
    assert out.endswith(f"change request {cr.pk}\n") and cr.document["pmid"] == "22571202"


@pytest.mark.parametrize(
    "args, words",
    [
        (("22571202", "--as", "reviewer"), "only members of the Editors group"),
        (("22571202", "--as", "nobody"), "no user 'nobody'"),
        (
            (str(DATA / "pubmed.xml"), "--as", "editor", "--format", "ris"),
            "text before the first TY",
        ),
    ],
)
def test_command_refusals(editor, reviewer, args, words):
    before = row_counts()
    with pytest.raises(CommandError, match=words):
        run(*args)
    assert row_counts() == before


def test_command_offline(editor, offline):
    with pytest.raises(
        CommandError, match="PubMed PMID 22571202: cannot fetch .*could not connect"
    ):
        run("22571202", "--as", "editor")


def client_for(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.mark.parametrize(
    "role, expected", [("anonymous", 401), ("editor", 201), ("reviewer", 403), ("superuser", 201)]
)
def test_api_every_role(editor, reviewer, superuser, role, expected):
    user = {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}[role]
    before = row_counts()
    body = {"content": (DATA / "references.bib").read_text(), "submit": True}
    response = client_for(user).post(URL, body, format="json")
    assert response.status_code == expected, response.content
    if expected != 201:
        assert row_counts() == before
        return
    data = response.json()
    (made,) = data["change_requests"]
    assert made["record"] == "attal-2012" and made["status"] == "submitted"
    assert made["author"] == user.username
    (error,) = data["errors"]
    assert error["path"].startswith("the request's content: entry at line 13")


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({}, 400, "invalid"),
        ({"content": "x", "identifiers": ["1"]}, 400, "invalid"),
        ({"content": "words only"}, 400, "not_references"),
        ({"content": "TY  - JOUR\nTI  - never ends\n"}, 400, "invalid"),
        ({"identifiers": []}, 400, "invalid"),
        ({"identifiers": "22571202"}, 400, "invalid"),
        ({"content": "x", "format": "word"}, 400, "invalid"),
    ],
)
def test_api_bad_input(editor, body, status, code):
    before = row_counts()
    response = client_for(editor).post(URL, body, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert row_counts() == before


def test_api_identifiers_unknown_and_timeout(editor, registry, settings):
    response = client_for(editor).post(URL, {"identifiers": ["10.1000/unknown"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == [
        {"path": "DOI 10.1000/unknown", "message": "the DOI resolver does not know this DOI"}
    ]
    registry.delay = 0.4
    settings.IMPORT_FETCH_TIMEOUT = 0.1
    settings.IMPORT_FETCH_ATTEMPTS = 1
    response = client_for(editor).post(URL, {"identifiers": ["22571202"]}, format="json")
    assert response.status_code == 502
    assert "timed out" in response.json()["error"]["message"]
