"""The discussion on the admin's review page: a comment beside one row of the diff, replies,
resolving, refusals shown as messages, and the queue's column and filter."""

from __future__ import annotations

import pytest

from curation import services
from curation.models import Comment
from tests import documents
from tests.conftest import make_user

from .conftest import messages_of, review_url

pytestmark = pytest.mark.django_db
QUEUE = "/admin/curation/changerequest/"
VALUE = "outcomes[key=pfs].values[arm=lenalidomide].value"


@pytest.fixture
def request_(admin_trials, editor):
    document = documents.myeloma_xi()
    document["outcomes"][0]["values"][0]["value"] = 38.9
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=admin_trials["myeloma_xi"].slug,
        document=document,
        base_version=admin_trials["myeloma_xi"].version,
        rationale="The duration section gives 38.9 months.",
    )
    assert VALUE in services.discussion.diff_paths(cr), services.discussion.diff_paths(cr)
    return cr


def row_of(html: str, path: str) -> str:
    """The diff table's row of ``path``."""
    start = html.index(f'<span class="path">{path}</span>')
    return html[start : html.index("</tr>", start)]


def test_comment_on_a_value_shows_beside_its_row(client, reviewer, editor, request_):
    client.force_login(reviewer)
    page = client.get(review_url(request_)).content.decode()
    assert f'<option value="{VALUE}">' in page  # the form offers every row of the diff
    response = client.post(
        review_url(request_),
        {"action": "comment", "comment": "Page 4 says 38.9?", "path": VALUE},
        follow=True,
    )
    assert "Comment added." in messages_of(response)
    html = response.content.decode()
    assert "Page 4 says 38.9?" in row_of(html, VALUE)
    assert "Discussion (1 unresolved)" in html
    thread = Comment.objects.get()
    client.force_login(editor)
    response = client.post(
        review_url(request_),
        {"action": "reply", "comment": "Yes, page 4.", "parent": thread.pk},
        follow=True,
    )
    assert "Yes, page 4." in row_of(response.content.decode(), VALUE)
    response = client.post(
        review_url(request_), {"action": "resolve", "comment_id": thread.pk}, follow=True
    )
    assert "Comment resolved." in messages_of(response)
    assert "Discussion (0 unresolved)" in response.content.decode()
    thread.refresh_from_db()
    assert thread.resolved_by == editor


def test_bad_discussion_posts_are_refused_with_the_reason(client, reviewer, request_):
    client.force_login(reviewer)
    cases = [
        ({"action": "comment", "comment": "x", "path": "arms[key=zzz].n"}, "arms[key=zzz].n"),
        ({"action": "comment", "comment": ""}, "a comment cannot be empty"),
        ({"action": "reply", "comment": "x", "parent": "abc"}, "'abc' is not a comment id"),
        ({"action": "resolve", "comment_id": "999999"}, "no comment 999999"),
    ]
    for data, words in cases:
        response = client.post(review_url(request_), data)
        assert response.status_code in (400, 404), data
        assert any(words in message for message in messages_of(response)), (data, words)
    assert not Comment.objects.exists()


def test_people_outside_the_groups_cannot_discuss(client, reviewer, editor2, request_):
    thread = services.add_comment(request_, user=reviewer, comment="Check this.")
    client.force_login(make_user("consumer"))
    response = client.post(review_url(request_), {"action": "comment", "comment": "Hi."})
    assert response.status_code == 403
    client.force_login(editor2)  # an editor, not the author: comments, does not resolve
    response = client.post(review_url(request_), {"action": "resolve", "comment_id": thread.pk})
    assert response.status_code == 403
    assert "the request's author or a reviewer" in " ".join(messages_of(response))
    thread.refresh_from_db()
    assert not thread.resolved and Comment.objects.count() == 1


def test_the_queue_shows_and_filters_unresolved_comments(client, reviewer, request_):
    services.add_comment(request_, user=reviewer, comment="Open question.")
    client.force_login(reviewer)
    queue = client.get(QUEUE).content.decode()
    assert "unresolved comments" in queue.lower()
    assert client.get(QUEUE, {"comments": "unresolved"}).context["cl"].result_count == 1
    assert client.get(QUEUE, {"comments": "none"}).context["cl"].result_count == 0
