"""Curation: change requests, their reviews, and the append-only event log."""

import uuid
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from evidence.documents import RECORD_TYPES, schema_version_of, upcast
from evidence.documents.upcasting import upcast_changes

from .request_history import ChangeRequestHistory

RECORD_TYPE_CHOICES = [(t, t) for t in RECORD_TYPES]


class Event(models.Model):
    """One approved change to one record. Never updated, never deleted (database triggers).

    ``position`` is global, gapless and in commit order: appends are serialised (see
    ``curation.eventstore``). ``version`` counts changes per record (stream) and doubles as the
    optimistic-concurrency token. ``hash`` chains each event to the one before it.
    """

    class Type(models.TextChoices):
        CREATED = "created"
        REVISED = "revised"
        RETRACTED = "retracted"

    position = models.BigIntegerField(primary_key=True)
    stream_type = models.CharField(max_length=20, choices=RECORD_TYPE_CHOICES)
    stream_id = models.UUIDField()
    slug = models.SlugField(max_length=100, help_text="The record's slug after this change.")
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=20, choices=Type.choices)
    document = models.JSONField(
        null=True, help_text="Full document after the change (null when retracted)."
    )
    changes = models.JSONField(default=list, help_text="Changed fields: [{path, old, new}].")
    change_request = models.ForeignKey(
        "ChangeRequest", null=True, on_delete=models.PROTECT, related_name="events"
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rationale = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stream_type", "stream_id", "version"], name="event_stream_version_unique"
            ),
            # One change request yields at most one event: approving twice, or a request
            # reopened and approved again, cannot record the same decision twice. Partial
            # (events without a request stay allowed) so SQLite adds it as an index instead of
            # rebuilding the table, which would drop the append-only triggers.
            models.UniqueConstraint(
                fields=["change_request"],
                condition=models.Q(change_request__isnull=False),
                name="event_one_per_change_request",
            ),
        ]
        # A stream's events by version: the unique constraint's index above.
        indexes = [
            models.Index(fields=["recorded_at"], name="event_recorded_at_idx"),
            models.Index(fields=["stream_type", "slug"], name="event_stream_slug_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.stream_type}:{self.slug} v{self.version} {self.type}"

    # ``document`` and ``changes`` are what was recorded (the hash covers them), in the schema
    # version of their day. Readers use these two: the same content in the current version.

    @cached_property
    def upcast_document(self) -> dict[str, Any] | None:
        """The document in the current schema version (``evidence.documents.upcasting``)."""
        return upcast(self.stream_type, self.document)

    @cached_property
    def upcast_changes(self) -> list[dict[str, Any]]:
        """The changes as paths and values of the current schema version."""
        return upcast_changes(self.stream_type, self.changes_schema_version, self.changes)

    @property
    def changes_schema_version(self) -> int:
        """The schema version the changes were diffed in: the document's; a retraction has
        none, but lists the retracted document's leaves, ``schema_version`` among them from
        version 2 on."""
        if self.document is not None:
            return schema_version_of(self.document)
        for change in self.changes:
            if change.get("path") == "schema_version":
                return change.get("old") or 1
        return 1


class ChangeRequest(models.Model):
    """A proposed document for one record, waiting for a second person's decision."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"
        CHANGES_REQUESTED = "changes_requested"
        APPROVED = "approved"
        REJECTED = "rejected"
        WITHDRAWN = "withdrawn"

    class Action(models.TextChoices):
        CREATE = "create"
        REVISE = "revise"
        RETRACT = "retract"

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED)

    record_type = models.CharField(max_length=20, choices=RECORD_TYPE_CHOICES)
    record_id = models.UUIDField(default=uuid.uuid4, help_text="Stream id of the record.")
    record_slug = models.SlugField(max_length=100)
    action = models.CharField(max_length=20, choices=Action.choices)
    base_version = models.PositiveIntegerField(
        help_text="Record version the proposal was made against (0 for a new record)."
    )
    base_document = models.JSONField(null=True, help_text="The record's document at base_version.")
    document = models.JSONField(null=True, help_text="Proposed document (null for a retraction).")
    rationale = models.TextField()
    # The rationale is published in the audit trail; this note is for reviewers only and
    # never leaves curation (no event, no snapshot carries it).
    reviewer_note = models.TextField(
        blank=True, default="", help_text="A note for reviewers only; never published."
    )
    citations = models.JSONField(
        default=list, blank=True, help_text="Slugs of supporting citations."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_requests"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    needs_rebase = models.BooleanField(
        default=False, help_text="The record changed after this request was based on it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The reviewer who has it in review ("in review by ..."): others cannot decide on it
    # without taking it over (curation.services.claims).
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_change_requests",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Read by request id (the admin's History page) and history id alone: the columns requests
    # are looked up by are not indexed in their history, which every step writes a row of.
    # An approval's row leaves the documents out (``request_history``).
    history = ChangeRequestHistory(
        no_db_index=["author", "status", "decided_by", "claimed_by", "record_slug"]
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("propose_change", "Can propose changes to evidence"),
            ("review_change", "Can approve, reject or request changes"),
        ]
        indexes = [
            models.Index(fields=["record_type", "record_id", "status"], name="cr_record_status_idx")
        ]

    def __str__(self) -> str:
        return f"CR-{self.pk} {self.action} {self.record_type}:{self.record_slug}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    # Due dates: a submitted request is due REVIEW_WINDOW_DAYS after it was (last) submitted.
    # ``curation.desk_selectors.overdue_requests`` is the same rule as a query.

    @property
    def due_at(self) -> datetime | None:
        if self.status != self.Status.SUBMITTED or self.submitted_at is None:
            return None
        return self.submitted_at + review_window()

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()

    @property
    def waiting(self) -> timedelta | None:
        """How long it has waited for review since it was (last) submitted."""
        if self.status != self.Status.SUBMITTED or self.submitted_at is None:
            return None
        return timezone.now() - self.submitted_at


def review_window() -> timedelta:
    return timedelta(days=settings.REVIEW_WINDOW_DAYS)


class Review(models.Model):
    """A step in a change request's review: a decision, a transition or a plain comment."""

    class Kind(models.TextChoices):
        COMMENT = "comment"
        SUBMIT = "submit"
        APPROVE = "approve"
        REJECT = "reject"
        REQUEST_CHANGES = "request_changes"
        WITHDRAW = "withdraw"
        REBASE = "rebase"

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="reviews"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.author} on CR-{self.change_request_id}"

    @property
    def narrative_warnings(self) -> list:
        """For an approval: the narrative warnings the reviewer approved despite."""
        try:
            return self.warnings.narrative_warnings
        except ReviewWarnings.DoesNotExist:
            return []


class ReviewWarnings(models.Model):
    """What a reviewer was warned of when deciding, kept with the decision: for an approval,
    the narrative warnings (``curation.narratives``). A table of its own, so the reviews'
    columns (and the triggers that keep them append-only) stay as they are."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="warnings")
    narrative_warnings = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{len(self.narrative_warnings)} warnings on {self.review}"


class SourceDocument(models.Model):
    """A document an import read (a ClinicalTrials.gov study, ...), stored once: its
    ``sha256`` is of ``content``, the document as canonical JSON (sorted keys, no spaces,
    UTF-8), so the same study fetched or uploaded twice is one row. Never changed
    (``curation.imports.sources`` only creates them)."""

    registry = models.CharField(max_length=20, help_text="e.g. NCT (ClinicalTrials.gov).")
    registry_id = models.CharField(max_length=80, db_index=True)
    last_updated = models.CharField(
        max_length=10, blank=True, help_text="The registry's last update, as it gives it."
    )
    sha256 = models.CharField(max_length=64, unique=True)
    content = models.TextField(help_text="The document as canonical JSON.")
    size = models.PositiveIntegerField(help_text="Bytes of the canonical JSON.")
    fetched_from = models.CharField(
        max_length=500, blank=True, help_text="The URL, file name or 'request body' it came from."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.registry} {self.registry_id} ({self.last_updated or 'no date'})"


class ImportedSource(models.Model):
    """Which source document a change request was imported from, with the group mapping and
    the warnings for the reviewer. A table of its own, so the change request's columns (and
    the triggers that guard them) stay as they are."""

    change_request = models.OneToOneField(
        ChangeRequest, on_delete=models.CASCADE, related_name="imported_source"
    )
    source = models.ForeignKey(SourceDocument, on_delete=models.PROTECT, related_name="imports")
    group_map = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"CR-{self.change_request_id} from {self.source}"


class ImportBatch(models.Model):
    """A file of many studies or references imported as one change request per record, by a
    Celery task (``curation.imports.batches``). Its counters are updated in the same
    transaction as each item, so they are the items' counts even after a worker dies."""

    class Kind(models.TextChoices):
        CTGOV = "ctgov", "ClinicalTrials.gov studies"
        CITATIONS = "citations", "References"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    filename = models.CharField(max_length=300)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_batches"
    )
    submit = models.BooleanField(default=False, help_text="Submit each change request at once.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0, help_text="Records in the file.")
    processed = models.PositiveIntegerField(default=0, help_text="Records done (any outcome).")
    made = models.PositiveIntegerField(default=0, help_text="Records that became a change request.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Records already imported, or that change nothing."
    )
    failed = models.PositiveIntegerField(default=0, help_text="Records refused, with a reason.")
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last finished an item (or was asked to)."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.filename}: {self.processed} of {self.total})"


class ImportBatchItem(models.Model):
    """One record of a batch. ``key`` is the record's identity (the sha256 of a study entry's
    canonical JSON, a reference's DOI, PMID or title + year + first author): an item whose key
    already made a change request (in this batch or an earlier one) is skipped, never
    imported twice."""

    class Status(models.TextChoices):
        PENDING = "pending"
        MADE = "made", "change request made"
        SKIPPED = "skipped"
        FAILED = "failed"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    where = models.CharField(max_length=500, help_text="The file and the record in it.")
    key = models.CharField(max_length=600, db_index=True)
    content = models.TextField(
        blank=True, help_text="The record as JSON; emptied once the record is done."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, help_text="Why it failed or was skipped.")
    path = models.CharField(max_length=500, blank=True, help_text="Where in the record.")

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batch_item_position")
        ]
        indexes = [models.Index(fields=["batch", "status"], name="batch_item_status")]

    def __str__(self) -> str:
        return f"{self.where}: {self.status}"


# A request's discussion and the notification outbox live in their own modules; imported here
# so that Django registers them with the app and ``curation.models`` names every model.
from .discussion_models import Comment  # noqa: E402, F401
from .notification_models import Notification, NotificationPreference  # noqa: E402, F401
