"""The admin's import page: upload, the mapping step, then the change request's review page;
every role, and bad input that writes nothing (but the staged study of a mapping step)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from curation.models import ChangeRequest, SourceDocument

from .helpers import row_counts
from .studies import REMDESIVIR, fixture_path, small_study

pytestmark = pytest.mark.django_db
URL = "/admin/curation/changerequest/import-ctgov/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="application/json")


def remdesivir_file():
    return upload("NCT04431453.json", fixture_path(REMDESIVIR).read_bytes())


@pytest.fixture
def users(editor, reviewer, superuser):
    return {"editor": editor, "reviewer": reviewer, "superuser": superuser}


def test_anonymous_is_sent_to_the_login(db):
    response = Client().get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = Client().post(URL, {"study": remdesivir_file()})
    assert response.status_code == 302 and ChangeRequest.objects.count() == 0


@pytest.mark.parametrize("role, status", [("editor", 200), ("reviewer", 403), ("superuser", 200)])
def test_page_per_role(users, role, status):
    response = logged_in(users[role]).get(URL)
    assert response.status_code == status
    if status == 200:
        assert b'type="file" name="study"' in response.content
    else:
        assert b"only members of the Editors group" in response.content


def test_reviewer_cannot_post(users):
    before = row_counts()
    response = logged_in(users["reviewer"]).post(URL, {"study": remdesivir_file()})
    assert response.status_code == 403 and row_counts() == before


def test_changelist_links_to_the_import(users):
    response = logged_in(users["editor"]).get("/admin/curation/changerequest/")
    assert URL.encode() in response.content


def test_upload_without_unmapped_groups_goes_straight_to_the_review_page(users):
    response = logged_in(users["editor"]).post(
        URL, {"study": upload("s.json", __import__("json").dumps(small_study()).encode())}
    )
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/curation/changerequest/{cr.pk}/change/"
    assert cr.status == "draft" and cr.author == users["editor"]


def test_upload_then_map_then_review(users):
    client = logged_in(users["superuser"])
    response = client.post(URL, {"study": remdesivir_file(), "submit_now": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "OG004 “RDV,Cohort 5" in page
    assert '<option value="arm-5" selected>' in page  # suggested: same title but a space
    assert ChangeRequest.objects.count() == 0 and SourceDocument.objects.count() == 1
    staged = SourceDocument.objects.get().sha256
    response = client.post(
        URL,
        {
            "staged": staged,
            "title_0": response.context["groups"][0]["title"],
            "arm_0": "arm-5",
            "submit_now": "on",
        },
    )
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/admin/curation/changerequest/{cr.pk}/change/"
    assert cr.status == "submitted" and cr.imported_source.group_map == {
        response.wsgi_request.POST["title_0"]: "arm-5"
    }
    assert SourceDocument.objects.count() == 1  # the staged study, not a second copy


def test_a_bad_mapping_shows_the_step_again(users):
    client = logged_in(users["editor"])
    first = client.post(URL, {"study": remdesivir_file()})
    staged = first.context["staged"]
    title = first.context["groups"][0]["title"]
    before = row_counts()
    for choice in ({"arm_0": "__new__", "new_0": "Not A Key"}, {"arm_0": ""}):
        response = client.post(URL, {"staged": staged, "title_0": title, **choice})
        assert response.status_code == 400
        assert response.context["groups"][0]["title"] == title
        assert response.context["error"]
    assert row_counts() == before


@pytest.mark.parametrize(
    "name, content, status, words",
    [
        ("notes.txt", b"not json at all", 400, "notes.txt is not JSON"),
        ("number.json", b"12", 400, "number.json is not a ClinicalTrials.gov API v2 study"),
    ],
)
def test_bad_files(users, name, content, status, words):
    before = row_counts()
    response = logged_in(users["editor"]).post(URL, {"study": upload(name, content)})
    assert response.status_code == status
    assert words in response.content.decode()
    assert row_counts() == before


def test_no_file_and_too_large(users, settings):
    client = logged_in(users["editor"])
    before = row_counts()
    assert client.post(URL, {}).status_code == 400
    settings.IMPORT_MAX_BYTES = 1000
    response = client.post(URL, {"study": remdesivir_file()})
    assert response.status_code == 413
    assert (
        "NCT04431453.json is 504865 bytes, over the limit of 1000 bytes"
        in response.content.decode()
    )
    assert row_counts() == before


def test_unknown_staged_study(users):
    response = logged_in(users["editor"]).post(
        URL, {"staged": "0" * 64, "title_0": "x", "arm_0": "arm-1"}
    )
    assert response.status_code == 404
    assert "no stored study" in response.content.decode()


def test_review_page_shows_the_source_beside_each_value(users):
    client = logged_in(users["editor"])
    step = client.post(URL, {"study": remdesivir_file()})
    client.post(
        URL,
        {
            "staged": step.context["staged"],
            "title_0": step.context["groups"][0]["title"],
            "arm_0": "arm-5",
        },
    )
    cr = ChangeRequest.objects.get()
    page = logged_in(users["superuser"]).get(f"/admin/curation/changerequest/{cr.pk}/change/")
    html = page.content.decode()
    assert "Imported from</dt><dd>ClinicalTrials.gov NCT04431453, updated 2023-12-22" in html
    assert '<th scope="col">In the source</th>' in html
    change = next(
        c
        for c in page.context["changes"]
        if c["path"] == "outcomes[key=time-days-to-discharge-from-hospital].values[arm=arm-1].value"
    )
    assert change["new"] == "12"
    assert change["source"] == {
        "pointer": "/resultsSection/outcomeMeasuresModule/outcomeMeasures/5"
        "/classes/0/categories/0/measurements/0",
        "text": "groupId: OG000; lowerLimit: 8; upperLimit: 24; value: 12",
    }
    assert "the registry gives no setting" in html  # the warnings, for the reviewer
