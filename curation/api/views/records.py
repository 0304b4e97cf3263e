"""Published records read through the event log: one record now or as of a position or time
(``?as_of=``), and every version of it. The record lists are ``evidence.api``'s."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from curation import selectors
from curation.errors import NotFound
from curation.models import Event
from evidence.api.params import NotANumber, OutOfRange, column_max, parse_whole_number
from evidence.api.serializers import DETAIL_SERIALIZERS, READ_ERRORS
from evidence.documents import RECORD_TYPES, record_types

from .. import serializers
from .base import ApiView

MAX_POSITION = column_max(Event, "position")

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.STR,
    description=(
        "The record as it was after an event-log position (an integer) or at a time "
        "(ISO 8601, e.g. 2024-05-01T12:00:00Z; without an offset it is UTC)."
    ),
)


def parse_as_of(raw: str) -> dict:
    """?as_of= -> keyword arguments for selectors.record_detail, or a 400 naming the problem."""
    raw = raw.strip()
    try:
        return {"position": parse_whole_number(raw, maximum=MAX_POSITION)}
    except OutOfRange as exc:
        raise exceptions.ValidationError({"as_of": [f"an event position {exc}"]}) from None
    except NotANumber:
        pass  # then it must be a time
    moment = None
    if raw.isascii():  # fromisoformat() reads other scripts' digits too
        try:
            moment = parse_datetime(raw)
        except ValueError:  # well formed but impossible, such as month 13
            moment = None
    if moment is None:
        raise exceptions.ValidationError(
            {
                "as_of": [
                    "give an event position (a whole number written with the digits 0-9) "
                    "or an ISO 8601 time"
                ]
            }
        )
    if moment.tzinfo is None:
        return {"at": moment.replace(tzinfo=UTC)}
    try:
        return {"at": moment.astimezone(UTC)}
    except OverflowError:
        # 0001-01-01T00:00+05:00 is before the first moment a datetime holds in UTC, and
        # 9999-12-31T23:59-05:00 after the last: they mean "before anything" and "now".
        return {"at": (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)}


def checked_slug(record_type: str, slug: str) -> str:
    """A slug that cannot exist (bad characters, even NUL) is a 404 before any query."""
    if not selectors.is_possible_slug(slug):
        raise NotFound(f"no {record_type} with slug {slug!r}")
    return slug


class RecordDetailView(ApiView):
    """One published record: its document and version, now or as of a position or time."""

    permission_classes = [AllowAny]
    record_type = ""

    def get(self, request, slug: str):
        slug = checked_slug(self.record_type, slug)
        as_of = request.query_params.get("as_of")
        point = {} if as_of is None else parse_as_of(as_of)
        return Response(selectors.record_detail(self.record_type, slug, **point).as_dict())


class RecordHistoryView(ApiView):
    """Every version of a record, oldest first, with who proposed and approved it and why."""

    permission_classes = [AllowAny]
    record_type = ""

    def get(self, request, slug: str):
        slug = checked_slug(self.record_type, slug)
        events = selectors.record_history(self.record_type, slug)
        return Response(
            {
                "record_type": self.record_type,
                "slug": slug,
                "versions": serializers.EventSerializer(events, many=True).data,
            }
        )


def record_views(record_type: str) -> tuple[type[APIView], type[APIView]]:
    """The detail and history views of one record type, each with its own schema."""
    tag = record_types.get(record_type).plural

    @extend_schema(
        parameters=[AS_OF],
        responses={200: DETAIL_SERIALIZERS[record_type], **READ_ERRORS},
        tags=[tag],
        summary=f"A {record_type}: its document and version (optionally as of a point)",
        operation_id=f"{tag}_retrieve",
    )
    def get_detail(self, request, slug: str):
        return RecordDetailView.get(self, request, slug)

    @extend_schema(
        responses={200: serializers.HistorySerializer, **READ_ERRORS},
        tags=[tag],
        summary=f"Every version of a {record_type}, with provenance",
        operation_id=f"{tag}_history",
    )
    def get_history(self, request, slug: str):
        return RecordHistoryView.get(self, request, slug)

    name = record_type.capitalize()
    detail = type(
        f"{name}Detail", (RecordDetailView,), {"record_type": record_type, "get": get_detail}
    )
    history = type(
        f"{name}History", (RecordHistoryView,), {"record_type": record_type, "get": get_history}
    )
    return detail, history


RECORD_VIEWS = {record_type: record_views(record_type) for record_type in RECORD_TYPES}
