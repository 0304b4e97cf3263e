"""Change requests: proposing, editing, the review thread, and one POST route per workflow
transition, generated from the workflow's actions (``services.ACTIONS``), so that a new
action in the workflow is a new route with nothing written here."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from curation import desk_selectors, selectors, services
from curation.errors import NotFound
from curation.models import ChangeRequest, Comment
from evidence.api.params import column_max, path_number
from evidence.api.serializers import WRITE_ERRORS, error_responses
from evidence.api.views import Pagination
from evidence.documents import RECORD_TYPES

from .. import discussion_serializers, serializers
from ..permissions import TakesPartInCuration
from .base import JsonApi, validated
from .desk import ClaimRoutes

MAX_CHANGE_REQUEST_ID = column_max(ChangeRequest, "id")
MAX_COMMENT_ID = column_max(Comment, "id")


class ChangeRequestFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ChangeRequest.Status.choices)
    record_type = filters.ChoiceFilter(choices=[(t, t) for t in RECORD_TYPES])
    record = filters.CharFilter(field_name="record_slug", help_text="The record's slug.")
    author = filters.CharFilter(field_name="author__username", help_text="Author's username.")
    claimed_by = filters.CharFilter(
        field_name="claimed_by__username", help_text="Username of the reviewer who claimed it."
    )
    unclaimed = filters.BooleanFilter(
        field_name="claimed_by", lookup_expr="isnull", help_text="Nobody claimed it (true)."
    )
    overdue = filters.BooleanFilter(
        method="filter_overdue", help_text="Submitted and past its due date (true), or not."
    )

    class Meta:
        model = ChangeRequest
        fields = ["status", "record_type", "record", "author", "claimed_by", "unclaimed", "overdue"]

    def filter_overdue(self, queryset, name, value):
        return desk_selectors.filter_overdue(queryset, value)


COMMENT_ID = OpenApiParameter(
    "comment_id", int, OpenApiParameter.PATH, description="The thread's first comment."
)
RESOLVE_RESPONSES = {200: discussion_serializers.DiscussionCommentSerializer, **WRITE_ERRORS}
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
    ClaimRoutes,
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
        request=serializers.ApproveBatchSerializer,
        responses={200: serializers.ApprovedBatchSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="approve-batch", url_name="approve-batch")
    def approve_batch(self, request):
        """Approve many submitted change requests in one action, in the order given, all or
        none: each is checked as its own approval is (reviewers only, never your own), and a
        refusal names the request. Their events are those one-by-one approvals would append."""
        data = validated(serializers.ApproveBatchSerializer, request.data)
        events = services.approve_change_requests(
            request.user, data["ids"], comment=data.get("comment", "")
        )
        return Response(
            {
                "approved": [e.change_request_id for e in events],
                "positions": [e.position for e in events],
            }
        )

    @extend_schema(
        methods=["GET"],
        responses={
            200: discussion_serializers.DiscussionCommentSerializer(many=True),
            **error_responses(401, 403, 404, 429),
        },
    )
    @extend_schema(
        methods=["POST"],
        request=discussion_serializers.CommentSerializer,
        responses={201: discussion_serializers.DiscussionCommentSerializer, **WRITE_ERRORS},
    )
    # A request's discussion is short (a page of threads): not paginated, not filtered.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def comments(self, request, pk=None):
        """The request's discussion, thread by thread (GET); add a comment, on the request or
        on one field of its diff, or a reply (POST). Editors and reviewers."""
        pk = self._pk()
        if request.method == "GET":
            selectors.change_request_detail(pk)  # 404 for a request that does not exist
            threads = selectors.discussion_of(pk)
            return Response(
                discussion_serializers.DiscussionCommentSerializer(threads, many=True).data
            )
        data = validated(discussion_serializers.CommentSerializer, request.data)
        made = services.add_comment(
            pk,
            user=request.user,
            comment=data["comment"],
            path=data.get("path", ""),
            parent=data.get("parent"),
        )
        return self._thread_response(pk, made.parent_id or made.pk, status.HTTP_201_CREATED)

    def _thread_response(self, pk: int, thread_id: int, status_code=status.HTTP_200_OK):
        thread = selectors.discussion_of(pk).get(pk=thread_id)
        data = discussion_serializers.DiscussionCommentSerializer(thread).data
        return Response(data, status=status_code)

    def _set_resolved(self, request, comment_id: str, resolved: bool):
        pk = self._pk()
        number = path_number(comment_id, maximum=MAX_COMMENT_ID)
        if number is None:
            raise NotFound(f"no comment {comment_id[:30]!r} on change request {pk}")
        if request.data:
            validated(serializers.StrictSerializer, request.data)
        services.set_resolved(pk, number, user=request.user, resolved=resolved)
        return self._thread_response(pk, number)

    @extend_schema(request=None, responses=RESOLVE_RESPONSES, parameters=[COMMENT_ID])
    @action(detail=True, methods=["post"], url_path=r"comments/(?P<comment_id>[^/.]+)/resolve")
    def resolve_comment(self, request, pk=None, comment_id=None):
        """Mark a thread resolved: its first comment's author, the request's author or a
        reviewer."""
        return self._set_resolved(request, comment_id, True)

    @extend_schema(request=None, responses=RESOLVE_RESPONSES, parameters=[COMMENT_ID])
    @action(detail=True, methods=["post"], url_path=r"comments/(?P<comment_id>[^/.]+)/unresolve")
    def unresolve_comment(self, request, pk=None, comment_id=None):
        """Open a resolved thread again (who may: as for resolving)."""
        return self._set_resolved(request, comment_id, False)
