"""Request and response bodies of the curation API.

Request serializers check only shape and type (strictly: a number is not a string, unknown
keys are refused); every rule about what may be proposed or decided is in
``curation.services``, which the views call.
"""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from curation import selectors, services
from curation.models import ChangeRequest, Event, Review
from curation.narratives import narrative_warnings
from curation.services.batch_approval import MAX_BATCH
from evidence.api.params import WholeNumberField, column_max
from evidence.api.serializers import ResponseModelSerializer
from evidence.diff import labelled_changes
from evidence.documents import DOCUMENT_MODELS, RECORD_TYPES

# --- Strict building blocks -------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, reported together with every other problem."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {key: ["unknown field"] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StrictCharField(serializers.CharField):
    """A JSON string; a number or boolean is an error, not silently turned into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer; "3", 3.0 and true are errors."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


# Any record type's document. Its schema is each pydantic model's JSON schema.
ANY_DOCUMENT_SCHEMA = PolymorphicProxySerializer(
    component_name="RecordDocument",
    serializers=list(DOCUMENT_MODELS.values()),
    resource_type_field_name=None,
)


@extend_schema_field(ANY_DOCUMENT_SCHEMA)
class DocumentField(serializers.JSONField):
    """A record document; validated by the services (with paths inside the document)."""


# --- Requests ---------------------------------------------------------------------------------

MAX_TEXT = 20_000


def base_version_field(help_text: str) -> StrictIntegerField:
    """An optional record version, as a change request's ``base_version`` column holds it."""
    return StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=column_max(ChangeRequest, "base_version"),
        help_text=help_text,
    )


class ChangeRequestCreateSerializer(StrictSerializer):
    record_type = StrictChoiceField(choices=RECORD_TYPES)
    record = StrictCharField(
        required=False,
        allow_null=True,
        max_length=100,
        help_text="Slug of the record to revise or retract; leave it out for a new record.",
    )
    action = StrictChoiceField(choices=ChangeRequest.Action.choices)
    base_version = base_version_field(
        "The record version the proposal was made against (its `version`)."
    )
    document = DocumentField(
        required=False,
        allow_null=True,
        help_text="The whole proposed document (leave it out for a retraction).",
    )
    rationale = StrictCharField(
        max_length=MAX_TEXT,
        help_text="Why the change is needed. Published in the audit trail once approved.",
    )
    reviewer_note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        help_text="A note for reviewers only; never published.",
    )
    citations = serializers.ListField(
        child=StrictCharField(max_length=100),
        required=False,
        max_length=200,
        help_text="Slugs of citations supporting the change.",
    )
    draft = StrictBooleanField(
        required=False, default=False, help_text="Keep it as a draft instead of submitting it."
    )


class ChangeRequestUpdateSerializer(StrictSerializer):
    document = DocumentField(required=False)
    rationale = StrictCharField(required=False, max_length=MAX_TEXT)
    reviewer_note = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    citations = serializers.ListField(
        child=StrictCharField(max_length=100), required=False, max_length=200
    )
    base_version = base_version_field(
        "The `base_version` of the request as you read it: if the request was rebased since "
        "(it is then based on another version), the edit is refused with a 409 "
        "(version_conflict) instead of overwriting the rebased proposal."
    )

    def validate(self, attrs):
        # base_version only guards an edit; on its own it changes nothing.
        if not attrs.keys() - {"base_version"}:
            raise serializers.ValidationError(
                "give document, rationale, reviewer_note or citations to change"
            )
        return attrs


class TransitionSerializer(StrictSerializer):
    comment = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        help_text="Required to reject or request changes.",
    )


class ApproveBatchSerializer(StrictSerializer):
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=column_max(ChangeRequest, "id")),
        allow_empty=False,
        max_length=MAX_BATCH,
        help_text="The change requests to approve, in the order their events are appended.",
    )
    comment = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT)


class ApprovedBatchSerializer(serializers.Serializer):
    approved = serializers.ListField(
        child=serializers.IntegerField(), help_text="The change requests approved, in order."
    )
    positions = serializers.ListField(
        child=serializers.IntegerField(), help_text="Their events' positions in the log."
    )


# --- Responses --------------------------------------------------------------------------------


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="username", read_only=True, **kwargs)


class ChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Field path inside the document.")
    label = serializers.CharField(help_text="The path in words, with item labels.")
    old = serializers.JSONField(help_text="Value before (null when added).")
    new = serializers.JSONField(help_text="Value after (null when removed).")


class EventSerializer(ResponseModelSerializer):
    """One approved change, as the changes feed and a record's history give it."""

    record_type = serializers.ChoiceField(choices=RECORD_TYPES, source="stream_type")
    record = serializers.CharField(source="slug", help_text="The record's slug.")
    record_id = serializers.UUIDField(source="stream_id")
    changed_fields = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()
    proposer = UsernameField()
    approver = UsernameField()

    class Meta:
        model = Event
        fields = [
            "position",
            "record_type",
            "record",
            "record_id",
            "version",
            "type",
            "changed_fields",
            "changes",
            "change_request",
            "proposer",
            "approver",
            "rationale",
            "recorded_at",
            "hash",
            "prev_hash",
        ]

    def get_changed_fields(self, event) -> list[str]:
        return [change["path"] for change in selectors.event_labelled_changes(event)]

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, event) -> list[dict]:
        return selectors.event_labelled_changes(event)


