"""Example API client: propose a change as an editor, approve it as a reviewer, follow it.

Needs only `requests`. Against `make run` (demo accounts, seeded evidence):

    python examples/api_client.py                    # http://127.0.0.1:8000
    python examples/api_client.py http://host:port   # or API_BASE_URL=...

The password comes from DEMO_PASSWORD (default curation-demo). The steps:

1. log in as `editor` and get an API token (it expires; the client revokes it when done);
2. take the first trial from GET /api/v1/trials/ and fetch its document;
3. change its plain-language summary (text only: the example never touches a number);
4. propose the changed document (POST /api/v1/change-requests/);
5. log in as `reviewer` and approve it;
6. follow the changes feed (GET /api/v1/events/?after=...) to the new event;
7. fetch the latest snapshot, waiting a few seconds for the worker to publish that position.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import requests

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
NOTE = "Reviewed through the API example client."


class ApiError(Exception):
    def __init__(self, response: requests.Response):
        self.status = response.status_code
        try:
            self.error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            self.error = {"code": "unknown", "message": response.text[:300], "errors": []}
        problems = "; ".join(f"{e['path']}: {e['message']}" for e in self.error.get("errors", []))
        super().__init__(
            f"{response.request.method} {response.url} -> {self.status} "
            f"{self.error.get('code')}: {self.error.get('message')} {problems}".strip()
        )


class Api:
    """A logged-in (or anonymous) session against /api/v1/."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, **kwargs) -> Any:
        url = f"{self.base_url}/api/v1/{path.lstrip('/')}"
        # Closing each response hands its connection back even when it is an error.
        with self.session.request(method, url, timeout=self.timeout, **kwargs) as response:
            if response.status_code >= 400:
                raise ApiError(response)
            return response.json() if response.content else None  # 204 has no body

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params=params or None)

    def close(self) -> None:
        """Revoke the token (it would otherwise stay valid until it expires, API_TOKEN_TTL_HOURS
        after the login), then close the kept-alive connections (a server thread waits on each
        one)."""
        try:
            if self.token:
                self.request("POST", "auth/logout/")
                self.token = None
        finally:
            self.session.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def post(self, path: str, body: dict) -> Any:
        return self.request("POST", path, json=body)


# --- The steps ------------------------------------------------------------------------------


def login(base_url: str, username: str, password: str) -> Api:
    with Api(base_url) as anonymous:
        token = anonymous.post("auth/token/", {"username": username, "password": password})
    return Api(base_url, token["token"])


def first_trial_slug(api: Api) -> str:
    trials = api.get("trials/", limit=1)["results"]
    if not trials:
        raise SystemExit("No published trials: seed the evidence first (make run does).")
    return trials[0]["slug"]


def fetch_trial(api: Api, slug: str) -> dict:
    """The trial's record: its document, and the version a proposal is based on."""
    return api.get(f"trials/{slug}/")


def change_summary(document: dict) -> dict:
    """The same document with a sentence added to (or removed from) its summary."""
    changed = dict(document)
    summary = (document.get("summary") or "").strip()
    if summary.endswith(NOTE):
        changed["summary"] = summary.removesuffix(NOTE).strip() or None
    else:
        changed["summary"] = f"{summary} {NOTE}".strip()
    return changed


def propose(api: Api, record: dict, document: dict) -> dict:
    return api.post(
        "change-requests/",
        {
            "record_type": "trial",
            "record": record["slug"],
            "action": "revise",
            "base_version": record["version"],
            "document": document,
            "rationale": "Demonstrates the API workflow: editorial note in the summary.",
        },
    )


def approve(api: Api, change_request_id: int) -> dict:
    return api.post(
        f"change-requests/{change_request_id}/approve/", {"comment": "Checked; fine to publish."}
    )


def follow_feed(api: Api, after: int, change_request_id: int, limit: int = 100) -> dict:
    """Read the changes feed from ``after`` until the event of ``change_request_id``."""
    while True:
        page = api.get("events/", after=after, limit=limit)
        for event in page["results"]:
            if event["change_request"] == change_request_id:
                return event
        if not page["results"]:
            raise RuntimeError(f"the feed ended at {after} without the approved change")
        after = page["next_after"]


def latest_snapshot(api: Api, position: int, wait_seconds: float = 30) -> dict | None:
    """The latest snapshot once it includes ``position``; None if none did in time."""
    deadline = time.monotonic() + wait_seconds
    snapshot = None
    while True:
        try:
            snapshot = api.get("snapshots/latest/")
        except ApiError as exc:
            if exc.status != 404:
                raise
        if snapshot and snapshot.get("position", 0) >= position:
            return snapshot
        if time.monotonic() >= deadline:
            return None
        time.sleep(1)


def main(
    argv: list[str] | None = None, *, password: str | None = None, snapshot_wait: float = 30
) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    base_url = argv[0] if argv else os.environ.get("API_BASE_URL", DEFAULT_BASE_URL)
    password = password or os.environ.get("DEMO_PASSWORD", "curation-demo")

    with (
        login(base_url, "editor", password) as editor,
        login(base_url, "reviewer", password) as reviewer,
    ):
        print(f"Logged in as editor at {base_url}")
        slug = first_trial_slug(editor)
        record = fetch_trial(editor, slug)
        print(f"Trial {slug!r}: version {record['version']}, position {record['position']}")
        document = change_summary(record["document"])
        proposal = propose(editor, record, document)
        changed = ", ".join(change["label"] for change in proposal["diff"])
        print(f"Proposed change request {proposal['id']} ({proposal['status']}): {changed}")

        decision = approve(reviewer, proposal["id"])
        print(f"Approved by reviewer: status {decision['status']}, event {decision['event']}")

        event = follow_feed(reviewer, record["position"], proposal["id"])
        print(
            f"Changes feed: event {event['position']} {event['type']} {event['record']} "
            f"v{event['version']} by {event['proposer']}, approved by {event['approver']}, "
            f"fields {event['changed_fields']}, hash {event['hash'][:12]}"
        )

        snapshot = latest_snapshot(reviewer, event["position"], wait_seconds=snapshot_wait)
        if snapshot is None:
            print(f"No snapshot at position {event['position']} yet (is the worker running?)")
        else:
            print(f"Latest snapshot: {snapshot}")
        return {
            "proposal": proposal,
            "decision": decision,
            "event": event,
            "snapshot": snapshot,
        }


if __name__ == "__main__":
    try:
        main()
    except (ApiError, requests.RequestException) as exc:
        raise SystemExit(f"error: {exc}") from None
