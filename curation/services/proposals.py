"""Proposing: opening a change request, and the author's edits before it is decided."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from evidence.documents import record_types
from evidence.models import RECORD_MODELS

from .. import bulk, selectors
from ..errors import NotFound, ValidationFailed, VersionConflict
from ..models import ChangeRequest, Review
from ..roundtrip import Together, raw_instances, select_rows
from . import opening, workflow
from .inputs import (
    KnownRecords,
    _check_citations,
    _locked,
    _references,
    _require_rationale,
    _reviewer_note,
    _text_errors,
    _validate,
)
from .policy import propose_refusal
from .transitions import announce, submit

Status = ChangeRequest.Status
Action = ChangeRequest.Action


@transaction.atomic
def propose(
    *,
    user,
    record_type: str,
    action: str,
    document: dict[str, Any] | None = None,
    record: str | None = None,
    base_version: int | None = None,
    rationale: str,
    citations: Iterable[str] = (),
    submit: bool = True,
    reviewer_note: str = "",
) -> ChangeRequest:
    """Open a change request. Only Editors propose; nothing about the record changes yet."""
    cr = proposal(
        user=user,
        record_type=record_type,
        action=action,
        document=document,
        record=record,
        base_version=base_version,
        rationale=rationale,
        citations=citations,
        submit=submit,
        reviewer_note=reviewer_note,
    )
    return _save(cr, user, submit)


@transaction.atomic
def propose_saved(cr: ChangeRequest, user, submit: bool) -> ChangeRequest:
    """Save a change request ``proposal`` built: with, when submitted, the review that says
    so and the reviewers' notification."""
    return _save(cr, user, submit)


def _save(cr: ChangeRequest, user, submit: bool) -> ChangeRequest:
    """``propose_saved`` inside the caller's transaction (``propose`` has one already: a
    nested one would cost a savepoint's two round trips)."""
    if opening.by_script():
        recipients = opening.insert_proposal(cr, user, submit)
    else:
        cr.save()
        recipients = None
        if submit:
            Review.objects.create(change_request=cr, author=user, kind=Review.Kind.SUBMIT)
    if submit:
        announce(cr, user, "submit", recipients=recipients)
    return cr


