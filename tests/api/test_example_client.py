"""The example client (examples/api_client.py) against a live server, step by step."""

from __future__ import annotations

import gc
import importlib.util
import threading
import time
from pathlib import Path

import pytest
from knox.models import AuthToken

from curation.models import ChangeRequest, Event

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT_PATH = Path(__file__).resolve().parents[2] / "examples" / "api_client.py"


@pytest.fixture(autouse=True)
def _client_connections_closed():
    """Each kept-alive client connection holds a live-server thread, and that thread a database
    connection, which would keep the test database from being dropped at the end of the run.
    An ApiError's traceback keeps its response (and socket) in a reference cycle: collect it,
    then let the server threads see their connections close."""
    yield
    gc.collect()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        thread.name.endswith("(process_request_thread)") for thread in threading.enumerate()
    ):
        time.sleep(0.05)


@pytest.fixture
def api_client_module():
    spec = importlib.util.spec_from_file_location("api_client", CLIENT_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_client_runs_the_whole_workflow(
    live_server, synthetic_records, editor, reviewer, api_client_module, capsys
):
    for user in (editor, reviewer):
        user.set_password("demo-pass")
        user.save()
    before = Event.objects.count()

    # The snapshot step needs the publishing app (another branch); don't wait for it here.
    result = api_client_module.main([live_server.url], password="demo-pass", snapshot_wait=0)

    # The first trial by slug is other-trial; its summary gained the note.
    assert Event.objects.count() == before + 1
    event = Event.objects.order_by("-position").first()
    assert event.slug == "other-trial" and event.version == 2
    assert event.document["summary"] == api_client_module.NOTE
    assert [change["path"] for change in event.changes] == ["summary"]
    cr = ChangeRequest.objects.get(pk=result["proposal"]["id"])
    assert cr.author == editor and cr.decided_by == reviewer and cr.status == "approved"
    assert result["event"]["position"] == event.position
    # Both tokens were revoked when the client closed its sessions.
    assert not AuthToken.objects.exists()
    output = capsys.readouterr().out
    assert f"event {event.position} revised other-trial v2" in output
    assert "No snapshot" in output or result["snapshot"]


def test_example_client_steps_report_api_errors(live_server, synthetic_records, api_client_module):
    with pytest.raises(api_client_module.ApiError) as caught:
        api_client_module.login(live_server.url, "editor", "wrong password")
    assert caught.value.status == 400
    assert caught.value.error["code"] == "invalid_credentials"


def test_change_summary_toggles_the_note(api_client_module):
    note = api_client_module.NOTE
    once = api_client_module.change_summary({"summary": "Text."})
    assert once["summary"] == f"Text. {note}"
    assert api_client_module.change_summary(once)["summary"] == "Text."
