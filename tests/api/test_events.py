"""The changes feed: ordered, gapless, and each event delivered exactly once."""

from __future__ import annotations

import random

import pytest

from curation.models import Event
from tests.factories import revise_approved

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


def test_feed_fields(anon_client, synthetic_records):
    response = anon_client.get(URL, {"after": 2, "limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert [e["position"] for e in body["results"]] == [3, 4]
    assert body["next_after"] == 4 and body["last_position"] == 5 and body["has_more"] is True
    event = body["results"][0]
    stored = Event.objects.get(position=3)
    assert event == {
        **event,
        "record_type": "trial",
        "record": "synthetic-trial",
        "record_id": str(stored.stream_id),
        "version": 1,
        "type": "created",
        "proposer": "editor",
        "approver": "reviewer",
        "hash": stored.hash,
        "prev_hash": Event.objects.get(position=2).hash,
        "change_request": stored.change_request_id,
    }
    assert "summary" in event["changed_fields"] and event["recorded_at"]


def test_feed_end(anon_client, synthetic_records):
    body = anon_client.get(URL, {"after": 5}).json()
    assert body["results"] == [] and body["next_after"] == 5 and body["has_more"] is False
    body = anon_client.get(URL, {"after": 500}).json()
    assert body["results"] == [] and body["next_after"] == 500


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "two"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"after": "1.5"}, "after"),
    ],
)
def test_feed_bad_query_is_400(anon_client, query, path):
    response = anon_client.get(URL, query)
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["error"]["errors"]] == [path]


def test_feed_caps_limit(anon_client, synthetic_records):
    body = anon_client.get(URL, {"limit": 10**9}).json()
    assert body["limit"] == 1000 and len(body["results"]) == 5


def test_consumer_storing_next_after_gets_each_event_exactly_once(
    anon_client, synthetic_records, editor, reviewer
):
    """Approvals interleaved with polls of random page sizes: every position once, in order."""
    rng = random.Random(20240501)
    seen: list[int] = []
    stored_after = 0
    for round_number in range(25):
        if rng.random() < 0.6:
            summary = f"Revision {round_number}"
            revise_approved(
                editor,
                reviewer,
                "trial",
                "synthetic-trial",
                lambda d, summary=summary: d.update(summary=summary),
            )
        body = anon_client.get(URL, {"after": stored_after, "limit": rng.randint(1, 4)}).json()
        seen.extend(event["position"] for event in body["results"])
        stored_after = body["next_after"]
    while True:
        body = anon_client.get(URL, {"after": stored_after, "limit": 3}).json()
        if not body["results"]:
            break
        seen.extend(event["position"] for event in body["results"])
        stored_after = body["next_after"]
    everything = list(Event.objects.order_by("position").values_list("position", flat=True))
    assert len(everything) > 10
    assert seen == everything
    assert stored_after == everything[-1]
