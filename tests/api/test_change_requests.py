"""Change requests through the API: every rule comes from the services; here we check that
the API translates them faithfully (status codes, reasons, paths) and that bad input writes
nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from curation.models import ChangeRequest, Event, Review
from tests import documents
from tests.factories import revise_approved

from .conftest import revise_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-requests/"


def create(client, payload, **kwargs):
    return client.post(URL, payload, format="json", **kwargs)


@pytest.fixture
def proposal(synthetic_records, editor_client):
    """A submitted revision of the synthetic trial by `editor`: summary and a PFS value."""
    document = documents.synthetic_trial(summary="New summary.")
    document["outcomes"][0]["values"][0]["value"] = 31
    response = create(editor_client, revise_payload(document, 1))
    assert response.status_code == 201, response.content
    return response.json()


def test_create_returns_submitted_request_with_diff(proposal):
    assert proposal["status"] == "submitted"
    assert proposal["author"] == "editor"
    assert proposal["base_version"] == 1 and proposal["current_version"] == 1
    diff = {change["path"]: change for change in proposal["diff"]}
    assert set(diff) == {"summary", "outcomes[key=pfs].values[arm=tst].value"}
    value = diff["outcomes[key=pfs].values[arm=tst].value"]
    assert (value["old"], value["new"]) == (30, 31)
    assert "Progression-free survival" in value["label"] and "Testamide" in value["label"]
    # The author may withdraw or rebase, but not approve their own request.
    assert set(proposal["allowed_actions"]) == {"withdraw", "rebase"}
    assert [r["kind"] for r in proposal["reviews"]] == ["submit"]


def test_reviewer_sees_decisions_and_approves(proposal, reviewer_client, anon_client):
    url = f"{URL}{proposal['id']}/"
    detail = reviewer_client.get(url).json()
    assert set(detail["allowed_actions"]) == {"approve", "reject", "request-changes"}
    response = reviewer_client.post(url + "approve/", {"comment": "Checked."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] == "reviewer"
    assert body["event"]["version"] == 2
    assert body["diff_against"] == "base" and len(body["diff"]) == 2
    record = anon_client.get("/api/v1/trials/synthetic-trial/").json()
    assert record["version"] == 2 and record["document"]["summary"] == "New summary."


def test_create_draft_update_and_submit(synthetic_records, editor_client):
    response = create(
        editor_client, revise_payload(documents.synthetic_trial(summary="Draft."), 1, draft=True)
    )
    assert response.status_code == 201
    draft = response.json()
    assert draft["status"] == "draft" and set(draft["allowed_actions"]) >= {"submit", "edit"}
    url = f"{URL}{draft['id']}/"
    response = editor_client.patch(
        url,
        {"document": documents.synthetic_trial(summary="Better."), "rationale": "Reworded."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["rationale"] == "Reworded."
    assert response.json()["document"]["summary"] == "Better."
    response = editor_client.post(url + "submit/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    # A submitted request can no longer be edited: 409, a state problem.
    response = editor_client.patch(url, {"rationale": "Again."}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"


def test_list_filters(proposal, editor_client, reviewer_client, synthetic_records):
    create(
        editor_client, revise_payload(documents.synthetic_trial(summary="Draft."), 1, draft=True)
    )
    listed = reviewer_client.get(URL).json()
    # The fixture's five approved creations plus two requests.
    assert listed["count"] == 7
    assert [
        cr["status"] for cr in reviewer_client.get(URL, {"status": "draft"}).json()["results"]
    ] == ["draft"]
    by_record = reviewer_client.get(URL, {"record": "synthetic-trial", "status": "submitted"})
    assert [cr["id"] for cr in by_record.json()["results"]] == [proposal["id"]]
    assert reviewer_client.get(URL, {"author": "nobody"}).json()["count"] == 0
    assert reviewer_client.get(URL, {"record_type": "topic"}).json()["count"] == 1
    bad = reviewer_client.get(URL, {"status": "pending"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["path"] == "status"


# --- Forbidden users --------------------------------------------------------------------------


def test_editor_may_not_approve(proposal, editor2_client):
    url = f"{URL}{proposal['id']}/approve/"
    response = editor2_client.post(url, {}, format="json")
    assert response.status_code == 403
    assert "Reviewers" in response.json()["error"]["message"]


def test_superuser_cannot_approve_own_request(synthetic_records, superuser_client):
    response = create(
        superuser_client, revise_payload(documents.synthetic_trial(summary="Mine."), 1)
    )
    assert response.status_code == 201
    url = f"{URL}{response.json()['id']}/approve/"
    response = superuser_client.post(url, {}, format="json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "own change request" in error["message"]
    assert Event.objects.filter(slug="synthetic-trial").count() == 1


def test_reviewer_may_not_propose(synthetic_records, reviewer_client):
    response = create(reviewer_client, revise_payload(documents.synthetic_trial(summary="x"), 1))
    assert response.status_code == 403
    assert "Editors" in response.json()["error"]["message"]
    assert not ChangeRequest.objects.filter(author__username="reviewer").exists()


def test_other_editor_may_not_withdraw_or_edit(proposal, editor2_client):
    url = f"{URL}{proposal['id']}/"
    response = editor2_client.post(url + "withdraw/", {}, format="json")
    assert response.status_code == 403
    assert "only the author" in response.json()["error"]["message"]
    response = editor2_client.patch(url, {"rationale": "hijack"}, format="json")
    assert response.status_code == 403
    assert ChangeRequest.objects.get(pk=proposal["id"]).status == "submitted"


def test_anonymous_cannot_touch_change_requests(proposal, anon_client):
    assert anon_client.get(URL).status_code == 401
    response = anon_client.post(f"{URL}{proposal['id']}/approve/", {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- Decisions needing a comment, conflicts ---------------------------------------------------


def test_reject_needs_a_comment(proposal, reviewer_client):
    url = f"{URL}{proposal['id']}/reject/"
    response = reviewer_client.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == [
        {"path": "comment", "message": "say why (reject needs a comment)"}
    ]
    assert ChangeRequest.objects.get(pk=proposal["id"]).status == "submitted"
    response = reviewer_client.post(url, {"comment": "Not in the source."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert response.json()["reviews"][-1]["comment"] == "Not in the source."


def test_request_changes_then_resubmit(proposal, reviewer_client, editor_client):
    url = f"{URL}{proposal['id']}/"
    response = reviewer_client.post(
        url + "request-changes/", {"comment": "Cite it."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "changes_requested"
    response = editor_client.post(url + "submit/", {"comment": "Done."}, format="json")
    assert response.json()["status"] == "submitted"


def test_version_conflict_is_409_with_fields(
    proposal, synthetic_records, editor, reviewer, reviewer_client
):
    # Someone else's change to the same value is approved first.
    revise_approved(
        editor,
        reviewer,
        "trial",
        "synthetic-trial",
        lambda d: d["outcomes"][0]["values"][0].update(value=32),
    )
    detail = reviewer_client.get(f"{URL}{proposal['id']}/").json()
    assert detail["needs_rebase"] is True and detail["current_version"] == 2
    response = reviewer_client.post(f"{URL}{proposal['id']}/approve/", {}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["fields"] == ["outcomes[key=pfs].values[arm=tst].value"]
    assert error["current_version"] == 2


def test_a_request_based_on_an_older_version_says_it_needs_a_rebase(
    synthetic_records, editor, reviewer, editor_client
):
    revise_approved(
        editor, reviewer, "trial", "synthetic-trial", lambda d: d.update(notes="Theirs.")
    )
    response = create(editor_client, revise_payload(documents.synthetic_trial(summary="Mine."), 1))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["base_version"], body["needs_rebase"]) == (1, True)


def test_rebase_merges_non_overlapping_change(synthetic_records, editor, reviewer, editor_client):
    response = create(editor_client, revise_payload(documents.synthetic_trial(summary="Mine."), 1))
    cr_id = response.json()["id"]
    revise_approved(
        editor, reviewer, "trial", "synthetic-trial", lambda d: d.update(notes="Theirs.")
    )
    response = editor_client.post(f"{URL}{cr_id}/rebase/", format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["base_version"] == 2 and body["needs_rebase"] is False
    assert body["document"]["notes"] == "Theirs." and body["document"]["summary"] == "Mine."
    assert [change["path"] for change in body["diff"]] == ["summary"]


def test_comments(proposal, reviewer_client, anon_client):
    # The discussion's own tests are in test_discussion.py; this is the route's basic shape.
    url = f"{URL}{proposal['id']}/comments/"
    response = reviewer_client.post(url, {"comment": "Looking."}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["author"], body["comment"], body["path"], body["resolved"]) == (
        "reviewer",
        "Looking.",
        "",
        False,
    )
    assert reviewer_client.post(url, {"comment": ""}, format="json").status_code == 400
    assert reviewer_client.get(f"{URL}{proposal['id']}/").json()["unresolved_comments"] == 1


def test_unknown_change_request_is_404(reviewer_client, editor):
    for path in ("999/", "abc/", "999/approve/"):
        method = reviewer_client.post if path.endswith("approve/") else reviewer_client.get
        response = method(URL + path, {}, format="json")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


# --- Bad input: clear 400s, nothing written ---------------------------------------------------


def _nothing_written(before: int):
    assert ChangeRequest.objects.count() == before


@pytest.mark.parametrize(
    ("mutate", "paths"),
    [
        (lambda p: p.update(rationale=5), ["rationale"]),
        (lambda p: p.update(base_version="1"), ["base_version"]),
        (lambda p: p.update(draft="yes"), ["draft"]),
        (lambda p: p.update(record_type="gene"), ["record_type"]),
        (lambda p: p.update(action="delete"), ["action"]),
        (lambda p: p.update(surprise=1), ["surprise"]),
        (lambda p: p.update(surprise=1, rationale=""), ["rationale", "surprise"]),
        (lambda p: p.pop("rationale"), ["rationale"]),
        (lambda p: p.update(citations="synthetic-2020"), ["citations"]),
        (lambda p: p.update(citations=["no-such-citation"]), ["citations[0]"]),
        (lambda p: p.update(base_version=7), ["base_version"]),
        (lambda p: p["document"].update(enrollment="many"), ["document.enrollment"]),
        (lambda p: p["document"].update(colour="blue"), ["document.colour"]),
        (
            lambda p: p["document"]["outcomes"][0]["values"][0].update(low=40, high=50),
            ["document.outcomes[0].values[0].low"],
        ),
        (
            lambda p: (
                p["document"].update(enrollment=-1),
                p["document"]["arms"][0].update(key="Bad Key"),
            ),
            ["document.enrollment", "document.arms[0].key"],
        ),
        (lambda p: p.update(document=[1, 2]), ["document"]),
    ],
)
def test_create_bad_input_names_every_problem(synthetic_records, editor_client, mutate, paths):
    payload = revise_payload(documents.synthetic_trial(summary="x"), 1)
    mutate(payload)
    before = ChangeRequest.objects.count()
    response = create(editor_client, payload)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert sorted(e["path"] for e in error["errors"]) == sorted(paths)
    assert all(e["message"] for e in error["errors"])
    _nothing_written(before)


def test_malformed_json_is_400(synthetic_records, editor_client):
    before = ChangeRequest.objects.count()
    response = editor_client.post(URL, b'{"record_type": "trial",', content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_request" and "line 1" in error["message"]
    response = editor_client.post(URL, b'{"base_version": NaN}', content_type="application/json")
    assert response.status_code == 400
    _nothing_written(before)


def test_json_array_body_is_400(synthetic_records, editor_client):
    response = editor_client.post(URL, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["path"] == ""


def test_not_json_is_415(synthetic_records, editor_client):
    response = editor_client.post(URL, "record_type=trial", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_huge_body_is_413(synthetic_records, editor_client):
    before = ChangeRequest.objects.count()
    payload = revise_payload(documents.synthetic_trial(summary="x" * 20_000), 1)
    response = create(editor_client, payload)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and "10000 bytes" in error["message"]
    _nothing_written(before)


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({}, ""),
        ({"document": "text"}, "document"),
        ({"rationale": ""}, "rationale"),
        ({"rationale": "ok", "status": "approved"}, "status"),
        ({"citations": [3]}, "citations[0]"),
    ],
)
def test_patch_bad_input(synthetic_records, editor_client, payload, path):
    response = create(
        editor_client, revise_payload(documents.synthetic_trial(summary="D."), 1, draft=True)
    )
    url = f"{URL}{response.json()['id']}/"
    response = editor_client.patch(url, payload, format="json")
    assert response.status_code == 400, response.content
    assert path in [e["path"] for e in response.json()["error"]["errors"]]
    cr = ChangeRequest.objects.get(pk=response.wsgi_request.path.split("/")[-2])
    assert cr.document["summary"] == "D." and cr.rationale == "Corrected from the source."


def test_patch_after_a_rebase_is_409_naming_the_base_version(
    synthetic_records, editor, reviewer, editor_client
):
    draft = revise_payload(documents.synthetic_trial(summary="D."), 1, draft=True)
    response = create(editor_client, draft)
    url = f"{URL}{response.json()['id']}/"
    theirs = lambda d: d.update(notes="Theirs.")  # noqa: E731
    revise_approved(editor, reviewer, "trial", "synthetic-trial", theirs)
    assert editor_client.post(url + "rebase/", format="json").json()["base_version"] == 2
    before = ChangeRequest.objects.get(pk=response.json()["id"]).rationale
    stale = {"rationale": "Edited the old proposal.", "base_version": 1}
    response = editor_client.patch(url, stale, format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "version_conflict" and "based on version 2" in error["message"]
    assert ChangeRequest.objects.get(pk=url.split("/")[-2]).rationale == before
    response = editor_client.patch(url, {**stale, "base_version": 2}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["rationale"] == "Edited the old proposal."


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"rationale": "ok", "base_version": "1"}, "base_version"),
        ({"rationale": "ok", "base_version": 1.5}, "base_version"),
        ({"rationale": "ok", "base_version": True}, "base_version"),
        ({"rationale": "ok", "base_version": -1}, "base_version"),
        ({"rationale": "ok", "base_version": 2**31}, "base_version"),
        ({"base_version": 1}, ""),  # it guards an edit; alone it changes nothing
    ],
)
def test_patch_base_version_bad_input(synthetic_records, editor_client, payload, path):
    draft = revise_payload(documents.synthetic_trial(summary="D."), 1, draft=True)
    response = create(editor_client, draft)
    url = f"{URL}{response.json()['id']}/"
    response = editor_client.patch(url, payload, format="json")
    assert response.status_code == 400, response.content
    assert path in [e["path"] for e in response.json()["error"]["errors"]]
    cr = ChangeRequest.objects.get(pk=url.split("/")[-2])
    assert cr.rationale == "Corrected from the source."


@pytest.mark.parametrize("action", ["submit", "approve", "reject", "request-changes", "withdraw"])
def test_transition_bad_input(proposal, reviewer_client, editor_client, action):
    client = editor_client if action in ("submit", "withdraw") else reviewer_client
    url = f"{URL}{proposal['id']}/{action}/"
    reviews = Review.objects.count()
    for payload in ({"comment": 5}, {"verdict": "yes"}, [1]):
        response = client.post(url, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    assert Review.objects.count() == reviews
    assert ChangeRequest.objects.get(pk=proposal["id"]).status == "submitted"


def test_rebase_refuses_a_body(proposal, editor_client):
    url = f"{URL}{proposal['id']}/rebase/"
    response = editor_client.post(url, {"force": True}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["path"] == "force"
