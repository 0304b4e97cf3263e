"""The discussion of a change request through the API: comments on the request and on one
field of its diff, replies, resolving, and the rules of ``curation.services.discussion``."""

from __future__ import annotations

import pytest

from curation.services.discussion import MAX_COMMENT_CHARS
from tests import documents
from tests.conftest import make_user

from .conftest import revise_payload, token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-requests/"


@pytest.fixture
def proposal(synthetic_records, editor_client):
    """A submitted revision of the synthetic trial: its summary and one PFS value."""
    document = documents.synthetic_trial(summary="New summary.")
    document["outcomes"][0]["values"][0]["value"] = 31
    response = editor_client.post(URL, revise_payload(document, 1), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    value_path = next(c["path"] for c in body["diff"] if c["path"].endswith(".value"))
    return {"id": body["id"], "value_path": value_path, "comments": f"{URL}{body['id']}/comments/"}


def post(client, url, body=None):
    return client.post(url, body if body is not None else {}, format="json")


def said(problem) -> str:
    """Everything an error says: its message and each named problem's."""
    return " ".join([problem["message"], *(e["message"] for e in problem["errors"])])


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_a_comment_on_one_value_a_reply_and_resolving(proposal, reviewer_client, editor_client):
    made = post(
        reviewer_client,
        proposal["comments"],
        {"comment": "Page 4 says 30.", "path": proposal["value_path"]},
    )
    assert made.status_code == 201, made.content
    thread = made.json()
    assert thread["path"] == proposal["value_path"] and thread["replies"] == []
    reply = post(
        editor_client, proposal["comments"], {"comment": "Table 2 says 31.", "parent": thread["id"]}
    )
    assert reply.status_code == 201
    assert [(r["author"], r["comment"]) for r in reply.json()["replies"]] == [
        ("editor", "Table 2 says 31.")
    ]
    listed = editor_client.get(proposal["comments"]).json()
    assert [t["id"] for t in listed] == [thread["id"]] and len(listed[0]["replies"]) == 1
    assert editor_client.get(f"{URL}{proposal['id']}/").json()["unresolved_comments"] == 1
    queue = editor_client.get(URL).json()["results"]
    assert next(cr for cr in queue if cr["id"] == proposal["id"])["unresolved_comments"] == 1

    resolved = post(editor_client, f"{proposal['comments']}{thread['id']}/resolve/")
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["resolved"] is True and resolved.json()["resolved_by"] == "editor"
    assert editor_client.get(f"{URL}{proposal['id']}/").json()["unresolved_comments"] == 0
    again = error(post(editor_client, f"{proposal['comments']}{thread['id']}/resolve/"), 409)
    assert "already resolved" in again["message"]
    reopened = post(reviewer_client, f"{proposal['comments']}{thread['id']}/unresolve/")
    assert reopened.status_code == 200 and reopened.json()["resolved"] is False


def test_a_path_the_diff_does_not_have_is_refused_naming_it(proposal, reviewer_client):
    response = post(
        reviewer_client, proposal["comments"], {"comment": "Hm.", "path": "arms[key=nope].n"}
    )
    problem = error(response, 400)
    assert problem["errors"][0]["path"] == "path"
    assert (
        "'arms[key=nope].n' is not a field this change request changes"
        in (problem["errors"][0]["message"])
    )
    # An item that holds a changed field is a valid anchor.
    item = proposal["value_path"].rsplit(".", 1)[0]
    assert (
        post(
            reviewer_client, proposal["comments"], {"comment": "This arm.", "path": item}
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        ({"comment": ""}, "comment", "blank"),
        ({"comment": "   "}, "comment", "blank"),
        ({"comment": "x" * (MAX_COMMENT_CHARS + 1)}, "comment", f"at most {MAX_COMMENT_CHARS}"),
        ({"comment": "Hm.", "parent": 999999}, "parent", "no comment 999999"),
        ({"comment": "Hm.", "parent": "1"}, "parent", ""),
        ({"comment": "Hm.", "path": 3}, "path", ""),
        ({"comment": "Hm.", "colour": "red"}, "colour", "unknown field"),
    ],
)
def test_bad_comments_are_400_naming_the_field(proposal, reviewer_client, body, where, words):
    problem = error(post(reviewer_client, proposal["comments"], body), 400)
    assert where in [e["path"] for e in problem["errors"]]
    assert words in said(problem) + " ".join(e["message"] for e in problem["errors"])


def test_replies_are_one_level_deep(proposal, reviewer_client, editor_client):
    thread = post(reviewer_client, proposal["comments"], {"comment": "First."}).json()
    reply = post(
        editor_client, proposal["comments"], {"comment": "Second.", "parent": thread["id"]}
    )
    reply_id = reply.json()["replies"][0]["id"]
    problem = error(
        post(reviewer_client, proposal["comments"], {"comment": "Third.", "parent": reply_id}), 400
    )
    assert f"comment {reply_id} is a reply" in said(problem)
    problem = error(post(reviewer_client, f"{proposal['comments']}{reply_id}/resolve/"), 400)
    assert "resolve its thread" in said(problem)


def test_who_may_comment_and_resolve(proposal, reviewer_client, editor2, editor_client):
    consumer = token_client(make_user("consumer"))
    assert error(post(consumer, proposal["comments"], {"comment": "Hi."}), 403)
    assert error(consumer.get(proposal["comments"]), 403)
    thread = post(reviewer_client, proposal["comments"], {"comment": "Check."}).json()
    # Another editor may comment but not resolve a thread on someone else's request.
    other = token_client(editor2)
    assert post(other, proposal["comments"], {"comment": "Me too."}).status_code == 201
    problem = error(post(other, f"{proposal['comments']}{thread['id']}/resolve/"), 403)
    assert "the request's author or a reviewer" in said(problem)
    assert error(post(consumer, f"{proposal['comments']}{thread['id']}/resolve/"), 403)


def test_closed_requests_keep_their_discussion_open(proposal, reviewer_client, editor_client):
    assert post(editor_client, f"{URL}{proposal['id']}/withdraw/").status_code == 200
    response = post(reviewer_client, proposal["comments"], {"comment": "Why withdrawn?"})
    assert response.status_code == 201


def test_unknown_requests_and_comments_are_404(proposal, reviewer_client):
    assert error(reviewer_client.get(f"{URL}999999/comments/"), 404)
    assert error(post(reviewer_client, f"{URL}999999/comments/", {"comment": "x"}), 404)
    assert error(post(reviewer_client, f"{proposal['comments']}999999/resolve/"), 404)
    assert error(post(reviewer_client, f"{proposal['comments']}abc/resolve/"), 404)
