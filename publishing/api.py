"""``GET /api/v1/snapshots/`` and ``/api/v1/snapshots/latest/``: complete snapshots and links."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers

from evidence.api.serializers import ResponseModelSerializer, error_responses
from evidence.api.views import Pagination

from .models import Snapshot
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
