"""Named releases: a published snapshot marked "2026-12" with a note, and its release notes.

Rules (each refusal names the field and what is wrong):

- who: active staff with the ``publishing.add_release`` permission (superusers have it);
- name: 1-40 characters, letters, digits, ".", "_" or "-", starting with a letter or digit
  (it is part of URLs); unique: a name in use is refused, never reused;
- note: optional text, at most ``MAX_NOTE_CHARS`` characters, no control characters;
- snapshot: a complete one (default: the latest), newer than the latest release's;
- a release is never changed or deleted (no admin or API path; database triggers).

The notes are generated when the release is made, from the events after the previous
release's position up to the snapshot's: what was added, revised, retracted, by whom
(proposer and approver), why (the rationale), and which fields changed. They are stored with
the release, so they never change, and served as JSON and HTML under
``/published/releases/<name>/`` (``publishing.release_views``); snapshots stay as built.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from curation.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from curation.models import Event
from evidence.diff import labelled_changes
from evidence.documents import forbidden_character

from .models import Release, Snapshot
from .selectors import latest_complete_snapshot

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
MAX_NOTE_CHARS = 5000
KINDS = {
    Event.Type.CREATED: "added",
    Event.Type.REVISED: "revised",
    Event.Type.RETRACTED: "retracted",
}


def can_release(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("publishing.add_release")
    )


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed([{"path": "name", "message": "give the release a name"}])
    name = name.strip()
    if not NAME.fullmatch(name):
        shown = name if len(name) <= 60 else name[:60] + "…"
        raise ValidationFailed(
            [
                {
                    "path": "name",
                    "message": f"{shown!r} is not a release name: 1-40 letters, digits, '.', "
                    "'_' or '-', starting with a letter or digit (such as '2026-12')",
                }
            ]
        )
    if Release.objects.filter(name=name).exists():
        raise ValidationFailed(
            [{"path": "name", "message": f"a release named {name!r} exists already"}]
        )
    return name


def _check_note(note: Any) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationFailed([{"path": "note", "message": "must be a text"}])
    note = note.replace("\r\n", "\n").strip()
    if problem := forbidden_character(note):
        raise ValidationFailed([{"path": "note", "message": problem}])
    if len(note) > MAX_NOTE_CHARS:
        message = f"is {len(note)} characters long; at most {MAX_NOTE_CHARS}"
        raise ValidationFailed([{"path": "note", "message": message}])
    return note


def _check_snapshot(seq: Any, previous: Release | None) -> Snapshot:
    if seq is None:
        snapshot = latest_complete_snapshot()
        if snapshot is None:
            raise ValidationFailed(
                [{"path": "snapshot", "message": "nothing has been published yet"}]
            )
    else:
        snapshot = Snapshot.objects.filter(seq=seq, status=Snapshot.Status.COMPLETE).first()
        if snapshot is None:
            raise ValidationFailed([{"path": "snapshot", "message": f"no complete snapshot {seq}"}])
    if previous is not None and snapshot.position <= previous.position:
        raise ValidationFailed(
            [
                {
                    "path": "snapshot",
                    "message": f"snapshot {snapshot.seq} shows nothing after release "
                    f"{previous.name!r} (snapshot {previous.snapshot.seq}); publish the new "
                    "changes first",
                }
            ]
        )
    return snapshot


def check_release(*, user, name: Any, note: Any = "", snapshot: Any = None):
    """Every rule for a new release, without making it: (name, note, snapshot, previous)."""
    if not can_release(user):
        raise PermissionDenied("only staff with the permission to add releases may mark a release")
    previous = Release.objects.select_related("snapshot").order_by("-position", "-id").first()
    return _check_name(name), _check_note(note), _check_snapshot(snapshot, previous), previous


def _notes(name: str, note: str, snapshot: Snapshot, previous: Release | None, user) -> dict:
    after = previous.position if previous else 0
    events = (
        Event.objects.filter(position__gt=after, position__lte=snapshot.position)
        .select_related("proposer", "approver")
        .order_by("position")
    )
    changes = []
    for event in events:
        fields = labelled_changes(None, event.upcast_document, changes=event.upcast_changes)
        changes.append(
            {
                "position": event.position,
                "kind": KINDS[event.type],
                "record_type": event.stream_type,
                "record": event.slug,
                "version": event.version,
                "proposed_by": event.proposer.get_username(),
                "approved_by": event.approver.get_username(),
                "why": event.rationale,
                "change_request": event.change_request_id,
                "recorded_at": event.recorded_at.isoformat(),
                "fields": [field["label"] for field in fields if field["path"] != "schema_version"],
            }
        )
    counts = {kind: sum(c["kind"] == kind for c in changes) for kind in KINDS.values()}
    return {
        "release": name,
        "note": note,
        "snapshot": snapshot.seq,
        "position": snapshot.position,
        "previous": (
            {"release": previous.name, "snapshot": previous.snapshot.seq, "position": after}
            if previous
            else None
        ),
        "created_by": user.get_username(),
        "counts": counts,
        "changes": changes,
    }


@transaction.atomic
def create_release(*, user, name: Any, note: Any = "", snapshot: Any = None) -> Release:
    """Mark ``snapshot`` (a seq; default the latest) as the release ``name``."""
    name, note, chosen, previous = check_release(user=user, name=name, note=note, snapshot=snapshot)
    release = Release(
        name=name,
        note=note,
        snapshot=chosen,
        position=chosen.position,
        previous=previous,
        notes=_notes(name, note, chosen, previous, user),
        created_by=user,
    )
    try:
        with transaction.atomic():
            release.save()
    except IntegrityError:
        # Two releases made at once: the second meets the unique name, or the first release
        # already follows the same previous one (``previous`` is one-to-one).
        if Release.objects.filter(name=name).exists():
            raise ValidationFailed(
                [{"path": "name", "message": f"a release named {name!r} exists already"}]
            ) from None
        raise InvalidTransition("another release was made meanwhile; try again") from None
    return release


def release_named(name: str) -> Release:
    # The pattern first: a name that cannot be one (a NUL in it) never reaches the database.
    release = (
        Release.objects.select_related("snapshot").filter(name=name).first()
        if NAME.fullmatch(name)
        else None
    )
    if release is None:
        raise NotFound(f"no release named {name[:60]!r}")
    return release


def releases():
    """Every release, newest first."""
    return Release.objects.select_related("snapshot", "created_by").order_by("-position", "-id")
