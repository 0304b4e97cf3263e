"""Read-only representations of published evidence records.

A list item is a record's summary (no document); a record's detail is its full document plus
where it stands in the event log (``version``, ``position``, ``approved_at``). The detail shape
is what a client proposes back: take ``document``, change a field, send it with
``base_version`` = ``version``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from evidence.documents import DOCUMENT_MODELS, RECORD_TYPES, TrialPhase, literal_values
from evidence.models import Citation, Intervention, Topic, Trial

_RECORD_FIELDS = ["record_type", "slug", "id", "version", "position", "approved_at"]


class ResponseModelSerializer(serializers.ModelSerializer):
    """A model's representation in a response: every field is in every body (null where the
    column is null), so every field is read-only, which the schema says as *required*. Model
    defaults (``status``, ``needs_rebase``...) would otherwise make them look optional."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
            field.required = False  # DRF's rule for read-only fields; the schema still lists it
        return fields


class RecordSummarySerializer(ResponseModelSerializer):
    record_type = serializers.ChoiceField(choices=RECORD_TYPES, read_only=True)


class TopicSummarySerializer(RecordSummarySerializer):
    class Meta:
        model = Topic
        fields = [*_RECORD_FIELDS, "title", "condition"]


class InterventionSummarySerializer(RecordSummarySerializer):
    class Meta:
        model = Intervention
        fields = [*_RECORD_FIELDS, "name", "generic_name", "brand_names", "drug_class"]

    brand_names = serializers.ListField(child=serializers.CharField(), read_only=True)


class CitationSummarySerializer(RecordSummarySerializer):
    class Meta:
        model = Citation
        fields = [*_RECORD_FIELDS, "kind", "title", "journal", "year", "doi", "pmid"]


class TrialRegistryIdSerializer(serializers.Serializer):
    registry = serializers.CharField()
    id = serializers.CharField()
    editorial = serializers.BooleanField(
        help_text="The source does not give this id: editors identified the trial."
    )


class TrialSummarySerializer(RecordSummarySerializer):
    registry_ids = TrialRegistryIdSerializer(many=True)
    phases = serializers.ListField(
        child=serializers.ChoiceField(choices=literal_values(TrialPhase))
    )

    class Meta:
        model = Trial
        fields = [*_RECORD_FIELDS, "name", "phases", "setting", "enrollment", "registry_ids"]


SUMMARY_SERIALIZERS: dict[str, type[RecordSummarySerializer]] = {
    "topic": TopicSummarySerializer,
    "intervention": InterventionSummarySerializer,
    "citation": CitationSummarySerializer,
    "trial": TrialSummarySerializer,
}


def _document_field(record_type: str) -> serializers.Field:
    # The document's schema is the pydantic model's own JSON schema (drf-spectacular's pydantic
    # extension turns it into components), so the API docs never drift from validation.
    field_class = type(f"{record_type.capitalize()}DocumentField", (serializers.JSONField,), {})
    extend_schema_field(DOCUMENT_MODELS[record_type])(field_class)
    return field_class(
        allow_null=True, help_text=f"The {record_type} document (null if it was retracted)."
    )


def _detail_serializer(record_type: str) -> type[serializers.Serializer]:
    """The detail representation of one record type (a record at a version)."""
    fields = {
        "record_type": serializers.ChoiceField(choices=RECORD_TYPES),
        "slug": serializers.SlugField(),
        "id": serializers.UUIDField(help_text="The record's stable id (its event stream)."),
        "version": serializers.IntegerField(
            help_text="Send it back as base_version when proposing a change."
        ),
        "position": serializers.IntegerField(
            help_text="Event-log position of the change that made this version."
        ),
        "approved_at": serializers.DateTimeField(),
        "retracted": serializers.BooleanField(),
        "document": _document_field(record_type),
    }
    name = f"{record_type.capitalize()}RecordSerializer"
    return type(name, (serializers.Serializer,), fields)


DETAIL_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    record_type: _detail_serializer(record_type) for record_type in RECORD_TYPES
}


# --- Errors, for the schema: curation.api.exceptions builds them, in this one shape ----------


class ErrorItemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Where: a request field or a path inside the document.")
    message = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable, e.g. version_conflict.")
    message = serializers.CharField(help_text="For people: what went wrong, or why not.")
    errors = ErrorItemSerializer(many=True)
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="Colliding document fields (version conflicts)."
    )
    current_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="The record's version now (conflicts)."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    400: "Bad input: every problem with its path",
    401: "Not logged in",
    403: "Not allowed, with the reason",
    404: "Not found",
    409: "Version conflict (colliding fields) or a state that does not allow the action",
    413: "Request body too large",
    415: "Not JSON",
    429: "Too many requests",
}


def error_responses(*codes: int) -> dict:
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }


# 401: a token that expired or was revoked (anonymous reads need none).
READ_ERRORS = error_responses(400, 401, 404, 429)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 429)
