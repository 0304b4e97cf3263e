"""Source documents: reading one (size limit, JSON), storing it once by its content, and
finding the last import of a registry record."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction

from .. import bulk
from ..models import ChangeRequest, ImportedSource, SourceDocument
from .errors import NotAStudy, SourceTooLarge


def check_size(raw: bytes, label: str) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if len(raw) > limit:
        raise SourceTooLarge(f"{label} is {len(raw)} bytes, over the limit of {limit} bytes")


def parse_json(raw: bytes | str, label: str) -> Any:
    """The JSON in ``raw``, or ``NotAStudy`` saying where it stops being JSON."""
    check_size(raw.encode() if isinstance(raw, str) else raw, label)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise NotAStudy(
            [{"path": "", "message": f"line {exc.lineno} column {exc.colno}: {exc.msg}"}],
            f"{label} is not JSON",
        ) from None


def canonical(document: Any) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class Source:
    """A source document as it will be stored: its canonical JSON and that JSON's sha256."""

    sha256: str
    content: str
    registry: str
    registry_id: str
    last_updated: str
    fetched_from: str

    @classmethod
    def of(cls, document, *, registry, registry_id, last_updated, origin) -> Source:
        content = canonical(document)
        return cls(
            sha256=hashlib.sha256(content).hexdigest(),
            content=content.decode(),
            registry=registry,
            registry_id=registry_id,
            last_updated=(last_updated or "")[:10],
            fetched_from=origin[:500],
        )

    def row(self) -> SourceDocument:
        return SourceDocument(
            sha256=self.sha256,
            content=self.content,
            size=len(self.content.encode()),
            registry=self.registry,
            registry_id=self.registry_id,
            last_updated=self.last_updated,
            fetched_from=self.fetched_from,
        )


def store(
    document: dict[str, Any],
    *,
    registry: str,
    registry_id: str,
    last_updated: str | None,
    origin: str,
) -> SourceDocument:
    """The stored copy of ``document``: created, or the one already stored with this content."""
    return store_source(
        Source.of(
            document,
            registry=registry,
            registry_id=registry_id,
            last_updated=last_updated,
            origin=origin,
        )
    )


def store_source(source: Source) -> SourceDocument:
    row = source.row()
    stored, _ = SourceDocument.objects.get_or_create(
        sha256=source.sha256,
        defaults={f: getattr(row, f) for f in STORED_FIELDS},
    )
    return stored


STORED_FIELDS = ("registry", "registry_id", "last_updated", "content", "size", "fetched_from")


def store_many(found: list[Source]) -> dict[str, int]:
    """Store each source not stored yet, in one statement; sha256 -> id of every one. The
    content of those already stored is not read back."""
    wanted = {s.sha256: s for s in found}
    ids = dict(SourceDocument.objects.filter(sha256__in=wanted).values_list("sha256", "id"))
    missing = [s.row() for sha, s in wanted.items() if sha not in ids]
    try:
        with transaction.atomic():
            bulk.insert(SourceDocument, missing)
    except IntegrityError:
        # Another worker stored one of them meanwhile: one by one, as a single import would.
        return {sha: store_source(s).pk for sha, s in wanted.items()}
    ids.update((row.sha256, row.pk) for row in missing)
    return ids


def link(cr: ChangeRequest, source: SourceDocument, group_map, warnings) -> ImportedSource:
    return ImportedSource.objects.create(
        change_request=cr, source=source, group_map=dict(group_map or {}), warnings=warnings
    )


def last_approved_import(record_type: str, record_id, registry: str) -> ImportedSource | None:
    """The most recent approved import of the record from ``registry``: what the registry
    said when the record last took it in (a re-import diffs the registry against it)."""
    return (
        ImportedSource.objects.filter(
            change_request__record_type=record_type,
            change_request__record_id=record_id,
            change_request__status=ChangeRequest.Status.APPROVED,
            source__registry=registry,
        )
        .select_related("source", "change_request")
        .order_by("-change_request__decided_at", "-id")
        .first()
    )


def document_of(source: SourceDocument) -> Any:
    return orjson.loads(source.content)
