"""The changes feed: approved changes in event-log order, for consumers that follow them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from curation import eventstore
from evidence.api.caching import CachedByPosition
from evidence.api.serializers import READ_ERRORS

from .. import serializers
from ..event_feed import contiguous_feed_items
from .base import ApiView, validated

MAX_EVENTS_PER_PAGE = 1000


class EventFeedView(CachedByPosition, ApiView):
    """Approved changes in event-log order, for consumers that follow every change.

    Store ``next_after`` and ask again with ``?after=<it>``: each event comes exactly once.
    Pages are cached by the log position they reflect (``evidence.api.caching``).
    """

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[serializers.EventFeedQuerySerializer],
        responses={200: serializers.EventFeedSerializer, **READ_ERRORS},
    )
    def get(self, request):
        cached = self.cached_page()
        if cached is not None:
            return cached
        query = validated(serializers.EventFeedQuerySerializer, request.query_params)
        after, limit = query["after"], min(query["limit"], MAX_EVENTS_PER_PAGE)
        events = contiguous_feed_items(after, limit)
        next_after = events[-1]["position"] if events else after
        last_position = eventstore.last_position()
        return Response(
            {
                "after": after,
                "limit": limit,
                "next_after": next_after,
                "last_position": last_position,
                "has_more": next_after < last_position,
                "results": events,  # EventSerializer's items (``event_feed``)
            }
        )
