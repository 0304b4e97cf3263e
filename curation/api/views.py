"""The curation API: record details as of any point, history, change requests, events.

Views translate HTTP to service calls and back; they hold no rule of their own. Errors raised
by the services (``curation.errors``) become responses in ``exceptions.api_exception_handler``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from curation import eventstore, selectors, services
from curation.errors import NotFound
from curation.models import ChangeRequest, Event
from evidence.api.params import (
    NotANumber,
    OutOfRange,
    column_max,
    parse_whole_number,
    path_number,
)
from evidence.api.serializers import (
    DETAIL_SERIALIZERS,
    READ_ERRORS,
    WRITE_ERRORS,
    error_responses,
    record_detail,
)
from evidence.api.views import Pagination
from evidence.documents import RECORD_TYPES

from . import serializers
from .auth import AUTHENTICATION
from .parsers import LimitedJSONParser
from .permissions import TakesPartInCuration

MAX_EVENTS_PER_PAGE = 1000
MAX_POSITION = column_max(Event, "position")
MAX_CHANGE_REQUEST_ID = column_max(ChangeRequest, "id")


class ApiView(APIView):
    """JSON in, JSON out; the error shape comes from the project's exception handler."""

    authentication_classes = AUTHENTICATION
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Records: detail as of a point in time, and history ---------------------------------------

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.STR,
    description=(
        "The record as it was after an event-log position (an integer) or at a time "
        "(ISO 8601, e.g. 2024-05-01T12:00:00Z; without an offset it is UTC)."
    ),
)


def parse_as_of(raw: str) -> dict:
    """?as_of= -> keyword arguments for selectors.record_as_of, or a 400 naming the problem."""
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
        if as_of is None:
            record = selectors.live_record(self.record_type, slug)
            if record is None:
                raise NotFound(f"no published {self.record_type} with slug {slug!r}")
            return Response(record_detail(record))
        past = selectors.record_as_of(self.record_type, slug, **parse_as_of(as_of))
        stream_id = selectors.stream_id_for_slug(self.record_type, slug)
        return Response(
            {
                "record_type": self.record_type,
                "slug": past.slug,
                "id": stream_id,
                "version": past.version,
                "position": past.position,
                "approved_at": past.recorded_at,
                "retracted": past.retracted,
                "document": past.document,
            }
        )


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
    tag = f"{record_type}s"

    @extend_schema(
        parameters=[AS_OF],
        responses={200: DETAIL_SERIALIZERS[record_type], **READ_ERRORS},
        tags=[tag],
        summary=f"A {record_type}: its document and version (optionally as of a point)",
        operation_id=f"{record_type}s_retrieve",
    )
    def get_detail(self, request, slug: str):
        return RecordDetailView.get(self, request, slug)

    @extend_schema(
        responses={200: serializers.HistorySerializer, **READ_ERRORS},
        tags=[tag],
        summary=f"Every version of a {record_type}, with provenance",
        operation_id=f"{record_type}s_history",
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


# --- Change requests --------------------------------------------------------------------------


class ChangeRequestFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ChangeRequest.Status.choices)
    record_type = filters.ChoiceFilter(choices=[(t, t) for t in RECORD_TYPES])
    record = filters.CharFilter(field_name="record_slug", help_text="The record's slug.")
    author = filters.CharFilter(field_name="author__username", help_text="Author's username.")

    class Meta:
        model = ChangeRequest
        fields = ["status", "record_type", "record", "author"]


TRANSITION_RESPONSES = {200: serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS}


