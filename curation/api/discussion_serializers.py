"""The API's serializers of a change request's discussion: a comment or reply to add, and
the threads shown (``/api/v1/change-requests/<id>/comments/``)."""

from __future__ import annotations

from rest_framework import serializers

from curation.models import Comment
from evidence.api.serializers import ResponseModelSerializer

from .serializers import (
    MAX_TEXT,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
    UsernameField,
)


class CommentSerializer(StrictSerializer):
    comment = StrictCharField(max_length=MAX_TEXT)
    path = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        help_text="A field of the request's diff, as its `diff` lists it "
        "(`outcomes[key=pfs].values[arm=len].value`), or an item of it (`arms[key=len]`); "
        "absent: the request as a whole. A reply takes its thread's field.",
    )
    parent = StrictIntegerField(
        required=False, min_value=1, help_text="Reply to this comment (a thread's first)."
    )


class ReplySerializer(ResponseModelSerializer):
    author = UsernameField()
    comment = serializers.CharField(source="text")

    class Meta:
        model = Comment
        fields = ["id", "author", "comment", "created_at"]


class DiscussionCommentSerializer(ResponseModelSerializer):
    """A thread of the discussion: its first comment, with its replies."""

    author = UsernameField()
    comment = serializers.CharField(source="text")
    path = serializers.CharField(help_text="The diff's field it is about; empty: the request.")
    resolved = serializers.BooleanField()
    resolved_by = UsernameField(allow_null=True)
    replies = ReplySerializer(many=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "author",
            "comment",
            "path",
            "created_at",
            "resolved",
            "resolved_at",
            "resolved_by",
            "replies",
        ]