def proposal(
    *,
    user,
    record_type: str,
    action: str,
    document: dict[str, Any] | None = None,
    record: str | None = None,
    base_version: int | None = None,
    rationale: str,
    citations: Iterable[str] = (),
    submit: bool = True,
    reviewer_note: str = "",
    remember: bool = True,
    slug_taken: Callable[[str, str], bool] | None = None,
) -> ChangeRequest:
    """The change request ``propose`` opens, checked as it checks it, not yet saved: a caller
    that opens many at once (an import batch) saves them together (``save_proposals``).
    ``remember=False``: the validated document is not kept in this process's cache (a batch
    worker would only fill it). ``slug_taken``: whether a slug is or was a record's, as a
    caller read it for many proposals at once (by default, read here)."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    errors = []
    if not isinstance(record_type, str) or record_type not in record_types.REGISTRY:
        names = ", ".join(record_types.names())
        errors.append({"path": "record_type", "message": f"must be one of {names}"})
    if action not in Action.values:
        errors.append({"path": "action", "message": f"must be one of {', '.join(Action.values)}"})
    if base_version is not None and (
        isinstance(base_version, bool) or not isinstance(base_version, int) or base_version < 0
    ):
        errors.append({"path": "base_version", "message": "must be a whole number, 0 or more"})
    errors += _text_errors("record", record)
    if errors:
        raise ValidationFailed(errors)
    rationale = _require_rationale(rationale)
    reviewer_note = _reviewer_note(reviewer_note)
    citations = list(citations or [])
    read = _read_together(record_type, action, record, document, citations)
    citations = _check_citations(citations, read.known)

    if action == Action.CREATE:
        if record:
            raise ValidationFailed(
                [{"path": "record", "message": "a new record has no slug yet; leave it out"}]
            )
        if base_version not in (None, 0):
            raise ValidationFailed(
                [{"path": "base_version", "message": "a new record is based on version 0"}]
            )
        canonical = _validate(record_type, document, read.known, remember=remember)
        slug = canonical["slug"]
        taken = slug_taken or selectors.stream_id_for_slug
        if taken(record_type, slug):
            raise ValidationFailed(
                [
                    {
                        "path": "document.slug",
                        "message": f"a {record_type} with slug {slug!r} already exists",
                    }
                ]
            )
        cr = ChangeRequest(
            record_type=record_type,
            record_slug=slug,
            base_version=0,
            base_document=None,
            document=canonical,
        )
    else:
        if not record:
            raise ValidationFailed([{"path": "record", "message": "name the record (its slug)"}])
        live = read.live if read.read_live else selectors.live_record(record_type, record)
        if live is None:
            raise NotFound(f"no {record_type} with slug {record!r}")
        if base_version is None:
            raise ValidationFailed(
                [{"path": "base_version", "message": "say which version the proposal is based on"}]
            )
        if base_version > live.version or base_version < 1:
            raise ValidationFailed(
                [
                    {
                        "path": "base_version",
                        "message": f"{record_type} {record!r} has versions 1 to {live.version}",
                    }
                ]
            )
        # The live record holds its current version's document (projected from its last
        # event, upcast): an older base is read from the log.
        base_document = (
            live.document
            if base_version == live.version
            else selectors.document_at_version(record_type, live.id, base_version)
        )
        if action == Action.RETRACT:
            if document is not None:
                raise ValidationFailed(
                    [
                        {
                            "path": "document",
                            "message": "a retraction proposes no document; leave it out",
                        }
                    ]
                )
            canonical = None
        else:
            canonical = _validate(record_type, document, read.known, remember=remember)
            if canonical["slug"] != record:
                raise ValidationFailed(
                    [
                        {
                            "path": "document.slug",
                            "message": "a record's slug cannot change; propose a new record",
                        }
                    ]
                )
            if canonical == base_document:
                raise ValidationFailed(
                    [{"path": "document", "message": "the proposal changes nothing"}]
                )
        cr = ChangeRequest(
            record_type=record_type,
            record_id=live.id,
            record_slug=record,
            base_version=base_version,
            base_document=base_document,
            document=canonical,
            # Made against an older version: it must be rebased (or merged at approval)
            # before it can go in, and the reviewer's queue says so from the start.
            needs_rebase=base_version != live.version,
        )
    cr.action = action
    cr.rationale = rationale
    cr.reviewer_note = reviewer_note
    cr.citations = citations
    cr.author = user
    cr.status = Status.SUBMITTED if submit else Status.DRAFT
    cr.submitted_at = timezone.now() if submit else None
    cr._history_user = user
    return cr


@dataclass(frozen=True)
class _Read:
    """What ``proposal`` reads, read before its checks: which of the records the document
    and the citations name exist (``known``) and, when ``read_live``, the record proposed on
    (``live``, None if there is none)."""

    known: KnownRecords | None = None
    read_live: bool = False
    live: Any = None


def _read_together(record_type, action, record, document, citations: list) -> _Read:
    """PostgreSQL: ``proposal``'s reads in one round trip, the record proposed on and whether
    each record the (not yet validated) document and the citations name exists; the checks
    then ask ``known`` (which looks up anything else they ask about). Elsewhere nothing is
    read here: each check reads what it needs."""
    if connection.vendor != "postgresql":
        return _Read()
    wanted = _references(record_type, document)
    if named := {c for c in citations if isinstance(c, str)}:
        wanted.setdefault("citation", set()).update(named)
    together = Together()
    refs_sql = selectors.existing_records_sql(wanted)
    refs = together.add(refs_sql) if refs_sql is not None else None
    model = RECORD_MODELS.get(record_type)
    live = None
    if action != Action.CREATE and model is not None and selectors.is_possible_slug(record):
        # As ``selectors.live_record`` reads it.
        live = together.add(select_rows(model, "slug = %s", [record], suffix="ORDER BY id LIMIT 1"))
    answers = together.run() if together.parts else []
    known = KnownRecords(wanted, set(answers[refs]) if refs is not None else set())
    if action == Action.CREATE or not record or model is None:
        return _Read(known)
    found = raw_instances(model, answers[live]) if live is not None else []
    return _Read(known, True, found[0] if found else None)


def save_proposals(crs: list[ChangeRequest], user, submit: bool) -> list[ChangeRequest]:
    """Save the change requests ``proposal`` built for ``user``, as ``propose`` saves each
    (its history row, and for a submitted one the review that says so and the reviewers'
    notification), in a few statements for all of them."""
    bulk.insert(ChangeRequest, crs)
    bulk.insert_history(ChangeRequest, crs, user)
    if submit:
        bulk.insert(
            Review,
            [Review(change_request=cr, author=user, kind=Review.Kind.SUBMIT) for cr in crs],
        )
        for cr in crs:
            announce(cr, user, "submit")
    return crs


@transaction.atomic
def update_draft(
    cr: ChangeRequest | int,
    *,
    user,
    document: dict[str, Any] | None = None,
    rationale: str | None = None,
    citations: Iterable[str] | None = None,
    expected_base_version: int | None = None,
    reviewer_note: str | None = None,
) -> ChangeRequest:
    """Change a draft (or a request sent back for changes) before it is submitted again.

    ``expected_base_version`` is the base version of the proposal the author was shown; if
    the request was rebased since, the edit was made against an older proposal and is refused.
    """
    cr = _locked(cr)
    workflow.ACTIONS["edit"].check(cr, user)
    _check_expected_base_version(cr, expected_base_version)
    if document is not None:
        if cr.action == Action.RETRACT:
            raise ValidationFailed(
                [{"path": "document", "message": "a retraction proposes no document"}]
            )
        canonical = _validate(cr.record_type, document)
        if canonical["slug"] != cr.record_slug and cr.action == Action.REVISE:
            raise ValidationFailed(
                [{"path": "document.slug", "message": "a record's slug cannot change"}]
            )
        if cr.action == Action.REVISE and canonical == cr.base_document:
            raise ValidationFailed(
                [{"path": "document", "message": "the proposal changes nothing"}]
            )
        cr.document = canonical
        cr.record_slug = canonical["slug"]
    if rationale is not None:
        cr.rationale = _require_rationale(rationale)
    if reviewer_note is not None:
        cr.reviewer_note = _reviewer_note(reviewer_note)
    if citations is not None:
        cr.citations = _check_citations(citations)
    cr._history_user = user
    cr.save()
    return cr


@transaction.atomic
def revise_and_resubmit(
    cr: ChangeRequest | int,
    *,
    user,
    document: dict[str, Any] | None = None,
    rationale: str | None = None,
    citations: Iterable[str] | None = None,
    comment: str = "",
    expected_base_version: int | None = None,
    reviewer_note: str | None = None,
) -> ChangeRequest:
    """The author's edit of a draft (or a request sent back for changes), submitted again.

    One transaction: if the edit or the submission is refused, the request stays as it was.
    """
    update_draft(
        cr,
        user=user,
        document=document,
        rationale=rationale,
        citations=citations,
        expected_base_version=expected_base_version,
        reviewer_note=reviewer_note,
    )
    return submit(cr, user=user, comment=comment)


def _check_expected_base_version(cr: ChangeRequest, expected: int | None) -> None:
    """A rebase replaces the proposal the author was shown, so an edit made against the
    proposal's earlier base would silently drop what the rebase merged in."""
    if expected is None:
        return
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise ValidationFailed(
            [{"path": "base_version", "message": "must be a whole number, 0 or more"}]
        )
    if expected != cr.base_version:
        raise VersionConflict(
            f"change request {cr.pk} is based on version {cr.base_version}, not version "
            f"{expected}: it was rebased after you read it; read it again and edit the "
            "rebased proposal"
        )
