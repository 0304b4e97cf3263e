"""Checking what callers pass to the services: documents, free text, citations, and the
change request itself (locked for the rest of the transaction)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import orjson

from evidence.documents import (
    DocumentInvalid,
    forbidden_character,
    referenced_slugs,
    validate_document,
)

from .. import selectors
from ..errors import NotFound, ValidationFailed
from ..eventstore.hashing import canonical_json
from ..models import ChangeRequest


def _locked(cr: ChangeRequest | int) -> ChangeRequest:
    pk = cr.pk if isinstance(cr, ChangeRequest) else cr
    try:
        return ChangeRequest.objects.select_for_update().select_related("author").get(pk=pk)
    except ChangeRequest.DoesNotExist:
        raise NotFound(f"no change request {pk}") from None


# Documents validated in this process, by record type and sha256 of their canonical JSON, as
# the JSON of the result (in its own key order) and whether the result's canonical JSON is
# the key's (the document was canonical already): a proposal is validated once per version
# of its document, and approving it (or a batch with it) checks only its references again,
# in one query. Validation is a pure function of the document apart from the references, so
# a hit gives what validating again would give.
_VALIDATED: OrderedDict[tuple[str, str], tuple[bytes, bool]] = OrderedDict()
_VALIDATED_MAX = 4096


def _content_key(record_type: str, document: Any) -> tuple[str, str] | None:
    """The cache key of a document made of JSON values only; None for anything whose JSON
    would not read back as itself (NaN becomes null, a date a string): never cached."""
    try:
        text = canonical_json(document)
    except (TypeError, ValueError):
        return None
    if orjson.loads(text) != document:
        return None
    return record_type, hashlib.sha256(text).hexdigest()


def forget_validated() -> None:
    """Empty this process's cache of validated documents (tests start each from nothing)."""
    _VALIDATED.clear()


def _remember(key: tuple[str, str] | None, canonical: bytes, same: bool) -> None:
    if key is None:
        return
    _VALIDATED[key] = canonical, same
    _VALIDATED.move_to_end(key)
    while len(_VALIDATED) > _VALIDATED_MAX:
        _VALIDATED.popitem(last=False)


def _references(record_type: str, document: Any) -> dict[str, set[str]]:
    """The slugs a (possibly invalid) document refers to; what cannot be read is left to the
    validation, which names it."""
    if not isinstance(document, dict):
        return {}
    try:
        refs = referenced_slugs(record_type, document)
    except (AttributeError, TypeError, KeyError):
        return {}
    return {t: {s for s in slugs if isinstance(s, str)} for t, slugs in refs.items()}


class KnownRecords:
    """Which records exist, read in one query for the slugs asked about up front; a batch
    notes the records it creates and retracts (``note``) so later documents see them as
    the same approvals one by one would. Other slugs are looked up one by one."""

    def __init__(self, wanted: dict[str, set[str]], found: set[tuple[str, str]] | None = None):
        """``found``: the answer of ``selectors.existing_records(wanted)`` when the caller
        read it already (with other reads, in one round trip)."""
        self.asked = {(t, s) for t, slugs in wanted.items() for s in slugs}
        self.found = selectors.existing_records(wanted) if found is None else set(found)

    def exists(self, record_type: str, slug: str) -> bool:
        if (record_type, slug) in self.asked:
            return (record_type, slug) in self.found
        return selectors.record_exists(record_type, slug)

    def note(self, record_type: str, slug: str, *, live: bool) -> None:
        self.asked.add((record_type, slug))
        if live:
            self.found.add((record_type, slug))
        else:
            self.found.discard((record_type, slug))


def _validate(
    record_type: str, document: Any, known: KnownRecords | None = None, remember: bool = True
) -> dict[str, Any]:
    """``document`` validated and made canonical, references checked in one query (or
    against ``known``); ``remember=False`` keeps it out of the cache."""
    key = _content_key(record_type, document) if remember and isinstance(document, dict) else None
    if (hit := _cached(key, known)) is not None:
        return hit[0]
    if known is None:
        known = KnownRecords(_references(record_type, document))
    try:
        canonical = validate_document(record_type, document, exists=known.exists)
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
    if not remember:
        return canonical
    _remember_result(record_type, key, canonical, canonical_json(canonical))
    return canonical


def _remember_result(record_type: str, key, canonical: dict, sorted_json: bytes) -> None:
    """Kept in the validation's own key order (diffs follow it), keyed by the document given
    and by the result (whose canonical JSON is ``sorted_json``)."""
    text = orjson.dumps(canonical)
    own = (record_type, hashlib.sha256(sorted_json).hexdigest())
    _remember(key, text, key == own)
    _remember(own, text, True)


def _cached(
    key: tuple[str, str] | None, known: KnownRecords | None, refs: dict | None = None
) -> tuple[dict, bool] | None:
    """The cached result for ``key`` and whether it is the document given (as canonical
    JSON), if its references still exist; else None. ``refs``: the document's references,
    if the caller has them (a result that is the same JSON has the same)."""
    cached = _VALIDATED.get(key) if key is not None else None
    if cached is None:
        return None
    canonical = orjson.loads(cached[0])
    if refs is None or not cached[1]:
        refs = _references(key[0], canonical)
    known = known or KnownRecords(refs)
    if all(known.exists(t, s) for t, slugs in refs.items() for s in slugs):
        _VALIDATED.move_to_end(key)
        return canonical, cached[1]
    return None  # a reference went away meanwhile: validate again, for the errors naming it


def validate_read(
    record_type: str,
    document: dict,
    sorted_json: bytes,
    known: KnownRecords,
    refs: dict[str, set[str]] | None = None,
) -> tuple[dict[str, Any], bytes]:
    """``_validate(record_type, document, known)`` and the result's canonical JSON, for a
    document decoded from JSON text (JSON values only: its JSON reads back as itself) whose
    canonical JSON the caller has (``sorted_json``): neither is written out again when the
    document was validated before and is canonical already. ``refs``: its references
    (``_references``), if the caller has them."""
    key = (record_type, hashlib.sha256(sorted_json).hexdigest())
    if (hit := _cached(key, known, refs)) is not None:
        canonical, same = hit
        return canonical, sorted_json if same else canonical_json(canonical)
    canonical = _validate(record_type, document, known, remember=False)
    result = canonical_json(canonical)
    _remember_result(record_type, key, canonical, result)
    return canonical, result


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


def _check_citations(citations: Iterable[str], known: KnownRecords | None = None) -> list[str]:
    """The citations, each the slug of a live citation; ``known``: asked instead of a query
    per citation, when the caller read them (with other reads, in one round trip)."""
    citations = list(citations or [])
    exists = known.exists if known is not None else selectors.record_exists
    errors = []
    for i, slug in enumerate(citations):
        # Checked before the lookup: a slug with NUL would fail in the database query.
        if bad := _text_errors(f"citations[{i}]", slug):
            errors += bad
        elif not isinstance(slug, str) or not exists("citation", slug):
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