class EventFeedSerializer(serializers.Serializer):
    after = serializers.IntegerField(help_text="The position asked after.")
    limit = serializers.IntegerField(help_text="The page size used (after capping).")
    next_after = serializers.IntegerField(
        help_text="Store this and ask with ?after= next time: the last position returned."
    )
    last_position = serializers.IntegerField(help_text="The newest position in the log.")
    has_more = serializers.BooleanField()
    results = EventSerializer(many=True)


class EventFeedQuerySerializer(serializers.Serializer):
    after = WholeNumberField(
        required=False,
        default=0,
        max_value=column_max(Event, "position"),
        help_text="Return events after this position.",
    )
    limit = WholeNumberField(
        required=False,
        default=100,
        min_value=1,
        help_text="How many events at most (values above 1000 are capped at 1000).",
    )


class HistorySerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=RECORD_TYPES)
    slug = serializers.CharField()
    versions = EventSerializer(many=True)


class NarrativeWarningSerializer(serializers.Serializer):
    record = serializers.CharField(help_text="The record whose prose it is: `topic:<slug>`.")
    path = serializers.CharField(help_text="The prose field inside that record's document.")
    sentence = serializers.CharField(help_text="The sentence that quotes the old number.")
    old = serializers.FloatField(help_text="The number as it was (the prose still says it).")
    new = serializers.FloatField(help_text="The number the request changes it to.")


class ReviewSerializer(ResponseModelSerializer):
    author = UsernameField()
    narrative_warnings = NarrativeWarningSerializer(
        many=True, help_text="For an approval: the warnings the reviewer approved despite."
    )

    class Meta:
        model = Review
        fields = ["kind", "author", "comment", "created_at", "narrative_warnings"]


class ChangeRequestSerializer(ResponseModelSerializer):
    record = serializers.CharField(source="record_slug", help_text="The record's slug.")
    citations = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of supporting citations."
    )
    author = UsernameField()
    decided_by = UsernameField(allow_null=True)
    claimed_by = UsernameField(allow_null=True, help_text="The reviewer who has it in review.")
    due_at = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="Submitted: when its review is due."
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    waiting_seconds = serializers.SerializerMethodField(
        help_text="Submitted: seconds since it was (last) submitted."
    )
    unresolved_comments = serializers.IntegerField(
        help_text="Threads of its discussion not resolved yet."
    )

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "record_type",
            "record",
            "record_id",
            "action",
            "status",
            "base_version",
            "needs_rebase",
            "rationale",
            "reviewer_note",
            "citations",
            "author",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
            "decided_by",
            "claimed_by",
            "claimed_at",
            "due_at",
            "overdue",
            "waiting_seconds",
            "unresolved_comments",
        ]

    def get_waiting_seconds(self, cr) -> int | None:
        waiting = cr.waiting
        return int(waiting.total_seconds()) if waiting is not None else None


class ApprovedEventSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    version = serializers.IntegerField()


class ChangeRequestDetailSerializer(ChangeRequestSerializer):
    """A change request with what it changes, its review thread and what you may do next.

    Needs ``context["current"]``: the record's live (version, document), or (None, None).
    """

    document = DocumentField(allow_null=True, read_only=True)
    current_version = serializers.SerializerMethodField()
    diff_against = serializers.SerializerMethodField()
    diff = serializers.SerializerMethodField()
    reviews = ReviewSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    event = serializers.SerializerMethodField()
    narrative_warnings = serializers.SerializerMethodField()

    class Meta(ChangeRequestSerializer.Meta):
        fields = [
            *ChangeRequestSerializer.Meta.fields,
            "document",
            "current_version",
            "diff_against",
            "diff",
            "reviews",
            "allowed_actions",
            "event",
            "narrative_warnings",
        ]

    def get_current_version(self, cr) -> int | None:
        return self.context["current"][0]

    def get_diff_against(self, cr) -> str:
        """An open request is compared with the record as it is now; a closed one with its base."""
        return "current" if cr.is_open else "base"

    @extend_schema_field(ChangeSerializer(many=True))
    def get_diff(self, cr) -> list[dict]:
        before = self.context["current"][1] if cr.is_open else cr.base_document
        return labelled_changes(before, cr.document)

    def get_allowed_actions(self, cr) -> list[str]:
        """What the requesting user may do now: action URL names, and "edit" for PATCH."""
        actions = services.allowed_actions(cr, self.context["request"].user)
        return [services.ACTIONS[action].route for action in actions]

    @extend_schema_field(NarrativeWarningSerializer(many=True))
    def get_narrative_warnings(self, cr) -> list[dict]:
        """Prose of the record, and of the topics that show it, still quoting a number this
        request changes: now for an open request, as recorded for an approved one."""
        if cr.is_open:
            return narrative_warnings(cr)
        approvals = [r for r in cr.reviews.all() if r.kind == Review.Kind.APPROVE]
        return approvals[-1].narrative_warnings if approvals else []

    @extend_schema_field(ApprovedEventSerializer(allow_null=True))
    def get_event(self, cr) -> dict | None:
        event = cr.events.order_by("position").only("position", "version").first()
        return {"position": event.position, "version": event.version} if event else None
