"""Imports: a ClinicalTrials.gov study (posted, or fetched by NCT id) -> a change request.

A thin caller of ``curation.imports.services``: the body is read, the service decides (only
editors import; the change request is a draft of the importer unless ``submit``), and the
answer is the change request's detail, as ``POST /change-requests/`` gives it, with what the
import wants the reviewer to check.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from curation import selectors
from curation.imports.services import import_ctgov_study
from evidence.api.serializers import WRITE_ERRORS, ErrorSerializer

from .. import serializers as api_serializers
from ..permissions import TakesPartInCuration
from .base import ApiView, validated

# A registry that cannot be reached, times out or answers with an error: a bad gateway.
IMPORT_ERRORS = {
    **WRITE_ERRORS,
    502: OpenApiResponse(
        response=ErrorSerializer, description="The registry could not be reached or failed"
    ),
}


@extend_schema_field(OpenApiTypes.OBJECT)
class StudyField(serializers.JSONField):
    """A JSON object, whose schema is ClinicalTrials.gov's; anything else is the importer's
    400 (not_a_study), which says what a study must look like."""


class CtgovImportSerializer(api_serializers.StrictSerializer):
    nct_id = api_serializers.StrictCharField(
        required=False, max_length=20, help_text="Fetch this study from ClinicalTrials.gov."
    )
    study = StudyField(required=False, help_text="A ClinicalTrials.gov API v2 study document.")
    submit = api_serializers.StrictBooleanField(
        required=False, default=False, help_text="Submit it for review at once."
    )
    group_map = serializers.DictField(
        child=api_serializers.StrictCharField(max_length=600),
        required=False,
        help_text="Results group title or id -> arm key, 'new:KEY' (a new arm) or '-' "
        "(leave the group's results out), for groups whose title matches no arm or several.",
    )

    def validate(self, attrs):
        if ("nct_id" in attrs) == ("study" in attrs):
            raise serializers.ValidationError("give nct_id or study (one of them)")
        return attrs


class CtgovImportView(ApiView):
    permission_classes = [TakesPartInCuration]

    @extend_schema(
        request=CtgovImportSerializer,
        examples=[
            OpenApiExample(
                "Fetch a study", request_only=True, value={"nct_id": "NCT04431453", "submit": False}
            ),
            OpenApiExample(
                "Post a study with a group mapping",
                request_only=True,
                value={
                    "study": {"protocolSection": {"...": "..."}},
                    "group_map": {"OG004": "arm-5"},
                },
            ),
        ],
        responses={201: api_serializers.ChangeRequestDetailSerializer, **IMPORT_ERRORS},
    )
    def post(self, request):
        """Import a ClinicalTrials.gov study as a change request (a draft of yours unless
        ``submit``). Editors only. A bare study document may be posted as the whole body."""
        data = request.data
        if isinstance(data, dict) and "protocolSection" in data:
            data = {"study": data}
        data = validated(CtgovImportSerializer, data)
        result = import_ctgov_study(
            user=request.user,
            study=data.get("study"),
            nct_id=data.get("nct_id"),
            group_map=data.get("group_map"),
            submit=data["submit"],
        )
        cr = result.change_request
        detail = selectors.change_request_detail(cr.pk)
        body = api_serializers.ChangeRequestDetailSerializer(
            detail.change_request,
            context={
                "request": request,
                "current": (detail.current_version, detail.current_document),
            },
        ).data
        source = cr.imported_source.source
        body["import"] = {
            "registry": source.registry,
            "registry_id": source.registry_id,
            "last_updated": source.last_updated or None,
            "sha256": source.sha256,
            "warnings": result.warnings,
        }
        return Response(body, status=status.HTTP_201_CREATED)
