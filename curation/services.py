"""The curation workflow: every rule about who may change evidence, and how.

Admin views, API views, management commands and tasks call these functions and nothing
else, so a rule holds everywhere or nowhere. Each function checks permission and state,
writes in one transaction, and raises a ``curation.errors`` exception with a reason.

States: draft -> submitted -> approved | rejected | changes_requested -> submitted ...;
the author may withdraw an open request. Approving appends the event and projects it in the
same transaction; publishing hears about it through ``signals.events_appended`` on commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from evidence.diff import MergeConflict, diff_documents, three_way_merge
from evidence.documents import (
    RECORD_TYPES,
    DocumentInvalid,
    forbidden_character,
    validate_document,
)

from . import eventstore, projection, selectors
from .errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from .models import ChangeRequest, Event, Review
from .signals import events_appended

Status = ChangeRequest.Status
Action = ChangeRequest.Action

PROPOSE_PERMISSION = "curation.propose_change"
REVIEW_PERMISSION = "curation.review_change"

# action -> (states it may start from, state it leads to, who may do it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None, str]] = {
    "submit": ((Status.DRAFT, Status.CHANGES_REQUESTED), Status.SUBMITTED, "author"),
    "approve": ((Status.SUBMITTED,), Status.APPROVED, "reviewer"),
    "reject": ((Status.SUBMITTED,), Status.REJECTED, "reviewer"),
    "request_changes": ((Status.SUBMITTED,), Status.CHANGES_REQUESTED, "reviewer"),
    "withdraw": (ChangeRequest.OPEN_STATUSES, Status.WITHDRAWN, "author"),
    "rebase": (ChangeRequest.OPEN_STATUSES, None, "author"),
    "edit": ((Status.DRAFT, Status.CHANGES_REQUESTED), None, "author"),
}
COMMENT_REQUIRED = {"reject", "request_changes"}


# --- Permission and state checks (also used by the admin to decide which buttons to show) ----


def can_propose(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(PROPOSE_PERMISSION)
    )


def can_review(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(REVIEW_PERMISSION)
    )


def refusal(action: str, cr: ChangeRequest, user) -> str | None:
    """Why ``user`` may not do ``action`` on ``cr`` now, or None if they may."""
    allowed_from, _, actor = TRANSITIONS[action]
    if not (user and user.is_authenticated):
        return "you must be logged in"
    if actor == "reviewer":
        if not can_review(user):
            return "only members of the Reviewers group may decide on change requests"
        if cr.author_id == user.pk:
            return "nobody may decide on their own change request; a second person must review it"
    elif cr.author_id != user.pk:
        return f"only the author ({cr.author}) may {action.replace('_', ' ')} this change request"
    elif not can_propose(user):
        return "only members of the Editors group may change proposals"
    if cr.status not in allowed_from:
        return (
            f"a change request that is {cr.get_status_display().lower()} cannot be {_past(action)}"
        )
    return None


def allowed_actions(cr: ChangeRequest, user) -> list[str]:
    return [action for action in TRANSITIONS if refusal(action, cr, user) is None]


def _past(action: str) -> str:
    return {
        "submit": "submitted",
        "approve": "approved",
        "reject": "rejected",
        "request_changes": "sent back for changes",
        "withdraw": "withdrawn",
        "rebase": "rebased",
        "edit": "edited",
    }[action]


def _check(action: str, cr: ChangeRequest, user) -> None:
    reason = refusal(action, cr, user)
    if reason is None:
        return
    allowed_from = TRANSITIONS[action][0]
    is_state_problem = cr.status not in allowed_from and reason.startswith("a change request")
    raise (InvalidTransition if is_state_problem else PermissionDenied)(reason)


def _locked(cr: ChangeRequest | int) -> ChangeRequest:
    pk = cr.pk if isinstance(cr, ChangeRequest) else cr
    try:
        return ChangeRequest.objects.select_for_update().select_related("author").get(pk=pk)
    except ChangeRequest.DoesNotExist:
        raise NotFound(f"no change request {pk}") from None


# --- Proposing --------------------------------------------------------------------------------


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


def _comment(comment: Any) -> str:
    return (_plain_text("comment", comment) or "").strip()


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
) -> ChangeRequest:
    """Open a change request. Only Editors propose; nothing about the record changes yet."""
    if not can_propose(user):
        raise PermissionDenied("only members of the Editors group may propose changes")
    errors = []
    if record_type not in RECORD_TYPES:
        errors.append(
            {"path": "record_type", "message": f"must be one of {', '.join(RECORD_TYPES)}"}
        )
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
    citations = _check_citations(citations)

    if action == Action.CREATE:
        if record:
            raise ValidationFailed(
                [{"path": "record", "message": "a new record has no slug yet; leave it out"}]
            )
        if base_version not in (None, 0):
            raise ValidationFailed(
                [{"path": "base_version", "message": "a new record is based on version 0"}]
            )
        canonical = _validate(record_type, document)
        slug = canonical["slug"]
        if selectors.stream_id_for_slug(record_type, slug):
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
        live = selectors.live_record(record_type, record)
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
        base_document = selectors.document_at_version(record_type, live.id, base_version)
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
            canonical = _validate(record_type, document)
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
        )
    cr.action = action
    cr.rationale = rationale
    cr.citations = citations
    cr.author = user
    cr.status = Status.SUBMITTED if submit else Status.DRAFT
    cr.submitted_at = timezone.now() if submit else None
    cr._history_user = user
    cr.save()
    if submit:
        Review.objects.create(change_request=cr, author=user, kind=Review.Kind.SUBMIT)
    return cr


@transaction.atomic
def update_draft(
    cr: ChangeRequest | int,
    *,
    user,
    document: dict[str, Any] | None = None,
    rationale: str | None = None,
    citations: Iterable[str] | None = None,
) -> ChangeRequest:
    """Change a draft (or a request sent back for changes) before it is submitted again."""
    cr = _locked(cr)
    _check("edit", cr, user)
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
    if citations is not None:
        cr.citations = _check_citations(citations)
    cr._history_user = user
    cr.save()
    return cr


# --- Transitions ------------------------------------------------------------------------------


def _transition(cr: ChangeRequest, user, action: str, comment: str = "") -> ChangeRequest:
    comment = _comment(comment)
    if action in COMMENT_REQUIRED and not comment:
        raise ValidationFailed(
            [
                {
                    "path": "comment",
                    "message": f"say why ({action.replace('_', ' ')} needs a comment)",
                }
            ]
        )
    cr.status = TRANSITIONS[action][1]
    if action == "submit":
        cr.submitted_at = timezone.now()
    if action in ("approve", "reject", "request_changes"):
        cr.decided_at = timezone.now()
        cr.decided_by = user
    cr._history_user = user
    cr.save()
    Review.objects.create(change_request=cr, author=user, kind=action, comment=comment)
    return cr


@transaction.atomic
def submit(cr: ChangeRequest | int, *, user, comment: str = "") -> ChangeRequest:
    cr = _locked(cr)
    _check("submit", cr, user)
    if cr.document is not None:
        cr.document = _validate(cr.record_type, cr.document)
    return _transition(cr, user, "submit", comment)


@transaction.atomic
def reject(cr: ChangeRequest | int, *, user, comment: str) -> ChangeRequest:
    cr = _locked(cr)
    _check("reject", cr, user)
    return _transition(cr, user, "reject", comment)


@transaction.atomic
def request_changes(cr: ChangeRequest | int, *, user, comment: str) -> ChangeRequest:
    cr = _locked(cr)
    _check("request_changes", cr, user)
    return _transition(cr, user, "request_changes", comment)


@transaction.atomic
def withdraw(cr: ChangeRequest | int, *, user, comment: str = "") -> ChangeRequest:
    cr = _locked(cr)
    _check("withdraw", cr, user)
    return _transition(cr, user, "withdraw", comment)


@transaction.atomic
def add_comment(cr: ChangeRequest | int, *, user, comment: str) -> Review:
    cr = _locked(cr)
    if not (can_propose(user) or can_review(user)):
        raise PermissionDenied("only editors and reviewers may comment")
    comment = _comment(comment)
    if not comment:
        raise ValidationFailed([{"path": "comment", "message": "a comment cannot be empty"}])
    return Review.objects.create(
        change_request=cr, author=user, kind=Review.Kind.COMMENT, comment=comment
    )


def resolve_against_current(
    cr: ChangeRequest,
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
    """(current version, current document, document to record) for ``cr`` right now.

    A proposal based on an older version is merged onto the current one when the fields it
    changes were left alone meanwhile; otherwise VersionConflict names the colliding fields.
    """
    current = eventstore.current_version(cr.record_type, cr.record_id)
    if cr.action == Action.CREATE:
        if current or selectors.stream_id_for_slug(cr.record_type, cr.record_slug):
            raise VersionConflict(
                f"a {cr.record_type} with slug {cr.record_slug!r} was created meanwhile",
                ["slug"],
                current,
            )
        return 0, None, cr.document
    current_doc = selectors.document_at_version(cr.record_type, cr.record_id, current)
    if current_doc is None:
        raise VersionConflict(
            f"{cr.record_type} {cr.record_slug!r} was retracted meanwhile", [], current
        )
    if current == cr.base_version:
        return current, current_doc, cr.document
    if cr.action == Action.RETRACT:
        raise VersionConflict(
            f"{cr.record_type} {cr.record_slug!r} changed since version {cr.base_version} "
            f"(now {current}); review the new version before retracting it",
            [c["path"] for c in diff_documents(cr.base_document, current_doc)],
            current,
        )
    try:
        merged = three_way_merge(cr.base_document, current_doc, cr.document)
    except MergeConflict as exc:
        raise VersionConflict(
            f"{cr.record_type} {cr.record_slug!r} changed since version {cr.base_version} "
            f"(now {current}) in the same fields: {', '.join(exc.paths)}",
            exc.paths,
            current,
        ) from None
    return current, current_doc, merged


@transaction.atomic
def approve(cr: ChangeRequest | int, *, user, comment: str = "") -> Event:
    """Approve: append the event, project it and close the request, all in one transaction."""
    # The append lock comes first: an approval also flags other open requests on the record,
    # so taking a request's row lock before the append lock could deadlock two approvals.
    eventstore.lock_for_append()
    cr = _locked(cr)
    _check("approve", cr, user)
    comment = _comment(comment)  # refused before anything is appended
    current, current_doc, final = resolve_against_current(cr)
    if final is not None:
        final = _validate(cr.record_type, final)
        if final == current_doc:
            raise VersionConflict(
                "the change was already made by another approved request", [], current
            )
    elif blockers := selectors.referrers(cr.record_type, cr.record_slug):
        raise ValidationFailed(
            [
                {
                    "path": "record",
                    "message": f"still referred to by {', '.join(blockers)}; change those first",
                }
            ]
        )
    event_type = {
        Action.CREATE: Event.Type.CREATED,
        Action.REVISE: Event.Type.REVISED,
        Action.RETRACT: Event.Type.RETRACTED,
    }[cr.action]
    try:
        event = eventstore.append(
            eventstore.NewEvent(
                stream_type=cr.record_type,
                stream_id=cr.record_id,
                slug=cr.record_slug,
                type=event_type,
                document=final,
                changes=diff_documents(current_doc, final),
                proposer_id=cr.author_id,
                approver_id=user.pk,
                change_request_id=cr.pk,
                rationale=cr.rationale,
            ),
            expected_version=current,
        )
    except eventstore.ConcurrencyConflict as exc:
        raise VersionConflict(str(exc), [], exc.actual) from None
    projection.apply(event)
    _transition(cr, user, "approve", comment)
    selectors.open_requests_for(cr.record_type, cr.record_id).exclude(pk=cr.pk).update(
        needs_rebase=True
    )
    position = event.position
    transaction.on_commit(lambda: events_appended.send(sender=Event, position=position))
    return event


@transaction.atomic
def rebase(cr: ChangeRequest | int, *, user) -> ChangeRequest:
    """Move an open request onto the record's current version, merging where possible."""
    cr = _locked(cr)
    _check("rebase", cr, user)
    current, current_doc, merged = resolve_against_current(cr)
    if current == cr.base_version:
        cr.needs_rebase = False
        cr.save(update_fields=["needs_rebase"])
        return cr
    cr.base_version = current
    cr.base_document = current_doc
    if merged is not None:
        cr.document = _validate(cr.record_type, merged)
    cr.needs_rebase = False
    cr._history_user = user
    cr.save()
    Review.objects.create(
        change_request=cr,
        author=user,
        kind=Review.Kind.REBASE,
        comment=f"rebased onto version {current}",
    )
    return cr


