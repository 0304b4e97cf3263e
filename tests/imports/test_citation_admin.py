"""The admin's reference import page: a reference file, PMIDs and DOIs fetched, or a file as a
batch a worker imports; every role, and bad input that writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from curation.imports import batches
from curation.models import ChangeRequest, ImportBatch

from .helpers import row_counts

pytestmark = pytest.mark.django_db
URL = "/admin/curation/changerequest/import-citations/"
DATA = __import__("pathlib").Path(__file__).parent / "data"


def logged_in(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def upload(name: str, content: bytes | None = None):
    content = (DATA / name).read_bytes() if content is None else content
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def users(editor, reviewer, superuser):
    return {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}


@pytest.fixture
def sent(monkeypatch):
    """Batches sent to a worker (none runs here)."""
    sent = []
    monkeypatch.setattr(batches, "_enqueue", lambda batch: sent.append(batch.pk))
    return sent


@pytest.mark.parametrize(
    "role, status", [("anonymous", 302), ("editor", 200), ("reviewer", 403), ("superuser", 200)]
)
def test_page_per_role(users, role, status):
    response = logged_in(users[role]).get(URL)
    assert response.status_code == status
    if role == "anonymous":
        assert "/admin/login/" in response["Location"]
    elif status == 200:
        page = response.content.decode()
        for control in ('id="id_references"', 'id="id_format"', 'id="id_identifiers"'):
            assert control in page
        assert '<label for="id_references">' in page and '<label for="id_identifiers">' in page
    else:
        assert b"only members of the Editors group" in response.content


@pytest.mark.parametrize("role", ["anonymous", "reviewer"])
def test_others_cannot_import(users, sent, role):
    before = row_counts()
    client = logged_in(users[role])
    response = client.post(URL, {"references": upload("references.ris")})
    assert response.status_code in (302, 403)
    response = client.post(URL, {"references": upload("references.ris"), "as_batch": "on"})
    assert response.status_code in (302, 403)
    assert row_counts() == before and not ImportBatch.objects.exists() and sent == []


def test_the_change_request_list_links_to_the_page(users):
    response = logged_in(users["editor"]).get("/admin/curation/changerequest/")
    assert URL.encode() in response.content


def test_a_ris_file_makes_a_change_request_per_reference_and_names_the_broken_one(users):
    response = logged_in(users["editor"]).post(
        URL, {"references": upload("references.ris"), "submit_now": "on"}
    )
    assert response.status_code == 200
    made = list(ChangeRequest.objects.order_by("pk"))
    assert len(made) == 2 and {cr.status for cr in made} == {"submitted"}
    assert {cr.author for cr in made} == {users["editor"]}
    attal = made[0].document
    assert (attal["doi"], attal["pmid"], attal["volume"], attal["pages"]) == (
        "10.1056/NEJMoa1114138", "22571201", "366", "1782-1791"
    )  # fmt: skip
    page = response.content.decode()
    for cr in made:
        assert f'href="/admin/curation/changerequest/{cr.pk}/change/"' in page
    assert "references.ris: entry 3 (line 26)" in page and "failed: " in page


def test_a_pubmed_file_with_its_format_named(users):
    response = logged_in(users["superuser"]).post(
        URL, {"references": upload("pubmed.xml"), "format": "pubmed"}
    )
    assert response.status_code == 200
    pmids = {cr.document["pmid"] for cr in ChangeRequest.objects.all()}
    assert pmids == {"22571201", "22571202"}
    assert {cr.status for cr in ChangeRequest.objects.all()} == {"draft"}


def test_pmids_and_dois_are_fetched(users, registry):
    registry.pages["/efetch.fcgi?db=pubmed&retmode=xml&id=22571201"] = (
        DATA / "pubmed.xml"
    ).read_bytes()
    response = logged_in(users["editor"]).post(URL, {"identifiers": "22571201,\n 10.1000/unknown"})
    assert response.status_code == 200
    (cr,) = ChangeRequest.objects.all()
    assert cr.document["pmid"] == "22571201"
    page = response.content.decode()
    assert "DOI 10.1000/unknown" in page and "the DOI resolver does not know this DOI" in page


def test_a_file_as_a_batch_leads_to_its_page(users, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(users["editor"]).post(
            URL, {"references": upload("references.bib"), "as_batch": "on", "submit_now": "on"}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/curation/importbatch/{batch.pk}/change/"
    assert (batch.kind, batch.author, batch.submit) == ("citations", users["editor"], True)
    assert sent == [batch.pk] and not ChangeRequest.objects.exists()  # the worker makes them
    batches.run_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "done" and batch.made == ChangeRequest.objects.count() > 0


def test_a_file_over_the_single_import_limit_is_a_batch(users, sent, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = logged_in(users["editor"]).post(URL, {"references": upload("references.ris")})
    assert response.status_code == 302 and ImportBatch.objects.get().kind == "citations"


@pytest.mark.parametrize(
    "data, status, words",
    [
        ({}, 400, "Choose a reference file or type PMIDs or DOIs"),
        ({"identifiers": "  ,\n"}, 400, "Choose a reference file or type PMIDs or DOIs"),
        (
            {"identifiers": "22571201", "references": "FILE"},
            400,
            "Choose a reference file or type PMIDs or DOIs",
        ),
        ({"references": "FILE", "format": "endnote"}, 400, "Choose the file&#x27;s format"),
        ({"identifiers": "22571201", "as_batch": "on"}, 400, "A batch is a reference file"),
        ({"identifiers": " ".join(["1"] * 201)}, 400, "At most 200 PMIDs and DOIs"),
        (
            {"references": upload("notes.txt", b"just some words")},
            400,
            "notes.txt is no reference file this import reads",
        ),
        (
            {"references": upload("latin1.ris", "TY  - JOUR\nTI  - é".encode("latin-1"))},
            400,
            "latin1.ris is not UTF-8 text",
        ),
        (
            {"references": upload("broken.bib", b"@article{x, title = {A"), "format": "bibtex"},
            400,
            "broken.bib",
        ),
    ],
)  # fmt: skip
def test_bad_input_writes_nothing(users, sent, data, status, words):
    data = {k: upload("references.ris") if v == "FILE" else v for k, v in data.items()}
    before = row_counts()
    response = logged_in(users["editor"]).post(URL, data)
    assert response.status_code == status, response.content
    assert words in response.content.decode()
    assert row_counts() == before and not ImportBatch.objects.exists() and sent == []


def test_too_large_even_for_a_batch(users, sent, settings):
    settings.IMPORT_BATCH_MAX_BYTES = 100
    before = row_counts()
    response = logged_in(users["editor"]).post(URL, {"references": upload("references.ris")})
    assert response.status_code == 413
    assert "references.ris is" in response.content.decode()
    assert "over the limit of 100 bytes" in response.content.decode()
    assert row_counts() == before and not ImportBatch.objects.exists()


def test_an_empty_file_as_a_batch_is_refused(users, sent):
    response = logged_in(users["editor"]).post(
        URL, {"references": upload("empty.ris", b"  \n"), "as_batch": "on"}
    )
    assert response.status_code == 400 and "empty.ris is empty" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_offline_is_a_bad_gateway(users, offline):
    before = row_counts()
    response = logged_in(users["editor"]).post(URL, {"identifiers": "22571201"})
    assert response.status_code == 502
    assert "Nothing was imported" in response.content.decode()
    assert row_counts() == before
