"""Writing prepared study imports (``services.prepare_ctgov_study``): one (``write``), or many
at once for an import batch (``write_many``), which writes the same rows in a few statements:
the source documents not stored yet, the change requests with their history (and, when
submitted, their reviews and notifications), and the links between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .. import bulk
from ..models import ChangeRequest, ImportedSource
from ..services.proposals import propose_saved, save_proposals
from . import sources


@dataclass
class ImportResult:
    change_request: ChangeRequest
    warnings: list[dict[str, str]] = field(default_factory=list)
    registry_changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PreparedImport:
    """A study's import checked and built, nothing written yet: the change request (unsaved)
    and its source document."""

    change_request: ChangeRequest
    source: sources.Source
    group_map: dict[str, str]
    warnings: list[dict[str, str]]
    registry_changes: list[dict[str, Any]]
    user: Any
    submit: bool


@transaction.atomic
def write(prepared: PreparedImport) -> ImportResult:
    """Write one prepared import: its source document (once), the change request, the link."""
    source = sources.store_source(prepared.source)
    cr = propose_saved(prepared.change_request, prepared.user, prepared.submit)
    sources.link(cr, source, prepared.group_map, prepared.warnings)
    return ImportResult(cr, prepared.warnings, prepared.registry_changes)


@transaction.atomic
def write_many(prepared: list[PreparedImport]) -> list[ImportResult]:
    """Write prepared imports, all by one user with one ``submit``, as ``write`` writes each."""
    if not prepared:
        return []
    user, submit = prepared[0].user, prepared[0].submit
    if any(p.user != user or p.submit != submit for p in prepared):
        raise ValueError("write_many writes the imports of one user and one submit")
    source_ids = sources.store_many([p.source for p in prepared])
    crs = save_proposals([p.change_request for p in prepared], user, submit)
    bulk.insert(
        ImportedSource,
        [
            ImportedSource(
                change_request=cr,
                source_id=source_ids[p.source.sha256],
                group_map=dict(p.group_map or {}),
                warnings=p.warnings,
            )
            for p, cr in zip(prepared, crs, strict=True)
        ],
    )
    return [
        ImportResult(cr, p.warnings, p.registry_changes)
        for p, cr in zip(prepared, crs, strict=True)
    ]