# --- Read-only checks for the admin (added for the review workflow) ---------------------------


def propose_refusal(user) -> str | None:
    """Why ``user`` may not propose changes, or None if they may (same rule as ``propose``)."""
    if not (user and user.is_authenticated):
        return "you must be logged in"
    if not can_propose(user):
        return "only members of the Editors group may propose changes"
    return None


@dataclass(frozen=True)
class ApprovalCheck:
    """What approving ``cr`` now would do, without doing it: the reviewer's conflict banner."""

    current_version: int
    based_on_current: bool
    conflict: str | None  # the refusal message when the change collides with a newer version
    conflict_fields: list[str]


def approval_check(cr: ChangeRequest) -> ApprovalCheck:
    """Read-only: run the merge that ``approve`` would run against the record as it is now."""
    try:
        current, current_doc, final = resolve_against_current(cr)
    except VersionConflict as exc:
        return ApprovalCheck(exc.current_version or 0, False, exc.message, list(exc.fields))
    if final is not None and final == current_doc:
        message = "the change was already made by another approved request"
        return ApprovalCheck(current, False, message, [])
    return ApprovalCheck(current, current == cr.base_version, None, [])


# --- Revising a request sent back for changes (added for the admin's "Edit proposal") ---------


@transaction.atomic
def revise_and_resubmit(
    cr: ChangeRequest | int,
    *,
    user,
    document: dict[str, Any] | None = None,
    rationale: str | None = None,
    citations: Iterable[str] | None = None,
    comment: str = "",
) -> ChangeRequest:
    """The author's edit of a draft (or a request sent back for changes), submitted again.

    One transaction: if the edit or the submission is refused, the request stays as it was.
    """
    update_draft(cr, user=user, document=document, rationale=rationale, citations=citations)
    return submit(cr, user=user, comment=comment)
