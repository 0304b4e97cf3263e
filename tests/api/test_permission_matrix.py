"""Every endpoint and method, for anonymous, editor, reviewer and superuser.

Anonymous users read published evidence and the changes feed, nothing else. Editors propose
and manage their own requests; reviewers decide on other people's; a superuser may do both
but, like everyone, never decide on their own request. State for each case is fresh: the
editor's submitted request P and draft D on the synthetic trial.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from curation import services
from tests import documents

from .conftest import revise_payload, token_client

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "editor", "reviewer", "superuser")
REVISE = revise_payload(documents.synthetic_trial(summary="Matrix."), 1)
CR = "/api/v1/change-requests/"

# (method, url, body, expected status for anonymous, editor, reviewer, superuser)
MATRIX = [
    ("post", "/api/v1/auth/token/", {"username": "x", "password": "y"}, (400, 400, 400, 400)),
    ("get", "/api/v1/auth/token/", None, (405, 405, 405, 405)),
    ("get", "/api/v1/trials/", None, (200, 200, 200, 200)),
    ("post", "/api/v1/trials/", {}, (405, 405, 405, 405)),
    ("get", "/api/v1/topics/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/interventions/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/citations/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/trials/synthetic-trial/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/trials/synthetic-trial/?as_of=1", None, (404, 404, 404, 404)),
    ("get", "/api/v1/trials/synthetic-trial/?as_of=3", None, (200, 200, 200, 200)),
    ("put", "/api/v1/trials/synthetic-trial/", {}, (405, 405, 405, 405)),
    ("delete", "/api/v1/trials/synthetic-trial/", None, (405, 405, 405, 405)),
    ("get", "/api/v1/topics/synthetic-topic/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/interventions/testamide/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/citations/synthetic-2020/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/trials/synthetic-trial/history/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/topics/synthetic-topic/history/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/interventions/testamide/history/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/citations/synthetic-2020/history/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/events/", None, (200, 200, 200, 200)),
    ("post", "/api/v1/events/", {}, (405, 405, 405, 405)),
    ("get", CR, None, (401, 200, 200, 200)),
    ("post", CR, REVISE, (401, 201, 403, 201)),
    ("get", CR + "{P}/", None, (401, 200, 200, 200)),
    ("patch", CR + "{D}/", {"rationale": "Edited."}, (401, 200, 403, 403)),
    ("patch", CR + "{P}/", {"rationale": "Edited."}, (401, 409, 403, 403)),
    ("put", CR + "{P}/", {}, (401, 405, 405, 405)),
    ("delete", CR + "{P}/", None, (401, 405, 405, 405)),
    ("post", CR + "{P}/approve/", {}, (401, 403, 200, 200)),
    ("post", CR + "{P}/reject/", {"comment": "No."}, (401, 403, 200, 200)),
    ("post", CR + "{P}/request-changes/", {"comment": "Fix."}, (401, 403, 200, 200)),
    ("post", CR + "{P}/withdraw/", {}, (401, 200, 403, 403)),
    ("post", CR + "{D}/submit/", {}, (401, 200, 403, 403)),
    ("post", CR + "{P}/rebase/", None, (401, 200, 403, 403)),
    ("post", CR + "{P}/comments/", {"comment": "Hm."}, (401, 201, 201, 201)),
    ("get", CR + "{P}/comments/", None, (401, 200, 200, 200)),
    ("post", CR + "{P}/comments/{C}/resolve/", None, (401, 200, 200, 200)),
    ("post", CR + "{P}/comments/{R}/unresolve/", None, (401, 200, 200, 200)),
    ("post", CR + "{P}/comments/{R}/resolve/", None, (401, 409, 409, 409)),
    ("get", CR + "{P}/comments/{C}/resolve/", None, (401, 405, 405, 405)),
    ("get", CR + "{P}/approve/", None, (401, 405, 405, 405)),
    ("post", CR + "approve-batch/", {"ids": [999999]}, (401, 403, 404, 404)),
    ("post", CR + "approve-batch/", {"ids": []}, (401, 400, 400, 400)),
    ("get", CR + "approve-batch/", None, (401, 405, 405, 405)),
    ("post", CR + "{P}/claim/", {}, (401, 403, 200, 200)),
    ("post", CR + "{P}/claim/", {"take_over": True}, (401, 403, 200, 200)),
    ("post", CR + "{D}/claim/", {}, (401, 403, 409, 409)),
    ("post", CR + "{P}/unclaim/", {}, (401, 403, 409, 409)),
    ("get", CR + "{P}/claim/", None, (401, 405, 405, 405)),
    ("get", "/api/v1/notification-preferences/", None, (401, 200, 200, 200)),
    (
        "patch",
        "/api/v1/notification-preferences/",
        {"preferences": {"approved": False}},
        (401, 200, 200, 200),
    ),
    ("post", "/api/v1/notification-preferences/", {}, (401, 405, 405, 405)),
    ("get", "/api/v1/releases/", None, (200, 200, 200, 200)),
    ("post", "/api/v1/releases/", {"name": "2026-12"}, (401, 403, 403, 400)),
    ("delete", "/api/v1/releases/", None, (401, 405, 405, 405)),
    ("get", "/api/v1/schema/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/docs/", None, (200, 200, 200, 200)),
]


@pytest.fixture
def scene(synthetic_records, editor, reviewer, superuser, editor_client):
    proposal = editor_client.post(
        CR, revise_payload(documents.synthetic_trial(notes="P."), 1), format="json"
    )
    draft = editor_client.post(
        CR, revise_payload(documents.synthetic_trial(notes="D."), 1, draft=True), format="json"
    )
    assert proposal.status_code == draft.status_code == 201
    users = {"anonymous": None, "editor": editor, "reviewer": reviewer, "superuser": superuser}
    # A reviewer's open comment C and resolved comment R on P.
    comment = services.add_comment(proposal.json()["id"], user=reviewer, comment="Open.")
    done = services.add_comment(proposal.json()["id"], user=reviewer, comment="Settled.")
    services.set_resolved(done.change_request_id, done, user=reviewer, resolved=True)
    ids = {"P": proposal.json()["id"], "D": draft.json()["id"], "C": comment.pk, "R": done.pk}
    return {"ids": ids, "users": users}


def call(client, method, url, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    MATRIX,
    ids=[f"{m.upper()} {u}" for m, u, _, _ in MATRIX],
)
def test_permission_matrix(scene, method, url, body, expected):
    url = url.format(**scene["ids"])
    got = {}
    for role in ROLES:
        # Each role starts from the same state: whatever one role's request wrote is undone.
        savepoint = transaction.savepoint()
        response = call(token_client(scene["users"][role]), method, url, body)
        got[role] = response.status_code
        if response.status_code >= 400 and "json" in response.get("Content-Type", ""):
            error = response.json()["error"]
            assert error["code"] and error["message"], (role, error)
        transaction.savepoint_rollback(savepoint)
    assert got == dict(zip(ROLES, expected, strict=True))
