"""Clients generated from the OpenAPI schema by tools nobody here wrote take it as it is.

openapi-python-client (a dev dependency) and openapi-typescript (from the npm registry) run on
the schema the server serves; any warning about a model or an endpoint they had to drop fails
the test. The generated Python client then walks the whole loop against a live server, with no
hand-written HTTP: token, a list with paging, a record, a proposal, its approval by another
user, the changes feed and the published snapshot.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from curation.models import Event
from tests.node_tools import npm_install

PACKAGE = "evidence_curation_api_client"
# What the generators say when they leave something out.
DROPPED = ("warning", "unable to", "failure", "will not be generated", "could not")


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(path))
    return path


def _run(command: list[str], **kwargs) -> str:
    # The generator formats its output with ruff: the venv's, found through PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, **kwargs)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def python_client(schema_file, tmp_path_factory):
    """The client openapi-python-client generates, imported."""
    root = tmp_path_factory.mktemp("python-client")
    generator = Path(sys.executable).parent / "openapi-python-client"
    output = _run(
        [
            str(generator),
            "generate",
            "--path",
            str(schema_file),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ]
    )
    dropped = [line for line in output.splitlines() if line.lower().startswith(DROPPED)]
    assert dropped == [], output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_python_client_has_every_endpoint(python_client):
    change_requests = importlib.import_module(f"{PACKAGE}.api.change_requests")
    endpoints = {p.stem for p in Path(change_requests.__file__).parent.glob("*.py")}
    assert {
        "change_requests_create",
        "change_requests_partial_update",
        "change_requests_approve_create",
        "change_requests_list",
    } <= endpoints


def test_typescript_types_generate_and_compile(schema_file, tmp_path):
    tools = npm_install(
        ["openapi-typescript@7.13.0", "typescript@5.9.3"],
        lambda folder: (folder / "node_modules" / ".bin" / "openapi-typescript").exists(),
    )
    types = tmp_path / "api.d.ts"
    output = _run(
        [str(tools / "node_modules/.bin/openapi-typescript"), str(schema_file), "-o", str(types)]
    )
    assert [line for line in output.splitlines() if line.lower().startswith(DROPPED)] == []
    text = types.read_text()
    assert '"/api/v1/change-requests/"' in text and "TrialDocumentRequest" in text
    _run([str(tools / "node_modules/.bin/tsc"), "--noEmit", "--strict", str(types)])


@pytest.mark.django_db(transaction=True)
def test_the_generated_client_walks_the_whole_loop(
    python_client, live_server, synthetic_records, editor, reviewer
):
    from evidence_curation_api_client import AuthenticatedClient, Client
    from evidence_curation_api_client.api.auth import auth_token_create
    from evidence_curation_api_client.api.change_requests import (
        change_requests_approve_create,
        change_requests_create,
    )
    from evidence_curation_api_client.api.events import events_retrieve
    from evidence_curation_api_client.api.snapshots import snapshots_list
    from evidence_curation_api_client.api.trials import trials_list, trials_retrieve
    from evidence_curation_api_client.models import (
        ChangeRequestCreateRequest,
        Token,
        TokenRequestRequest,
        TransitionRequest,
        TrialDocumentRequest,
    )

    def login(user) -> AuthenticatedClient:
        user.set_password("demo-pass")
        user.save()
        with Client(base_url=live_server.url, raise_on_unexpected_status=True) as anonymous:
            token = auth_token_create.sync(
                client=anonymous,
                body=TokenRequestRequest(username=user.username, password="demo-pass"),
            )
        assert isinstance(token, Token), token
        return AuthenticatedClient(
            base_url=live_server.url,
            token=token.token,
            prefix="Token",
            raise_on_unexpected_status=True,
        )

    editor_client, reviewer_client = login(editor), login(reviewer)
    first = trials_list.sync(client=editor_client, limit=1)
    assert first.count == 2 and len(first.results) == 1 and first.next_ is not None
    second = trials_list.sync(client=editor_client, limit=1, offset=1)
    assert second.next_ is None and second.results[0].slug != first.results[0].slug

    trial = trials_retrieve.sync(first.results[0].slug, client=editor_client)
    document = trial.document.to_dict()
    assert document["schema_version"] == 2
    document["summary"] = "Checked by the generated client."
    proposal = change_requests_create.sync(
        client=editor_client,
        body=ChangeRequestCreateRequest.from_dict(
            {
                "record_type": "trial",
                "action": "revise",
                "record": trial.slug,
                "base_version": trial.version,
                "document": TrialDocumentRequest.from_dict(document).to_dict(),
                "rationale": "Summary checked.",
            }
        ),
    )
    assert proposal.status == "submitted" and proposal.needs_rebase is False
    approved = change_requests_approve_create.sync(
        proposal.id, client=reviewer_client, body=TransitionRequest(comment="Checked.")
    )
    assert approved.status == "approved"

    event = Event.objects.get(change_request_id=proposal.id)
    feed = events_retrieve.sync(client=editor_client, after=event.position - 1)
    assert [e.position for e in feed.results] == [event.position]
    assert [c.path for c in feed.results[0].changes] == ["summary"]

    call_command("publish", verbosity=0)
    snapshots = snapshots_list.sync(client=editor_client)
    assert snapshots.results[0].position == event.position
    for client in (editor_client, reviewer_client):
        client.get_httpx_client().close()
    assert json.loads(json.dumps(approved.to_dict()))["id"] == proposal.id
