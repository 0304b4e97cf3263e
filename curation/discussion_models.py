"""A change request's discussion (``curation.services.discussion``): a model of the curation
app, kept apart from the workflow's."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .models import ChangeRequest


class Comment(models.Model):
    """One message in a change request's discussion (``curation.services.discussion``).

    ``path`` anchors it to one row of the request's diff (``evidence.diff`` paths, such as
    ``outcomes[key=pfs].values[arm=len].value``, or an item of it such as ``arms[key=len]``);
    empty, it is about the request as a whole. A reply has a ``parent`` (one level: a reply
    is never answered on its own) and takes its parent's anchor. Only the top comment of a
    thread is resolved or reopened; the text itself is never edited.
    """

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    path = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["change_request", "resolved_at"], name="comment_cr_resolved_idx")
        ]

    def __str__(self) -> str:
        where = f" on {self.path}" if self.path else ""
        return f"comment {self.pk} by {self.author} on CR-{self.change_request_id}{where}"

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None
