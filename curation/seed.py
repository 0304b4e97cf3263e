"""Loads the seed evidence through the curation pipeline.

Each record in ``evidence/seed_data`` becomes a change request proposed by the seed editor
and approved by the seed reviewer, so the event log starts with it and it has provenance.
Records that exist already are left alone: a second load adds nothing, and a seed never
overwrites what editors changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from evidence.documents import record_types

from . import selectors, services
from .permissions import EDITORS, REVIEWERS, ensure_groups

SEED_DIR = Path(__file__).resolve().parent.parent / "evidence" / "seed_data"
SEED_EDITOR = "seed-editor"
SEED_REVIEWER = "seed-reviewer"
RATIONALE = "Initial curation from the source article: {source}"
SOURCE = "“What is maintenance therapy?”, Dr. C.H. Weaver M.D., updated 2/2023 (shared/seed)"


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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


@transaction.atomic
def load_seed(directory: Path = SEED_DIR) -> SeedReport:
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
