"""Source documents: reading one (size limit, JSON), storing it once by its content, and
finding the last import of a registry record."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from django.conf import settings

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


def store(
    document: dict[str, Any],
    *,
    registry: str,
    registry_id: str,
    last_updated: str | None,
    origin: str,
) -> SourceDocument:
    """The stored copy of ``document``: created, or the one already stored with this content."""
    content = canonical(document)
    digest = hashlib.sha256(content).hexdigest()
    source, _ = SourceDocument.objects.get_or_create(
        sha256=digest,
        defaults={
            "registry": registry,
            "registry_id": registry_id,
            "last_updated": (last_updated or "")[:10],
            "content": content.decode(),
            "size": len(content),
            "fetched_from": origin[:500],
        },
    )
    return source


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