@extend_schema_view(
    list=extend_schema(
        responses={
            200: serializers.ChangeRequestSerializer(many=True),
            **error_responses(400, 401, 403, 429),
        }
    ),
    retrieve=extend_schema(
        responses={
            200: serializers.ChangeRequestDetailSerializer,
            **error_responses(401, 403, 404, 429),
        }
    ),
)
class ChangeRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Proposals to change evidence, and their review."""

    queryset = ChangeRequest.objects.select_related("author", "decided_by").order_by("-id")
    serializer_class = serializers.ChangeRequestSerializer
    permission_classes = [TakesPartInCuration]
    authentication_classes = AUTHENTICATION
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]
    pagination_class = Pagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ChangeRequestFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return (
            serializers.ChangeRequestSerializer
            if self.action == "list"
            else serializers.ChangeRequestDetailSerializer
        )

    def _pk(self) -> int:
        raw = self.kwargs["pk"]
        pk = path_number(raw, maximum=MAX_CHANGE_REQUEST_ID)
        if pk is None:
            raise NotFound(f"no change request {raw[:30]!r}")
        return pk

    def detail_response(self, cr: ChangeRequest | int, status_code=status.HTTP_200_OK):
        pk = cr.pk if isinstance(cr, ChangeRequest) else cr
        cr = (
            ChangeRequest.objects.select_related("author", "decided_by")
            .prefetch_related("reviews__author")
            .filter(pk=pk)
            .first()
        )
        if cr is None:
            raise NotFound(f"no change request {pk}")
        live = selectors.live_record(cr.record_type, cr.record_slug)
        current = (live.version, live.document) if live else (None, None)
        data = serializers.ChangeRequestDetailSerializer(
            cr, context={"request": self.request, "current": current}
        ).data
        return Response(data, status=status_code)

    def retrieve(self, request, pk=None):
        return self.detail_response(self._pk())

    @extend_schema(
        request=serializers.ChangeRequestCreateSerializer,
        examples=[
            OpenApiExample(
                "Propose a new citation",
                request_only=True,
                value={
                    "record_type": "citation",
                    "action": "create",
                    "document": {
                        "slug": "example-article-2024",
                        "kind": "article",
                        "title": "Title of the article as published",
                    },
                    "rationale": "Cited by the topic summary.",
                },
            ),
        ],
        responses={201: serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        data = validated(serializers.ChangeRequestCreateSerializer, request.data)
        cr = services.propose(
            user=request.user,
            record_type=data["record_type"],
            action=data["action"],
            document=data.get("document"),
            record=data.get("record"),
            base_version=data.get("base_version"),
            rationale=data["rationale"],
            citations=data.get("citations", []),
            submit=not data["draft"],
        )
        return self.detail_response(cr, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ChangeRequestUpdateSerializer,
        responses={200: serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        pk = self._pk()  # an id that cannot exist is a 404 whatever the body
        data = validated(serializers.ChangeRequestUpdateSerializer, request.data)
        cr = services.update_draft(pk, user=request.user, **data)
        return self.detail_response(cr)

    def _transition(self, request, service, **extra):
        pk = self._pk()
        data = validated(serializers.TransitionSerializer, request.data)
        service(pk, user=request.user, comment=data.get("comment", ""), **extra)
        return self.detail_response(pk)

    @extend_schema(request=serializers.TransitionSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft (or a request sent back for changes) for review. Author only."""
        return self._transition(request, services.submit)

    @extend_schema(request=serializers.TransitionSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: records the change as a new event. Reviewers only, never your own."""
        return self._transition(request, services.approve)

    @extend_schema(request=serializers.TransitionSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject, with a comment saying why. Reviewers only, never your own."""
        return self._transition(request, services.reject)

    @extend_schema(request=serializers.TransitionSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        """Send back to the author for changes, with a comment. Reviewers only."""
        return self._transition(request, services.request_changes)

    @extend_schema(request=serializers.TransitionSerializer, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw an open request. Author only."""
        return self._transition(request, services.withdraw)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def rebase(self, request, pk=None):
        """Move the request onto the record's current version, merging where fields differ."""
        pk = self._pk()
        if request.data:
            validated(serializers.StrictSerializer, request.data)
        services.rebase(pk, user=request.user)
        return self.detail_response(pk)

    @extend_schema(
        request=serializers.CommentSerializer,
        responses={201: serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        """Add a comment to the review thread. Editors and reviewers."""
        pk = self._pk()
        data = validated(serializers.CommentSerializer, request.data)
        services.add_comment(pk, user=request.user, comment=data["comment"])
        return self.detail_response(pk, status.HTTP_201_CREATED)


# --- The changes feed -------------------------------------------------------------------------


class EventFeedView(ApiView):
    """Approved changes in event-log order, for consumers that follow every change.

    Store ``next_after`` and ask again with ``?after=<it>``: each event comes exactly once.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[serializers.EventFeedQuerySerializer],
        responses={200: serializers.EventFeedSerializer, **READ_ERRORS},
    )
    def get(self, request):
        query = validated(serializers.EventFeedQuerySerializer, request.query_params)
        after, limit = query["after"], min(query["limit"], MAX_EVENTS_PER_PAGE)
        events = list(selectors.events_after(after, limit))
        # Positions are gapless by construction (serialised appends); stop at a gap anyway,
        # so that a consumer can never skip past an event it has not seen.
        contiguous = []
        for expected, event in enumerate(events, start=after + 1):
            if event.position != expected:
                break
            contiguous.append(event)
        next_after = contiguous[-1].position if contiguous else after
        last_position = eventstore.last_position()
        return Response(
            {
                "after": after,
                "limit": limit,
                "next_after": next_after,
                "last_position": last_position,
                "has_more": next_after < last_position,
                "results": serializers.EventSerializer(contiguous, many=True).data,
            }
        )
