"""Change requests: proposing, editing, the review thread, and one POST route per workflow
transition, generated from the workflow's actions (``services.ACTIONS``), so that a new
action in the workflow is a new route with nothing written here."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from curation import selectors, services
from curation.errors import NotFound
from curation.models import ChangeRequest
from evidence.api.params import column_max, path_number
from evidence.api.serializers import WRITE_ERRORS, error_responses
from evidence.api.views import Pagination
from evidence.documents import RECORD_TYPES

from .. import serializers
from ..permissions import TakesPartInCuration
from .base import JsonApi, validated

MAX_CHANGE_REQUEST_ID = column_max(ChangeRequest, "id")


class ChangeRequestFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ChangeRequest.Status.choices)
    record_type = filters.ChoiceFilter(choices=[(t, t) for t in RECORD_TYPES])
    record = filters.CharFilter(field_name="record_slug", help_text="The record's slug.")
    author = filters.CharFilter(field_name="author__username", help_text="Author's username.")

    class Meta:
        model = ChangeRequest
        fields = ["status", "record_type", "record", "author"]


TRANSITION_RESPONSES = {200: serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS}


def transition_route(workflow_action: services.WorkflowAction):
    """The POST route of one workflow action: read the body, execute the action (which checks
    who and when), answer with the request's detail. Named, documented and routed as the
    action says (``route``, ``description``), as the hand-written routes were."""
    takes_comment = workflow_action.takes_comment

    def route(self, request, pk=None):
        pk = self._pk()
        if takes_comment:
            comment = validated(serializers.TransitionSerializer, request.data).get("comment", "")
        else:
            # No comment to give (rebase): the body may be empty or {}, and nothing else.
            comment = ""
            if request.data:
                validated(serializers.StrictSerializer, request.data)
        workflow_action.execute(pk, request.user, comment)
        return self.detail_response(pk)

    route.__name__ = route.__qualname__ = workflow_action.name
    route.__doc__ = workflow_action.description
    route = action(
        detail=True,
        methods=["post"],
        url_path=workflow_action.route,
        url_name=workflow_action.route,
    )(route)
    body = serializers.TransitionSerializer if takes_comment else None
    return extend_schema(request=body, responses=TRANSITION_RESPONSES)(route)


# Every action that is a transition and needs no more than a comment ("edit" needs a whole
# proposal: it is PATCH; "comment" is not a transition: it has its own route below).
TransitionRoutes = type(
    "TransitionRoutes",
    (),
    {
        workflow_action.name: transition_route(workflow_action)
        for workflow_action in services.ACTIONS.values()
        if workflow_action.transition and workflow_action.one_step
    },
)


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
    TransitionRoutes,
    JsonApi,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Proposals to change evidence, and their review."""

    queryset = selectors.change_request_list()
    serializer_class = serializers.ChangeRequestSerializer
    permission_classes = [TakesPartInCuration]
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
        detail = selectors.change_request_detail(cr.pk if isinstance(cr, ChangeRequest) else cr)
        current = (detail.current_version, detail.current_document)
        data = serializers.ChangeRequestDetailSerializer(
            detail.change_request, context={"request": self.request, "current": current}
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
            reviewer_note=data.get("reviewer_note", ""),
        )
        return self.detail_response(cr, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ChangeRequestUpdateSerializer,
        responses={200: serializers.ChangeRequestDetailSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        pk = self._pk()  # an id that cannot exist is a 404 whatever the body
        data = validated(serializers.ChangeRequestUpdateSerializer, request.data)
        expected_base_version = data.pop("base_version", None)
        cr = services.update_draft(
            pk, user=request.user, expected_base_version=expected_base_version, **data
        )
        return self.detail_response(cr)

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
