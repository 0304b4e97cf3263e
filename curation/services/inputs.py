"""Checking what callers pass to the services: documents, free text, citations, and the
change request itself (locked for the rest of the transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evidence.documents import DocumentInvalid, forbidden_character, validate_document

from .. import selectors
from ..errors import NotFound, ValidationFailed
from ..models import ChangeRequest


def _locked(cr: ChangeRequest | int) -> ChangeRequest:
    pk = cr.pk if isinstance(cr, ChangeRequest) else cr
    try:
        return ChangeRequest.objects.select_for_update().select_related("author").get(pk=pk)
    except ChangeRequest.DoesNotExist:
        raise NotFound(f"no change request {pk}") from None


def _validate(record_type: str, document: Any) -> dict[str, Any]:
    try:
        return validate_document(record_type, document, exists=selectors.record_exists)
    except DocumentInvalid as exc:
        raise ValidationFailed(
            [
                {
                    "path": f"document.{e['path']}" if e["path"] else "document",
                    "message": e["message"],
                }
                for e in exc.errors
            ]
        ) from None


def document_errors(record_type: str, document: Any) -> list[dict[str, str]]:
    """What the validator says of a proposed document ({path, message}, paths under
    ``document.``), without proposing it: a form shows these beside its own errors, so an
    editor fixes everything in one round."""
    try:
        _validate(record_type, document)
    except ValidationFailed as exc:
        return list(exc.errors)
    return []


def _text_errors(path: str, text: Any) -> list[dict[str, str]]:
    """A free text or slug holding NUL or another control character: PostgreSQL cannot
    store NUL (a 500 instead of a 400), and the others are invisible to the reviewer."""
    problem = forbidden_character(text) if isinstance(text, str) else None
    return [{"path": path, "message": problem}] if problem else []


def _plain_text(path: str, text: Any) -> Any:
    """``text`` with browser line endings (CRLF) made LF, refused if it holds a forbidden
    character; anything not a string is left to the caller's own check."""
    if isinstance(text, str):
        text = text.replace("\r\n", "\n")
        if errors := _text_errors(path, text):
            raise ValidationFailed(errors)
    return text


def _check_citations(citations: Iterable[str]) -> list[str]:
    citations = list(citations or [])
    errors = []
    for i, slug in enumerate(citations):
        # Checked before the lookup: a slug with NUL would fail in the database query.
        if bad := _text_errors(f"citations[{i}]", slug):
            errors += bad
        elif not isinstance(slug, str) or not selectors.record_exists("citation", slug):
            errors.append({"path": f"citations[{i}]", "message": f"no citation with slug {slug!r}"})
    if errors:
        raise ValidationFailed(errors)
    return citations


def _require_rationale(rationale: Any) -> str:
    rationale = _plain_text("rationale", rationale)
    if not isinstance(rationale, str) or not rationale.strip():
        raise ValidationFailed([{"path": "rationale", "message": "say why this change is needed"}])
    return rationale.strip()


def _reviewer_note(note: Any) -> str:
    """The note for reviewers only (may be empty): plain text, never published."""
    note = _plain_text("reviewer_note", note)
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationFailed([{"path": "reviewer_note", "message": "must be text"}])
    return note.strip()


def _comment(comment: Any) -> str:
    return (_plain_text("comment", comment) or "").strip()
