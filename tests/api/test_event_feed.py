"""The changes feed's items without model objects are EventSerializer's, byte for byte."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from curation import selectors
from curation.api.event_feed import contiguous_feed_items
from curation.api.serializers import EventSerializer
from tests.factories import retract_approved, revise_approved

pytestmark = pytest.mark.django_db


def _serialized(after: int, limit: int) -> bytes:
    events = selectors.contiguous_events_after(after, limit)
    return JSONRenderer().render(EventSerializer(events, many=True).data)


def _fast(after: int, limit: int) -> bytes:
    return JSONRenderer().render(contiguous_feed_items(after, limit))


@pytest.fixture
def varied_log(synthetic_records, editor, reviewer):
    """Creations, a revision with a rationale, and a retraction (no document)."""

    def rename(document):
        document["name"] = "Renamed synthetic trial"

    revise_approved(editor, reviewer, "trial", "synthetic-trial", rename, why="a «new» name")
    other = synthetic_records["other_trial"]
    retract_approved(editor, reviewer, "trial", other.slug, other.version)
    return 7


@pytest.mark.parametrize(
    ("after", "limit"), [(0, 100), (0, 1), (2, 3), (5, 2), (6, 10), (7, 5), (100, 5)]
)
def test_feed_items_are_the_serializers(varied_log, after, limit):
    selectors._labelled.clear()
    cold = _fast(after, limit)  # labels computed here
    assert cold == _serialized(after, limit)
    assert _fast(after, limit) == cold  # from the memo


def test_feed_items_are_the_serializers_in_another_time_zone(varied_log, settings):
    settings.TIME_ZONE = "America/Sao_Paulo"
    with timezone.override("Asia/Kolkata"):
        assert _fast(0, 100) == _serialized(0, 100)
        assert b"+05:30" in _fast(0, 100)


def test_labelled_events_are_not_read_again(varied_log, django_assert_num_queries):
    _fast(0, 100)
    with django_assert_num_queries(1):  # the columns the page shows; no documents
        assert len(contiguous_feed_items(0, 100)) == varied_log
