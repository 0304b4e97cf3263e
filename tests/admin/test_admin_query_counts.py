"""List pages read their rows in a fixed number of queries, however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import documents, factories

pytestmark = pytest.mark.django_db


def queries(client, url: str):
    """How many queries a page takes once warm (per-process caches, such as content types,
    filled by an earlier request), and its HTML."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def add_trials(editor, reviewer, numbers) -> None:
    for n in numbers:
        document = documents.ifm_trial(
            f"trial-{n}",
            name=f"Trial {n}",
            registry_ids=[{"registry": "NCT", "id": f"NCT0{n:07d}"}],
        )
        factories.create_approved(editor, reviewer, "trial", document)


def test_trial_list_counts_events_without_a_query_per_row(client, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    client.force_login(reviewer)
    few, page = queries(client, "/admin/evidence/trial/")
    assert page.count(">1 event<") == 1
    add_trials(editor, reviewer, range(1, 6))
    factories.revise_approved(
        editor, reviewer, "trial", "trial-1", lambda d: d.update(summary="Revised.")
    )
    many, page = queries(client, "/admin/evidence/trial/")
    assert page.count(">1 event<") == 5 and page.count(">2 events<") == 1
    assert many == few


def test_history_page_reads_each_version_event_once(client, editor, reviewer):
    trial = factories.seed_trial(editor, reviewer).stream_id
    url = f"/admin/evidence/trial/{trial}/history/"
    client.force_login(reviewer)
    few, page = queries(client, url)
    assert editor.username in page and reviewer.username in page
    for n in range(4):
        factories.revise_approved(
            editor, reviewer, "trial", "ifm-2005-02", lambda d, n=n: d.update(summary=f"v{n}")
        )
    many, page = queries(client, url)
    assert page.count("summary") >= 4  # the changed-fields column of each revision
    assert many == few
