"""Loads the seed evidence through the curation pipeline, then its corrections.

Each record in ``evidence/seed_data`` becomes a change request proposed by the seed editor
and approved by the seed reviewer, so the event log starts with it and it has provenance.
Records that exist already are left alone: a second load adds nothing, and a seed never
overwrites what editors changed since.

The seed files keep the article as it was first encoded. What a later audit found wrong with
that encoding is in ``corrections.json``: an ordered list, each entry a record (type and
slug), a rationale and its changes as ``{path, old, new}`` (the paths of ``evidence.diff``,
as events record them). ``apply_corrections`` proposes and approves each as a revision of
the record's current version, by the same seed accounts:

- an entry whose event is in the log already (its rationale starts ``Seed correction <key>:``)
  is skipped, even if editors changed those fields since: a correction is made once;
- where every field still holds its ``old`` value (or already holds its ``new`` one), the
  change is proposed on top of whatever version the record is at;
- where an editor changed a field to something else meanwhile, nothing is proposed: the
  conflict is reported with the field, the value expected and the value found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from evidence.diff import flatten, unflatten
from evidence.documents import record_types

from . import selectors, services
from .errors import CurationError
from .models import Event
from .permissions import EDITORS, REVIEWERS, ensure_groups

SEED_DIR = Path(__file__).resolve().parent.parent / "evidence" / "seed_data"
SEED_EDITOR = "seed-editor"
SEED_REVIEWER = "seed-reviewer"
RATIONALE = "Initial curation from the source article: {source}"
SOURCE = "“What is maintenance therapy?”, Dr. C.H. Weaver M.D., updated 2/2023 (shared/seed)"
CORRECTIONS_FILE = "corrections.json"
CORRECTION_RATIONALE = "Seed correction {key}: {rationale}"
CORRECTION_COMMENT = "Checked against the source article (seed correction {key})."


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    corrections: CorrectionReport | None = None


def seed_accounts():
    """The two accounts the seed is proposed and approved by; they cannot log in."""
    groups = ensure_groups()
    users = []
    for username, group in ((SEED_EDITOR, EDITORS), (SEED_REVIEWER, REVIEWERS)):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Seed", "last_name": group[:-1]}
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(groups[group])
        users.append(get_user_model().objects.get(pk=user.pk))  # fresh permission cache
    return users


def seed_records(directory: Path = SEED_DIR) -> list[tuple[str, dict]]:
    """(record_type, document) pairs in load order (references before referrers). A file's
    record type is the one whose registry entry names it as its seed data."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    records = []
    for name in manifest["load_order"]:
        data = json.loads((directory / name).read_text(encoding="utf-8"))
        record_type = record_types.REGISTRY.for_seed_file(name).name
        for document in data if isinstance(data, list) else [data]:
            records.append((record_type, document))
    return records


def load_seed(directory: Path = SEED_DIR, *, corrections: bool = True) -> SeedReport:
    """Create the seed records that do not exist yet, then apply the corrections not yet
    applied (also when the records were loaded before, by an older seed)."""
    report = _load_records(directory)
    if corrections:
        report.corrections = apply_corrections(directory)
    return report


@transaction.atomic
def _load_records(directory: Path) -> SeedReport:
    editor, reviewer = seed_accounts()
    report = SeedReport()
    for record_type, document in seed_records(directory):
        label = f"{record_type}:{document['slug']}"
        if selectors.stream_id_for_slug(record_type, document["slug"]):
            report.skipped.append(label)
            continue
        cr = services.propose(
            user=editor,
            record_type=record_type,
            action="create",
            document=document,
            rationale=RATIONALE.format(source=SOURCE),
        )
        services.approve(cr, user=reviewer, comment="Checked against the source article.")
        report.created.append(label)
    return report


# --- Corrections --------------------------------------------------------------------------------

_ABSENT = object()


