"""The callers of import batches: the commands (``import_ctgov`` with an array or zip,
``import_citations --batch``) and ``POST /api/v1/imports/batches/`` + ``GET .../<id>/``,
for every role and with bad input."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from config.celery import app
from curation.models import ChangeRequest, ImportBatch
from tests.conftest import api_token

from .helpers import row_counts
from .studies import small_study
from .test_batches import studies_array

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
URL = "/api/v1/imports/batches/"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def tasks_run_here():
    """A worker in this process: a task sent runs at once (committed data: see the tests)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def batch_file(tmp_path):
    path = tmp_path / "studies.json"
    path.write_bytes(studies_array(3, broken_at=1))
    return path


def test_command_imports_an_array_in_process(editor, batch_file):
    out, err = run("import_ctgov", str(batch_file), "--as", "editor", "--in-process")
    batch = ImportBatch.objects.get()
    assert out.splitlines()[0] == f"batch {batch.pk}: 3 records"
    assert out.splitlines()[-1] == (
        f"batch {batch.pk}: done, 3 of 3 records: 2 change requests, 0 skipped, 1 failed"
    )
    assert f"failed: {batch_file}: entry 1: not a ClinicalTrials.gov v2 study (/1)" in err
    assert ChangeRequest.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_command_waits_for_the_worker(editor, batch_file, tasks_run_here):
    out, _ = run("import_ctgov", str(batch_file), "--as", "editor", "--wait", "--submit")
    batch = ImportBatch.objects.get()
    assert out.splitlines()[-1].startswith(f"batch {batch.pk}: done, 3 of 3 records: 2 change")
    assert {cr.status for cr in ChangeRequest.objects.all()} == {"submitted"}


def test_command_without_wait_leaves_it_to_a_worker(editor, batch_file):
    out, _ = run("import_ctgov", str(batch_file), "--as", "editor")
    batch = ImportBatch.objects.get()
    assert out.startswith(f"batch {batch.pk}: 3 records\na worker imports them")
    assert batch.status == "pending" and not ChangeRequest.objects.exists()


def test_command_still_imports_one_study_at_once(editor, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(small_study()))
    out, _ = run("import_ctgov", str(path), "--as", "editor")
    assert out.splitlines()[-1] == f"change request {ChangeRequest.objects.get().pk}"
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (("--as", "reviewer", "--in-process"), "only members of the Editors group"),
        (("--as", "editor", "--map", "OG000=arm-1"), "--map is for one study"),
    ],
)
def test_command_refusals(editor, reviewer, batch_file, args, words):
    with pytest.raises(CommandError, match=words):
        run("import_ctgov", str(batch_file), *args)
    assert not ImportBatch.objects.exists()


def test_citations_command_as_a_batch(editor):
    out, err = run(
        "import_citations", str(DATA / "references.ris"), "--as", "editor", "--batch",
        "--in-process",
    )  # fmt: skip
    assert out.splitlines()[-1].endswith("3 of 3 records: 2 change requests, 0 skipped, 1 failed")
    assert "entry 3 (line 26)" in err
    with pytest.raises(CommandError, match="--batch takes one reference file"):
        run("import_citations", "22571202", "--as", "editor", "--batch")


# --- The API --------------------------------------------------------------------------------


def client_for(user):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def users(editor, reviewer, superuser):
    return {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}


def upload(raw: bytes, name="studies.json", **fields):
    return {"file": SimpleUploadedFile(name, raw), "kind": "ctgov", **fields}


@pytest.mark.parametrize(
    "role, expected", [("anonymous", 401), ("editor", 202), ("reviewer", 403), ("superuser", 202)]
)
def test_every_role_starts_a_batch_or_is_refused(users, role, expected, monkeypatch):
    from curation.imports import batches

    sent = []
    monkeypatch.setattr(batches, "_enqueue", lambda batch: sent.append(batch.pk))
    before = row_counts()
    response = client_for(users[role]).post(URL, upload(studies_array(2)), format="multipart")
    assert response.status_code == expected, response.content
    if expected != 202:
        assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")
        assert not ImportBatch.objects.exists() and row_counts() == before
        return
    body = response.json()
    batch = ImportBatch.objects.get()
    assert body["id"] == batch.pk and batch.author == users[role]
    assert (body["status"], body["total"], body["processed"]) == ("pending", 2, 0)


@pytest.mark.django_db(transaction=True)
def test_the_batch_runs_and_its_progress_is_read_back(users, tasks_run_here):
    raw = studies_array(3, broken_at=2)
    response = client_for(users["editor"]).post(URL, upload(raw, submit="true"))
    assert response.status_code == 202, response.content
    batch_id = response.json()["id"]
    for role, expected in (("anonymous", 401), ("editor", 200), ("reviewer", 200),
                           ("superuser", 200)):  # fmt: skip
        answer = client_for(users[role]).get(f"{URL}{batch_id}/")
        assert answer.status_code == expected, (role, answer.content)
    body = answer.json()
    assert (body["status"], body["processed"], body["made"], body["failed"]) == ("done", 3, 2, 1)
    assert body["failures"] == [
        {
            "where": "studies.json: entry 2",
            "path": "/2",
            "message": "not a ClinicalTrials.gov v2 study",
        }
    ]
    assert sorted(body["change_requests"]) == sorted(
        ChangeRequest.objects.values_list("pk", flat=True)
    )
    assert {cr.status for cr in ChangeRequest.objects.all()} == {"submitted"}
    for missing in ("999999", "x1", "1" * 30):
        answer = client_for(users["editor"]).get(f"{URL}{missing}/")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_references_as_a_batch(editor, monkeypatch):
    from curation.imports import batches

    monkeypatch.setattr(batches, "_enqueue", lambda batch: None)
    raw = (DATA / "references.ris").read_bytes()
    response = client_for(editor).post(
        URL, {"file": SimpleUploadedFile("refs.ris", raw), "kind": "citations", "format": "ris"}
    )
    assert response.status_code == 202 and response.json()["total"] == 3


@pytest.mark.parametrize(
    "body, expected, code",
    [
        (lambda: upload(b""), 400, "invalid"),  # DRF refuses an empty upload
        (lambda: upload(b"[]"), 400, "invalid"),
        (lambda: upload(b'{"protocolSection": {}}'), 400, "not_a_study"),
        (lambda: upload(b"{not json"), 400, "not_a_study"),
        (lambda: {"kind": "ctgov"}, 400, "invalid"),
        (lambda: upload(b"[1]", kind="trials"), 400, "invalid"),
        (lambda: upload(b"x" * 200), 413, "too_large"),
    ],
)
def test_bad_input_writes_nothing(editor, settings, body, expected, code):
    settings.IMPORT_BATCH_MAX_BYTES = 150
    before = row_counts()
    response = client_for(editor).post(URL, body())
    assert response.status_code == expected, response.content
    assert response.json()["error"]["code"] == code
    assert not ImportBatch.objects.exists() and row_counts() == before


def test_json_bodies_are_not_batches(editor):
    response = client_for(editor).post(URL, {"kind": "ctgov"}, format="json")
    assert response.status_code == 415
