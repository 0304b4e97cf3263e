"""Import batches: a file of many studies or references, posted as multipart form data, runs
in a worker (``curation.imports.batches``); its progress is read back by id."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from curation.imports import batches
from curation.imports.citation_formats import FORMATS
from curation.imports.errors import SourceTooLarge
from curation.models import ImportBatch
from evidence.api.serializers import WRITE_ERRORS, ErrorSerializer, error_responses

from .. import serializers as api_serializers
from ..permissions import TakesPartInCuration
from .base import ApiView, validated


class BatchImportSerializer(api_serializers.StrictSerializer):
    file = serializers.FileField(
        help_text="A JSON array or zip of ClinicalTrials.gov v2 studies (kind ctgov; an entry "
        'may be {"study": ..., "group_map": ...}), or a reference file (kind citations).'
    )
    kind = api_serializers.StrictChoiceField(choices=ImportBatch.Kind.choices)
    format = api_serializers.StrictChoiceField(
        choices=FORMATS, required=False, help_text="For references: the format (else guessed)."
    )
    submit = serializers.BooleanField(
        required=False, default=False, help_text="Submit each change request at once."
    )


PROGRESS = inline_serializer(
    "ImportBatchProgress",
    {
        "id": serializers.IntegerField(),
        "kind": serializers.ChoiceField(choices=ImportBatch.Kind.choices),
        "filename": serializers.CharField(),
        "status": serializers.ChoiceField(choices=ImportBatch.Status.choices),
        "total": serializers.IntegerField(),
        "processed": serializers.IntegerField(),
        "made": serializers.IntegerField(),
        "skipped": serializers.IntegerField(),
        "failed": serializers.IntegerField(),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
        "failures": serializers.ListField(child=serializers.DictField()),
        "change_requests": serializers.ListField(child=serializers.IntegerField()),
    },
)


class BatchImportView(ApiView):
    permission_classes = [TakesPartInCuration]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": BatchImportSerializer},
        responses={
            202: PROGRESS,
            413: OpenApiResponse(response=ErrorSerializer, description="The file is too large"),
            **WRITE_ERRORS,
        },
    )
    def post(self, request):
        """Start a batch: one change request per record of the file, made by a worker (drafts
        of yours unless ``submit``). Editors only. 202 with the batch's progress; the same
        file again while its batch is unfinished resumes that batch."""
        upload = request.FILES.get("file")
        if upload is not None and upload.size > settings.IMPORT_BATCH_MAX_BYTES:
            raise SourceTooLarge(
                f"{upload.name} is {upload.size} bytes, over the limit of "
                f"{settings.IMPORT_BATCH_MAX_BYTES} bytes"
            )
        data = validated(BatchImportSerializer, _form(request))
        batch = batches.start_batch(
            user=request.user,
            kind=data["kind"],
            raw=data["file"].read(),
            filename=data["file"].name,
            fmt=data.get("format"),
            submit=data["submit"],
        )
        return Response(batches.progress(batch), status=status.HTTP_202_ACCEPTED)


class BatchProgressView(ApiView):
    permission_classes = [TakesPartInCuration]

    @extend_schema(responses={200: PROGRESS, **error_responses(400, 401, 403, 404, 429)})
    def get(self, request, pk: str):
        """A batch's progress: records done of total, the change requests made, the
        failures with their reasons."""
        return Response(batches.progress(batches.batch(pk)))


def _form(request) -> dict:
    """The form's fields as single values (a QueryDict gives lists to a strict serializer)."""
    data = {key: request.data.get(key) for key in request.data}
    return data
