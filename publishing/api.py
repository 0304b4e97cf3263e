"""``GET /api/v1/snapshots/`` and ``/api/v1/snapshots/latest/``: complete snapshots and links;
``/api/v1/releases/``: named releases (``publishing.releases``)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response

from curation.api.serializers import StrictCharField, StrictIntegerField, StrictSerializer
from curation.api.views.base import JsonApi, validated
from evidence.api.serializers import ResponseModelSerializer, error_responses
from evidence.api.views import Pagination

from .models import Release, Snapshot
from .releases import create_release, releases
from .selectors import complete_snapshots, latest_complete_snapshot

LINKED_FILES = ("manifest.json", "evidence.json", "schema.json", "changes.json", "index.html")


class SnapshotSerializer(ResponseModelSerializer):
    previous = serializers.SerializerMethodField()
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="How many of each: records by type (plural), findings, changed_records.",
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = [
            "seq",
            "position",
            "previous",
            "status",
            "counts",
            "manifest_sha256",
            "created_at",
            "finished_at",
            "links",
        ]

    def get_previous(self, snapshot: Snapshot) -> int | None:
        return snapshot.previous.seq if snapshot.previous_id else None

    def get_links(self, snapshot: Snapshot) -> dict[str, str]:
        request = self.context.get("request")
        links = {}
        for name in LINKED_FILES:
            url = f"/published/{snapshot.seq}/{name}"
            links[name.split(".")[0] + ("_html" if name.endswith(".html") else "")] = (
                request.build_absolute_uri(url) if request else url
            )
        return links


class SnapshotList(generics.ListAPIView):
    """Complete snapshots, newest first."""

    serializer_class = SnapshotSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = Pagination  # the API's strict limit and offset

    @extend_schema(responses={200: SnapshotSerializer(many=True), **error_responses(400, 401, 429)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return complete_snapshots().order_by("-seq")


class LatestSnapshot(generics.RetrieveAPIView):
    """The newest complete snapshot (what ``/published/latest/`` serves)."""

    serializer_class = SnapshotSerializer
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SnapshotSerializer, **error_responses(401, 404, 429)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        snapshot = latest_complete_snapshot()
        if snapshot is None:
            raise Http404("nothing has been published yet")
        return snapshot


# --- Releases -----------------------------------------------------------------------------


class ReleaseSerializer(ResponseModelSerializer):
    snapshot = serializers.IntegerField(source="snapshot.seq", help_text="The snapshot's seq.")
    previous = serializers.CharField(
        source="previous.name", allow_null=True, help_text="The release before this one."
    )
    created_by = serializers.CharField(source="created_by.get_username")
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        source="notes.counts",
        help_text="Records added, revised and retracted since the previous release.",
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "name",
            "note",
            "snapshot",
            "position",
            "previous",
            "created_by",
            "created_at",
            "counts",
            "links",
        ]

    def get_links(self, release: Release) -> dict[str, str]:
        """The release notes (``notes_json``, ``notes_html``) and the snapshot's index."""
        request = self.context.get("request")
        urls = {
            "notes_json": f"/published/releases/{release.name}/notes.json",
            "notes_html": f"/published/releases/{release.name}/notes.html",
            "snapshot_html": f"/published/{release.snapshot.seq}/index.html",
        }
        return {k: request.build_absolute_uri(v) if request else v for k, v in urls.items()}


class ReleaseCreateSerializer(StrictSerializer):
    name = StrictCharField(max_length=200, help_text='Such as "2026-12": letters, digits, . _ -')
    note = StrictCharField(required=False, allow_blank=True, max_length=20_000)
    snapshot = StrictIntegerField(
        required=False, min_value=1, help_text="The snapshot's seq (default: the latest)."
    )


class ReleaseList(JsonApi, generics.ListAPIView):
    """Named releases, newest first (GET, anyone); mark a snapshot as a release (POST: staff
    with the permission to add releases). Releases are never changed or deleted."""

    serializer_class = ReleaseSerializer
    # Anyone reads; writing needs a login (401), then the service decides (403).
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = Pagination

    @extend_schema(responses={200: ReleaseSerializer(many=True), **error_responses(400, 401, 429)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ReleaseCreateSerializer,
        responses={201: ReleaseSerializer, **error_responses(400, 401, 403, 409, 413, 415, 429)},
    )
    def post(self, request, *args, **kwargs):
        data = validated(ReleaseCreateSerializer, request.data)
        release = create_release(user=request.user, **data)
        body = ReleaseSerializer(release, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        return releases()
