"""Named releases: the service's rules, the notes, the API as every role, the published pages
and the admin; a release is never changed or deleted, not even in SQL."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, transaction

from curation.errors import PermissionDenied, ValidationFailed
from publishing import releases
from publishing.models import Release
from publishing.services import publish_latest
from tests import factories
from tests.api.conftest import token_client
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/releases/"


@pytest.fixture
def first(editor, reviewer, superuser):
    """The synthetic records published as snapshot 1 and named release 2026-11."""
    factories.seed_synthetic(editor, reviewer)
    publish_latest(force=True)
    return releases.create_release(user=superuser, name="2026-11", note="First.")


def revise_pfs(editor, reviewer):
    return factories.revise_approved(
        editor,
        reviewer,
        "trial",
        "synthetic-trial",
        lambda d: d["outcomes"][0]["values"][0].update(value=28),
        why="PFS is 28 months in table 2.",
    )


def test_a_release_lists_the_changes_since_the_previous_one(first, editor, reviewer, superuser):
    assert first.notes["counts"] == {"added": 5, "revised": 0, "retracted": 0}
    assert first.notes["previous"] is None
    event = revise_pfs(editor, reviewer)
    publish_latest(force=True)
    second = releases.create_release(user=superuser, name="2026-12", note="PFS corrected.")
    notes = second.notes
    assert (notes["previous"]["release"], notes["counts"]) == (
        "2026-11",
        {"added": 0, "revised": 1, "retracted": 0},
    )
    (change,) = notes["changes"]
    assert change == {
        **change,
        "kind": "revised",
        "record_type": "trial",
        "record": "synthetic-trial",
        "version": 2,
        "proposed_by": "editor",
        "approved_by": "reviewer",
        "why": "PFS is 28 months in table 2.",
        "position": event.position,
        "change_request": event.change_request_id,
    }
    assert any("Progression-free survival" in label for label in change["fields"])


@pytest.mark.parametrize(
    ("kwargs", "path", "words"),
    [
        ({"name": "2026-11"}, "name", "a release named '2026-11' exists already"),
        ({"name": ""}, "name", "give the release a name"),
        ({"name": "../x"}, "name", "is not a release name"),
        ({"name": "x" * 41}, "name", "is not a release name"),
        ({"name": "2026-12", "note": "a\x00b"}, "note", ""),
        ({"name": "2026-12", "note": "n" * 5001}, "note", "at most 5000"),
        ({"name": "2026-12", "snapshot": 99}, "snapshot", "no complete snapshot 99"),
        ({"name": "2026-12"}, "snapshot", "shows nothing after release '2026-11'"),
    ],
)
def test_bad_releases_are_refused_naming_the_field(first, superuser, kwargs, path, words):
    with pytest.raises(ValidationFailed) as refused:
        releases.create_release(user=superuser, **kwargs)
    assert refused.value.errors[0]["path"] == path and words in refused.value.errors[0]["message"]
    assert Release.objects.count() == 1


def test_only_staff_with_the_permission_mark_releases(first, editor, reviewer):
    for user in (editor, reviewer, make_user("consumer")):
        with pytest.raises(PermissionDenied):
            releases.create_release(user=user, name="2027-01")


def test_the_database_refuses_changing_or_deleting_a_release(first):
    for statement in (
        "UPDATE publishing_release SET name = 'renamed'",
        "DELETE FROM publishing_release",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            transaction.get_connection().cursor() as cursor,
        ):
            cursor.execute(statement)
    assert Release.objects.get().name == "2026-11"


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("consumer", 403), ("editor", 403), ("reviewer", 403), ("admin", 201)],
)
def test_post_a_release_as_every_role(first, editor, reviewer, superuser, role, expected):
    revise_pfs(editor, reviewer)
    publish_latest(force=True)
    users = {
        "anonymous": None,
        "consumer": make_user("consumer"),
        "editor": editor,
        "reviewer": reviewer,
        "admin": superuser,
    }
    client = token_client(users[role])
    response = client.post(API, {"name": "2026-12", "note": "PFS."}, format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert (body["name"], body["previous"], body["counts"]["revised"]) == (
            "2026-12",
            "2026-11",
            1,
        )
    else:
        assert response.json()["error"]["code"]


@pytest.mark.parametrize("role", ["anonymous", "consumer", "editor", "reviewer", "admin"])
def test_releases_are_listed_for_everyone(first, editor, reviewer, superuser, role):
    users = {"consumer": make_user("consumer"), "editor": editor, "reviewer": reviewer}
    users["admin"] = superuser
    client = token_client(users.get(role))
    response = client.get(API)
    assert response.status_code == 200
    (listed,) = response.json()["results"]
    assert listed["name"] == "2026-11" and listed["links"]["notes_json"].endswith(
        "/published/releases/2026-11/notes.json"
    )


def test_api_refusals_name_the_field(first, superuser):
    client = token_client(superuser)
    duplicate = client.post(API, {"name": "2026-11"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["error"]["errors"] == [
        {"path": "name", "message": "a release named '2026-11' exists already"}
    ]
    for body in ({"name": 5}, {"nme": "x"}, {}):
        assert client.post(API, body, format="json").status_code == 400
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(API, {}, format="json").status_code == 405


# --- Published pages and admin --------------------------------------------------------------


def test_published_pages_list_releases_and_their_notes(first, client, editor, reviewer, superuser):
    revise_pfs(editor, reviewer)
    publish_latest(force=True)
    releases.create_release(user=superuser, name="2026-12", note="<b>PFS</b> corrected.")
    index = client.get("/published/")
    assert index.status_code == 200 and "Content-Security-Policy" in index
    html = index.content.decode()
    assert "/published/releases/2026-12/notes.html" in html and "2026-11" in html
    assert "&lt;b&gt;PFS&lt;/b&gt;" in html and "<b>PFS" not in html
    notes = client.get("/published/releases/2026-12/notes.json")
    assert notes["Cache-Control"].endswith("immutable")
    body = json.loads(notes.content)
    assert body["changes"][0]["why"] == "PFS is 28 months in table 2."
    page = client.get("/published/releases/2026-12/notes.html").content.decode()
    assert "synthetic-trial" in page and "PFS is 28 months in table 2." in page
    again = client.get("/published/releases/2026-12/notes.json", HTTP_IF_NONE_MATCH=notes["ETag"])
    assert again.status_code == 304
    assert client.get("/published/releases/nope/notes.html").status_code == 404
    assert client.get("/published/releases/a%00b/notes.json").status_code == 404
    assert client.post("/published/releases/2026-12/notes.json").status_code == 405


def test_the_admin_adds_releases_and_never_changes_them(first, client, superuser, reviewer):
    client.force_login(reviewer)
    assert client.get("/admin/publishing/release/add/").status_code == 403
    client.force_login(superuser)
    response = client.post("/admin/publishing/release/add/", {"name": "2026-11", "note": ""})
    assert response.status_code == 200
    assert "a release named &#x27;2026-11&#x27; exists already" in response.content.decode()
    response = client.post("/admin/publishing/release/add/", {"name": "bad name", "note": ""})
    assert "is not a release name" in response.content.decode()
    assert Release.objects.count() == 1
    release = Release.objects.get()
    page = client.get(f"/admin/publishing/release/{release.pk}/change/")
    assert page.status_code == 200 and "notes.json" in page.content.decode()
    assert client.post(f"/admin/publishing/release/{release.pk}/delete/").status_code == 403
