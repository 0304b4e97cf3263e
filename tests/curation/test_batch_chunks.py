"""A batch approval writes and closes its requests a chunk at a time (events, projection and
closing in one round trip each), all with one decision time; a batch changing topics closes
every request at its end (the narrative warnings quote the topics as the batch leaves them).
Either way it writes what approving the requests one by one writes."""

from __future__ import annotations

from unittest import mock

import pytest

import tests.curation.test_batch_approval as one_by_one
from curation import eventstore, services
from curation.models import ChangeRequest
from curation.services import batch_approval

pytestmark = pytest.mark.django_db


def closings():
    """A spy on the batch's closing: the requests closed by each call, and their times."""
    calls = []
    real = batch_approval.close_approved

    def spy(requests, *args, now=None, **kwargs):
        calls.append(([cr.pk for cr in requests], now))
        return real(requests, *args, now=now, **kwargs)

    return calls, mock.patch.object(batch_approval, "close_approved", spy)


def test_chunks_of_one_write_what_one_by_one_writes(trial, editor, reviewer):
    """The one-by-one comparison's own assertions, with every request its own chunk."""
    calls, spying = closings()
    with mock.patch.object(batch_approval, "CHUNK", 1), spying:
        one_by_one.test_a_batch_appends_what_approving_one_by_one_appends(trial, editor, reviewer)
    # Four requests, each closed by its own chunk (the end's closing finds none left).
    assert [len(pks) for pks, _ in calls if pks] == [1, 1, 1, 1]
    assert len({now for _, now in calls}) == 1


def test_each_chunk_is_closed_with_the_batchs_one_decision_time(trial, editor, reviewer):
    ids = one_by_one.batch_of_requests(editor, trial)
    calls, spying = closings()
    with mock.patch.object(batch_approval, "CHUNK", 3), spying:
        services.approve_change_requests(reviewer, ids)
    assert [pks for pks, _ in calls] == [ids[:3], ids[3:]]
    assert len({now for _, now in calls}) == 1
    decided = ChangeRequest.objects.filter(pk__in=ids).values_list("decided_at", flat=True)
    assert set(decided) == {calls[0][1]}
    # The trial's second request (in the second chunk) was flagged by the first.
    assert ChangeRequest.objects.get(pk=ids[3]).needs_rebase
    assert eventstore.verify_chain().ok


def test_a_batch_changing_topics_closes_its_requests_at_the_end(editor, reviewer):
    calls, spying = closings()
    with mock.patch.object(batch_approval, "CHUNK", 1), spying:
        one_by_one.test_a_batch_with_warnings_topics_and_flags_writes_what_one_by_one_writes(
            editor, reviewer
        )
    assert len(calls) == 1 and len(calls[0][0]) == 2
