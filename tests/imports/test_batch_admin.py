"""Import batches in the admin: the import page takes a batch file and leads to the batch's
page; the batch list and page show records done of total and each failure with its reason,
read-only, for every role."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from curation.imports import batches
from curation.models import ChangeRequest, ImportBatch

from .helpers import row_counts
from .test_batches import studies_array

pytestmark = pytest.mark.django_db
IMPORT = "/admin/curation/changerequest/import-ctgov/"
LIST = "/admin/curation/importbatch/"


def logged_in(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def users(editor, reviewer, superuser):
    return {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}


@pytest.fixture
def sent(monkeypatch):
    """Batches sent to a worker (none runs here)."""
    sent = []
    monkeypatch.setattr(batches, "_enqueue", lambda batch: sent.append(batch.pk))
    return sent


def batch_upload(raw: bytes, name="studies.json"):
    return {"study": SimpleUploadedFile(name, raw, content_type="application/json")}


def test_an_editor_uploads_a_batch_and_is_led_to_its_page(
    users, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(users["editor"]).post(IMPORT, batch_upload(studies_array(3)))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}{batch.pk}/change/"
    assert sent == [batch.pk] and (batch.total, batch.author) == (3, users["editor"])
    assert not ChangeRequest.objects.exists()  # the worker makes them


@pytest.mark.parametrize("role", ["reviewer", "anonymous"])
def test_others_cannot_upload_a_batch(users, sent, role):
    before = row_counts()
    response = logged_in(users[role]).post(IMPORT, batch_upload(studies_array(2)))
    assert response.status_code in (302, 403)
    if role == "anonymous":
        assert "/admin/login/" in response["Location"]
    assert not ImportBatch.objects.exists() and row_counts() == before and sent == []


@pytest.mark.parametrize(
    "raw, status, words",
    [
        (b"[]", 400, "studies.json holds no records"),
        (b"[1, 2", 400, "studies.json is not JSON"),
        (b"PK\x03\x04nonsense", 400, "studies.json is not a zip"),
    ],
)
def test_bad_batch_files_write_nothing(users, sent, raw, status, words):
    before = row_counts()
    response = logged_in(users["editor"]).post(IMPORT, batch_upload(raw))
    assert response.status_code == status
    assert words in response.content.decode()
    assert not ImportBatch.objects.exists() and row_counts() == before


def test_a_batch_over_the_limit(users, sent, settings):
    settings.IMPORT_BATCH_MAX_BYTES = 100
    response = logged_in(users["editor"]).post(IMPORT, batch_upload(studies_array(2)))
    assert (
        response.status_code == 413 and "over the limit of 100 bytes" in response.content.decode()
    )
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "role, expected", [("anonymous", 302), ("editor", 200), ("reviewer", 200), ("superuser", 200)]
)
def test_every_role_sees_progress_and_failures_read_only(users, editor, role, expected):
    batch = batches.start_batch(
        user=editor, kind="ctgov", raw=studies_array(3, broken_at=1), filename="s.json",
        enqueue=False,
    )  # fmt: skip
    batches.run_batch(batch.pk)
    client = logged_in(users[role])
    listing = client.get(LIST)
    page = client.get(f"{LIST}{batch.pk}/change/")
    assert (listing.status_code, page.status_code) == (expected, expected)
    if expected != 200:
        return
    assert "3 of 3" in listing.content.decode()
    html = page.content.decode()
    assert "3 of 3" in html
    assert "<td>s.json: entry 1</td><td>not a ClinicalTrials.gov v2 study</td><td>/1</td>" in html
    for pk in ChangeRequest.objects.values_list("pk", flat=True):
        assert f">CR-{pk}</a>" in html
    assert 'name="_save"' not in html and "deletelink" not in html  # no control to change it
    assert client.post(f"{LIST}{batch.pk}/change/", {}).status_code == 403
    assert client.post(f"{LIST}{batch.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ImportBatch.objects.filter(pk=batch.pk).exists()
    assert client.get(f"{LIST}add/").status_code == 403
