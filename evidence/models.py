"""Read models: the current evidence, projected from the event log.

Rows here are written only by ``curation.projection``; every record keeps its full canonical
document (what the API returns and what a change request proposes back) beside the columns
that queries, filters and pages need. Item tables (arms, outcomes, values, comparisons,
findings) are keyed by the record and the item's stable ``key``.
"""

from collections.abc import Mapping

from django.db import models
from simple_history.models import HistoricalRecords

from .documents import record_types

# Column sizes come from the document limits, so whatever validates can be projected.
from .documents.limits import (
    DOI_MAX_LENGTH,
    KEY_MAX_LENGTH,
    PHASES_TEXT_MAX_LENGTH,
    REGISTRY_IDS_TEXT_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    SLUG_MAX_LENGTH,
)


class Record(models.Model):
    """Columns every record type shares. ``id`` is the event stream id."""

    id = models.UUIDField(primary_key=True)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    version = models.PositiveIntegerField(help_text="Version of the last approved change.")
    position = models.BigIntegerField(help_text="Event position of the last approved change.")
    document = models.JSONField()
    approved_at = models.DateTimeField()

    record_type: str = ""

    class Meta:
        abstract = True
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


# simple-history: each projection update is an audit entry, with the approver as history user
# and the change request as change reason (set by the projection). Item rows (arms, outcomes,
# ...) carry no history of their own: the record's historical row holds the full document.
#
# A record's history is read by record id alone (the admin's History page: its own index) and
# by history id: the columns the records are looked up by (the slug, the trial's phases, setting
# and registry ids) are not indexed there, where every approval would write their entries for
# nothing (the date is not either: SIMPLE_HISTORY_DATE_INDEX).
UNINDEXED_IN_HISTORY = ["slug"]


class Topic(Record):
    record_type = "topic"
    title = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    condition = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    history = HistoricalRecords(no_db_index=UNINDEXED_IN_HISTORY)

    class Meta(Record.Meta):
        pass


class Intervention(Record):
    record_type = "intervention"
    name = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    generic_name = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    brand_names = models.JSONField(default=list)
    drug_class = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True)
    history = HistoricalRecords(no_db_index=UNINDEXED_IN_HISTORY)

    class Meta(Record.Meta):
        pass


class Citation(Record):
    record_type = "citation"
    kind = models.CharField(max_length=40)
    title = models.TextField()
    journal = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True)
    year = models.PositiveIntegerField(null=True)
    doi = models.CharField(max_length=DOI_MAX_LENGTH, blank=True)
    pmid = models.CharField(max_length=20, blank=True)
    history = HistoricalRecords(no_db_index=UNINDEXED_IN_HISTORY)

    class Meta(Record.Meta):
        pass


class Trial(Record):
    record_type = "trial"
    name = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    phases = models.JSONField(default=list)
    phases_text = models.CharField(
        max_length=PHASES_TEXT_MAX_LENGTH,
        blank=True,
        db_index=True,
        help_text='The phases, each between spaces (" 2 3 "), for lookups.',
    )
    setting = models.CharField(max_length=60, blank=True, db_index=True)
    enrollment = models.PositiveIntegerField(null=True)
    registry_ids = models.JSONField(default=list)
    registry_ids_text = models.CharField(
        max_length=REGISTRY_IDS_TEXT_MAX_LENGTH,
        blank=True,
        db_index=True,
        help_text="Registry ids, space separated, for lookups.",
    )
    interventions = models.ManyToManyField(Intervention, related_name="trials", blank=True)
    citations = models.ManyToManyField(Citation, related_name="trials", blank=True)
    history = HistoricalRecords(
        no_db_index=[*UNINDEXED_IN_HISTORY, "phases_text", "setting", "registry_ids_text"]
    )

    class Meta(Record.Meta):
        pass


class TopicTrial(models.Model):
    """A trial discussed in a topic section, in the section's order."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="topic_trials")
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="topic_trials")
    section_key = models.CharField(max_length=KEY_MAX_LENGTH)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["topic", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "section_key", "trial"], name="topic_trial_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.section_key}: {self.trial_id}"


class Arm(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arms")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    order = models.PositiveIntegerField()
    label = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    role = models.CharField(max_length=40)
    n = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["trial", "order"]
        constraints = [models.UniqueConstraint(fields=["trial", "key"], name="arm_key_unique")]

    def __str__(self) -> str:
        return self.label


class Outcome(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="outcomes")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    order = models.PositiveIntegerField()
    title = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH)
    endpoint = models.CharField(max_length=40, blank=True, db_index=True)
    type = models.CharField(max_length=20, blank=True)
    measure = models.CharField(max_length=40)
    unit = models.CharField(max_length=20)
    dispersion = models.CharField(max_length=40, blank=True)
    timepoint_value = models.FloatField(null=True)
    timepoint_unit = models.CharField(max_length=10, blank=True)
    subgroup = models.CharField(max_length=SHORT_TEXT_MAX_LENGTH, blank=True)
    treatment_phase = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["trial", "order"]
        constraints = [models.UniqueConstraint(fields=["trial", "key"], name="outcome_key_unique")]

    def __str__(self) -> str:
        return self.title


class OutcomeValue(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="values")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="values")
    value = models.FloatField(null=True)
    missing = models.CharField(max_length=40, blank=True, help_text="Why there is no value.")
    qualifier = models.CharField(max_length=20, blank=True)
    spread = models.FloatField(null=True, help_text="SD or SE.")
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outcome", "arm"], name="outcome_value_unique"),
            models.CheckConstraint(
                condition=~(~models.Q(missing="") & models.Q(value__isnull=False)),
                name="outcome_value_or_missing",
            ),
        ]

    def __str__(self) -> str:
        return self.missing.replace("_", " ") if self.missing else f"{self.value}"


class Comparison(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="comparisons")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    kind = models.CharField(max_length=40)
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="+")
    reference_arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="+")
    estimate = models.FloatField(null=True)
    unit = models.CharField(max_length=20, blank=True)
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    p_value_comparator = models.CharField(max_length=2, blank=True)
    significant = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outcome", "key"], name="comparison_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.estimate}"


class Finding(models.Model):
    """A curated statement, belonging to a trial or to a topic."""

    trial = models.ForeignKey(Trial, null=True, on_delete=models.CASCADE, related_name="findings")
    topic = models.ForeignKey(Topic, null=True, on_delete=models.CASCADE, related_name="findings")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    order = models.PositiveIntegerField()
    kind = models.CharField(max_length=40, db_index=True)
    statement = models.TextField()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(trial__isnull=True) ^ models.Q(topic__isnull=True),
                name="finding_has_one_owner",
            ),
            models.UniqueConstraint(fields=["trial", "key"], name="trial_finding_key_unique"),
            models.UniqueConstraint(fields=["topic", "key"], name="topic_finding_key_unique"),
        ]

    def __str__(self) -> str:
        return self.statement[:80]


# record type -> read model, from the record-type registry (``evidence.documents.record_types``,
# where each type names its read model).
RECORD_MODELS: Mapping[str, type[Record]] = record_types.by_type(lambda entry: entry.model)