@dataclass
class Conflict:
    """A correction left out because an editor changed one of its fields meanwhile."""

    key: str
    record: str
    fields: list[dict[str, Any]]  # {path, expected (old), correction (new), found}

    def __str__(self) -> str:
        found = "; ".join(
            f"{f['path']}: expected {_shown(f['expected'])} (or the correction's "
            f"{_shown(f['correction'])}), found {_shown(f['found'])}"
            for f in self.fields
        )
        return f"{self.key} ({self.record}) not applied, changed meanwhile: {found}"


@dataclass
class CorrectionReport:
    applied: list[str] = field(default_factory=list)  # "key -> record vN"
    already_applied: list[str] = field(default_factory=list)  # its event is in the log
    already_so: list[str] = field(default_factory=list)  # the record says so already
    conflicts: list[Conflict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # the record is not live (retracted)
    refused: list[str] = field(default_factory=list)  # the pipeline refused it (with why)


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "…"


def seed_corrections(directory: Path = SEED_DIR) -> list[dict[str, Any]]:
    """The corrections in the order they are applied; none if the file is absent."""
    path = directory / CORRECTIONS_FILE
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["corrections"]


def correction_applied(record_type: str, stream_id, key: str) -> bool:
    """Whether the log holds the correction ``key`` of this record (found by its rationale)."""
    marker = CORRECTION_RATIONALE.format(key=key, rationale="")
    return Event.objects.filter(
        stream_type=record_type, stream_id=stream_id, rationale__startswith=marker
    ).exists()


def corrected_document(
    current: dict[str, Any], changes: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(``current`` with ``changes`` made, None if it holds them already; the conflicts).

    A field still holding its ``old`` value takes its ``new`` one; one holding ``new``
    already is left; any other value is a conflict and nothing is changed."""
    flat = flatten(current)
    conflicts, todo = [], {}
    for change in changes:
        found = flat.get(change["path"], _ABSENT)
        if found == change["new"]:
            continue
        if found == change["old"]:
            todo[change["path"]] = change["new"]
        else:
            conflicts.append(
                {
                    "path": change["path"],
                    "expected": change["old"],
                    "correction": change["new"],
                    "found": found,
                }
            )
    if conflicts:
        return None, conflicts
    if not todo:
        return None, []
    return unflatten({**flat, **todo}), []


def apply_corrections(directory: Path = SEED_DIR) -> CorrectionReport:
    """Propose and approve every correction not yet in the log (see the module's docstring).

    Each correction is its own transaction: one refused or in conflict leaves the others."""
    editor, reviewer = seed_accounts()
    report = CorrectionReport()
    for entry in seed_corrections(directory):
        key, record_type, slug = entry["key"], entry["record_type"], entry["slug"]
        label = f"{record_type}:{slug}"
        live = selectors.live_record(record_type, slug)
        if live is None:
            report.missing.append(f"{key} ({label}): no live record")
            continue
        if correction_applied(record_type, live.id, key):
            report.already_applied.append(key)
            continue
        current = selectors.document_at_version(record_type, live.id, live.version)
        document, conflicts = corrected_document(current, entry["changes"])
        if conflicts:
            report.conflicts.append(Conflict(key, label, conflicts))
            continue
        if document is None:
            report.already_so.append(key)
            continue
        try:
            with transaction.atomic():
                cr = services.propose(
                    user=editor,
                    record_type=record_type,
                    action="revise",
                    record=slug,
                    base_version=live.version,
                    document=document,
                    rationale=CORRECTION_RATIONALE.format(key=key, rationale=entry["rationale"]),
                    citations=entry.get("citations", []),
                )
                event = services.approve(
                    cr, user=reviewer, comment=CORRECTION_COMMENT.format(key=key)
                )
        except CurationError as exc:
            report.refused.append(f"{key} ({label}): {exc}")
            continue
        report.applied.append(f"{key} -> {label} v{event.version}")
    return report
