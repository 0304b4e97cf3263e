"""Published snapshots and the lease that keeps publishing single-flight on SQLite."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Snapshot(models.Model):
    """One build of the published evidence at one event position.

    A complete snapshot is its manifest (``SNAPSHOT_ROOT/<seq>/manifest.json``, or with
    SNAPSHOT_STORAGE in a Django storage) naming content-addressed objects shared with other
    snapshots (see ``publishing.storage``); neither ever changes. Building and failed rows
    are kept so operators can see progress and errors in the admin.
    """

    class Status(models.TextChoices):
        BUILDING = "building"
        COMPLETE = "complete"
        FAILED = "failed"

    seq = models.PositiveIntegerField(unique=True, help_text="Snapshot number, 1, 2, ...")
    position = models.BigIntegerField(help_text="Event position the snapshot shows the state at.")
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The complete snapshot this one's changelog is measured against.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.BUILDING, db_index=True
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    files_rendered = models.PositiveIntegerField(
        default=0, help_text="Files written anew (the rest were reused from the previous one)."
    )
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid that built it.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-seq"]
        get_latest_by = "seq"

    def __str__(self) -> str:
        return f"snapshot {self.seq} @ {self.position} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == self.Status.COMPLETE else 0
        return int(100 * self.progress_done / self.progress_total)


class PublishLease(models.Model):
    """Who holds the publishing lock, where the database has no advisory locks (SQLite).

    PostgreSQL uses ``pg_try_advisory_lock`` instead (released by the server when the holder's
    connection dies). Here a holder renews ``expires_at`` while it works; a lease whose holder
    died is taken over once it expires, or at once when the holder was a process on this host
    that no longer exists.
    """

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class Release(models.Model):
    """A published snapshot marked as a named release ("2026-12"), with its release notes.

    Never changed nor deleted (no admin or API path does; database triggers refuse UPDATE and
    DELETE, see ``migrations/_release_triggers.py``). ``notes`` is generated once, when the
    release is made (``publishing.releases``): the events after the previous release's
    position up to this one's, so they read the same forever, like the snapshot.
    """

    name = models.CharField(max_length=40, unique=True)
    note = models.TextField(blank=True)
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="releases")
    position = models.BigIntegerField(help_text="The snapshot's event position.")
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next"
    )
    notes = models.JSONField(help_text="What changed since the previous release.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-position", "-id"]

    def __str__(self) -> str:
        return f"release {self.name} (snapshot {self.snapshot.seq})"
