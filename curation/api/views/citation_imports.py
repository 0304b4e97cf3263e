"""Imports of references: a reference file's text, or PMIDs and DOIs to fetch -> one citation
change request per reference (``curation.imports.citation_services``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from curation.imports.citation_formats import FORMATS
from curation.imports.citation_services import import_citations
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


class CitationImportSerializer(api_serializers.StrictSerializer):
    content = api_serializers.StrictCharField(
        required=False, help_text="A PubMed XML, RIS, BibTeX or CSL-JSON file's text."
    )
    format = api_serializers.StrictChoiceField(
        choices=FORMATS, required=False, help_text="The content's format (else guessed)."
    )
    identifiers = serializers.ListField(
        child=api_serializers.StrictCharField(max_length=300),
        required=False,
        min_length=1,
        max_length=200,
        help_text="PMIDs and DOIs to fetch.",
    )
    submit = api_serializers.StrictBooleanField(required=False, default=False)

    def validate(self, attrs):
        if ("content" in attrs) == ("identifiers" in attrs):
            raise serializers.ValidationError("give content or identifiers (one of them)")
        return attrs


OUTCOMES = inline_serializer(
    "CitationImportOutcomes",
    {
        "change_requests": api_serializers.ChangeRequestSerializer(many=True),
        "up_to_date": serializers.ListField(child=serializers.DictField()),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)


class CitationImportView(ApiView):
    permission_classes = [TakesPartInCuration]

    @extend_schema(
        request=CitationImportSerializer,
        examples=[
            OpenApiExample(
                "Fetch by PMID and DOI",
                request_only=True,
                value={"identifiers": ["22571201", "10.1056/NEJMoa1114083"]},
            )
        ],
        responses={201: OUTCOMES, 200: OUTCOMES, **IMPORT_ERRORS},
    )
    def post(self, request):
        """Import references as citation change requests (drafts of yours unless ``submit``),
        one per reference; a reference that is already a citation is a revision of it.
        Editors only. 201 when at least one request was made; 200 when every reference is
        already a citation that says the same; 400 when none could be imported."""
        data = validated(CitationImportSerializer, request.data)
        outcomes = import_citations(
            user=request.user,
            raw=data.get("content"),
            label="the request's content",
            fmt=data.get("format"),
            identifiers=data.get("identifiers"),
            submit=data["submit"],
        )
        made = [o.change_request for o in outcomes if o.change_request is not None]
        body = {
            "change_requests": api_serializers.ChangeRequestSerializer(
                made, many=True, context={"request": request}
            ).data,
            "up_to_date": [
                {"where": o.where, "citation": o.up_to_date} for o in outcomes if o.up_to_date
            ],
            "errors": [{"path": o.where, "message": o.error} for o in outcomes if o.error],
        }
        if made:
            return Response(body, status=status.HTTP_201_CREATED)
        if body["errors"]:
            error = {
                "code": "invalid",
                "message": f"none of the {len(outcomes)} references could be imported",
                "errors": body["errors"],
                "fields": [],
            }
            return Response({"error": error}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_200_OK)
