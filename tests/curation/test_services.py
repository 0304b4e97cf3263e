import copy
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from curation import projection, selectors, services
from curation.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from curation.models import ChangeRequest, Event
from curation.signals import events_appended
from evidence.models import Intervention, OutcomeValue, Trial
from tests import documents

pytestmark = pytest.mark.django_db

# seed_trial approves a citation, an intervention and a trial: three requests, three events.
SEEDED_REQUESTS = 3


def propose_revision(user, trial, base_version=None, **changes):
    doc = copy.deepcopy(trial.document)
    for path, value in changes.items():
        target = doc
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        target[parts[-1]] = value
    return services.propose(
        user=user,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=base_version or trial.version,
        document=doc,
        rationale="Correct the value from the article",
    )


def test_approval_appends_projects_and_records_who(trial, editor, reviewer):
    cr = propose_revision(editor, trial, outcomes__0__values__0__value=42)
    assert cr.status == "submitted" and Event.objects.count() == 3
    event = services.approve(cr, user=reviewer, comment="Checked")
    trial.refresh_from_db()
    assert (event.type, event.version, trial.version) == ("revised", 2, 2)
    assert event.changes == [
        {"path": "outcomes[key=pfs].values[arm=len].value", "old": 41, "new": 42}
    ]
    assert (event.proposer, event.approver, event.change_request) == (editor, reviewer, cr)
    value = OutcomeValue.objects.get(outcome__trial=trial, outcome__key="pfs", arm__key="len")
    assert value.value == 42
    latest = trial.history.first()
    assert latest.history_user == reviewer and latest.history_change_reason == f"CR-{cr.pk}"
    cr.refresh_from_db()
    assert cr.status == "approved" and cr.decided_by == reviewer
    assert list(cr.reviews.values_list("kind", flat=True)) == ["submit", "approve"]


def test_only_editors_propose(trial, reviewer, superuser, db):
    from tests.conftest import make_user

    nobody = make_user("nobody")
    for user in (reviewer, nobody):
        with pytest.raises(PermissionDenied, match="Editors"):
            propose_revision(user, trial, summary="x")
    assert ChangeRequest.objects.count() == SEEDED_REQUESTS


def test_invalid_documents_list_every_error_and_write_nothing(trial, editor):
    doc = copy.deepcopy(trial.document)
    doc["enrollment"] = -1
    doc["outcomes"][0]["values"][0]["ci_low"] = 50
    doc["outcomes"][0]["values"][0]["ci_high"] = 60
    doc["unexpected"] = True
    with pytest.raises(ValidationFailed) as exc:
        services.propose(
            user=editor,
            record_type="trial",
            action="revise",
            record=trial.slug,
            base_version=1,
            document=doc,
            rationale="r",
        )
    paths = {e["path"] for e in exc.value.errors}
    assert paths == {
        "document.enrollment",
        "document.unexpected",
    } or paths >= {"document.enrollment", "document.unexpected"}
    assert ChangeRequest.objects.count() == SEEDED_REQUESTS


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"rationale": "  "}, "rationale"),
        ({"record_type": "patient"}, "record_type"),
        ({"action": "delete"}, "action"),
        ({"base_version": 7}, "base_version"),
        ({"base_version": None}, "base_version"),
        ({"citations": ["no-such-paper"]}, "citations[0]"),
    ],
)
def test_bad_proposals_name_the_field(trial, editor, kwargs, path):
    args = dict(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=1,
        document=dict(trial.document, summary="New"),
        rationale="why",
    )
    args.update(kwargs)
    with pytest.raises(ValidationFailed) as exc:
        services.propose(**args)
    assert path in {e["path"] for e in exc.value.errors}
    assert ChangeRequest.objects.count() == SEEDED_REQUESTS


def test_unknown_record_is_not_found(editor):
    with pytest.raises(NotFound):
        services.propose(
            user=editor,
            record_type="trial",
            action="revise",
            record="ghost",
            base_version=1,
            document=documents.ifm_trial(slug="ghost"),
            rationale="r",
        )


def test_proposal_that_changes_nothing_or_the_slug_is_refused(trial, editor):
    with pytest.raises(ValidationFailed, match="changes nothing"):
        propose_revision(editor, trial)
    with pytest.raises(ValidationFailed, match="slug cannot change"):
        propose_revision(editor, trial, slug="renamed")


def test_creating_a_duplicate_slug_is_refused(trial, editor):
    with pytest.raises(ValidationFailed, match="already exists"):
        services.propose(
            user=editor,
            record_type="trial",
            action="create",
            document=documents.ifm_trial(),
            rationale="dup",
        )


@pytest.mark.parametrize("author_kind", ["editor_and_reviewer", "superuser"])
def test_nobody_approves_their_own_change_superusers_included(trial, author_kind):
    from tests.conftest import make_user

    if author_kind == "superuser":
        author = make_user("boss", superuser=True)
    else:
        author = make_user("both", "Editors")
        author.groups.add(*make_user("helper", "Reviewers").groups.all())
        author = type(author).objects.get(pk=author.pk)
    cr = propose_revision(author, trial, summary="Mine")
    assert services.can_review(author)
    with pytest.raises(PermissionDenied, match="own change request"):
        services.approve(cr, user=author)
    cr.refresh_from_db()
    assert cr.status == "submitted" and Event.objects.count() == 3


def test_editors_cannot_decide(trial, editor, editor2):
    cr = propose_revision(editor, trial, summary="x")
    for action in (services.approve, services.reject, services.request_changes):
        with pytest.raises(PermissionDenied, match="Reviewers"):
            action(cr, user=editor2, comment="no")
    cr.refresh_from_db()
    assert cr.status == "submitted"


def test_reject_and_request_changes_need_a_comment(trial, editor, reviewer):
    cr = propose_revision(editor, trial, summary="x")
    for action in (services.reject, services.request_changes):
        with pytest.raises(ValidationFailed, match="comment"):
            action(cr, user=reviewer, comment=" ")
    services.request_changes(cr, user=reviewer, comment="Cite the source")
    cr.refresh_from_db()
    assert cr.status == "changes_requested"
    services.update_draft(cr, user=editor, rationale="Now with source", citations=["attal-2012"])
    services.submit(cr, user=editor)
    services.reject(cr, user=reviewer, comment="Not in the article")
    cr.refresh_from_db()
    assert cr.status == "rejected" and cr.citations == ["attal-2012"]
    assert [r.kind for r in cr.reviews.all()] == [
        "submit",
        "request_changes",
        "submit",
        "reject",
    ]
    assert Event.objects.count() == 3


def test_only_the_author_withdraws_and_withdrawn_cannot_be_approved(
    trial, editor, editor2, reviewer
):
    cr = propose_revision(editor, trial, summary="x")
    with pytest.raises(PermissionDenied, match="only the author"):
        services.withdraw(cr, user=editor2)
    services.withdraw(cr, user=editor)
    with pytest.raises(InvalidTransition, match="withdrawn cannot be approved"):
        services.approve(cr, user=reviewer)
    assert Event.objects.count() == 3


def test_double_approval_writes_one_event(trial, editor, reviewer, reviewer2):
    cr = propose_revision(editor, trial, summary="x")
    services.approve(cr, user=reviewer)
    with pytest.raises(InvalidTransition, match="approved cannot be approved"):
        services.approve(cr, user=reviewer2)
    assert Event.objects.filter(change_request=cr).count() == 1


def test_non_overlapping_stale_proposals_merge(trial, editor, editor2, reviewer):
    first = propose_revision(editor, trial, summary="New summary")
    second = propose_revision(editor2, trial, outcomes__1__values__1__value=13)
    services.approve(first, user=reviewer)
    second.refresh_from_db()
    assert second.needs_rebase
    event = services.approve(second, user=reviewer)
    assert event.version == 3
    assert event.changes == [
        {"path": "outcomes[key=spm].values[arm=pbo].value", "old": 12, "new": 13}
    ]
    trial.refresh_from_db()
    assert trial.document["summary"] == "New summary"
    assert trial.document["outcomes"][1]["values"][1]["value"] == 13


def test_a_proposal_made_against_an_older_version_needs_a_rebase_from_the_start(
    trial, editor, editor2, reviewer
):
    services.approve(propose_revision(editor, trial, summary="New summary"), user=reviewer)
    trial.refresh_from_db()
    assert trial.version == 2
    stale = services.propose(
        user=editor2,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=1,
        document={**selectors.document_at_version("trial", trial.id, 1), "enrollment": 600},
        rationale="Based on the version I read.",
    )
    current = propose_revision(editor2, trial, enrollment=601)
    assert (stale.needs_rebase, current.needs_rebase) == (True, False)
    services.rebase(stale, user=editor2)
    stale.refresh_from_db()
    assert (stale.base_version, stale.needs_rebase) == (2, False)


def test_overlapping_stale_proposals_conflict_naming_fields(trial, editor, editor2, reviewer):
    first = propose_revision(editor, trial, outcomes__0__values__0__value=40)
    second = propose_revision(editor2, trial, outcomes__0__values__0__value=39)
    services.approve(first, user=reviewer)
    with pytest.raises(VersionConflict) as exc:
        services.approve(second, user=reviewer)
    assert exc.value.fields == ["outcomes[key=pfs].values[arm=len].value"]
    assert exc.value.current_version == 2
    second.refresh_from_db()
    assert second.status == "submitted" and Event.objects.count() == 4


def test_rebase_moves_a_request_onto_the_current_version(trial, editor, editor2, reviewer):
    first = propose_revision(editor, trial, summary="New summary")
    second = propose_revision(editor2, trial, enrollment=600)
    services.approve(first, user=reviewer)
    with pytest.raises(PermissionDenied):
        services.rebase(second, user=editor)
    services.rebase(second, user=editor2)
    second.refresh_from_db()
    assert (second.base_version, second.needs_rebase) == (2, False)
    assert second.document["summary"] == "New summary" and second.document["enrollment"] == 600


def test_an_edit_made_before_a_rebase_is_a_version_conflict(trial, editor, editor2, reviewer):
    """The guard the admin's edit page and the API's PATCH share: an edit names the base
    version of the proposal its author read; a rebase since then makes it a 409."""
    first = propose_revision(editor, trial, summary="New summary")
    second = propose_revision(editor2, trial, enrollment=600)
    services.approve(first, user=reviewer)
    services.request_changes(second, user=reviewer, comment="Rebase it, please.")
    services.rebase(second, user=editor2)
    with pytest.raises(VersionConflict, match="based on version 2, not version 1"):
        services.update_draft(
            second, user=editor2, rationale="Stale edit.", expected_base_version=1
        )
    with pytest.raises(VersionConflict):
        services.revise_and_resubmit(
            second, user=editor2, rationale="Stale edit.", expected_base_version=1
        )
    for bad in (-1, "2", True):
        with pytest.raises(ValidationFailed) as refused:
            services.update_draft(second, user=editor2, rationale="x", expected_base_version=bad)
        assert refused.value.errors[0]["path"] == "base_version"
    second.refresh_from_db()
    assert (second.status, second.rationale) == (
        "changes_requested",
        "Correct the value from the article",
    )
    services.revise_and_resubmit(
        second, user=editor2, rationale="Fresh edit.", expected_base_version=2
    )
    second.refresh_from_db()
    assert (second.status, second.rationale) == ("submitted", "Fresh edit.")


def test_a_crash_mid_approval_leaves_neither_event_nor_projection(
    trial, editor, reviewer, monkeypatch
):
    cr = propose_revision(editor, trial, summary="Crash")

    def explode(event, script=None, previous=None, **options):
        raise RuntimeError("disk full")

    monkeypatch.setattr(projection, "apply", explode)
    with pytest.raises(RuntimeError):
        services.approve(cr, user=reviewer)
    trial.refresh_from_db()
    cr.refresh_from_db()
    assert Event.objects.count() == 3 and trial.version == 1 and cr.status == "submitted"
    assert not cr.reviews.filter(kind="approve").exists()


def test_publication_is_announced_only_after_commit(
    trial, editor, reviewer, django_capture_on_commit_callbacks
):
    heard = []
    events_appended.connect(
        lambda sender, position, **kw: heard.append(position), weak=False, dispatch_uid="t"
    )
    try:
        cr = propose_revision(editor, trial, summary="x")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            event = services.approve(cr, user=reviewer)
            assert heard == []
        assert len(callbacks) == 1 and heard == [event.position]
    finally:
        events_appended.disconnect(dispatch_uid="t")


def test_retraction_removes_the_projection_but_not_the_history(trial, editor, reviewer):
    with pytest.raises(ValidationFailed, match="trial:ifm-2005-02"):
        cr = services.propose(
            user=editor,
            record_type="intervention",
            action="retract",
            record="lenalidomide",
            base_version=1,
            rationale="duplicate",
        )
        services.approve(cr, user=reviewer)
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="retract",
        record=trial.slug,
        base_version=1,
        rationale="withdrawn publication",
    )
    event = services.approve(cr, user=reviewer)
    assert event.type == "retracted" and event.document is None
    assert not Trial.objects.exists()
    assert selectors.record_as_of("trial", "ifm-2005-02").retracted
    assert selectors.record_as_of("trial", "ifm-2005-02", position=event.position - 1).version == 1
    assert Intervention.objects.filter(slug="lenalidomide").exists()


def test_record_as_of_position_and_time(trial, editor, reviewer):
    created_at = trial.approved_at
    cr = propose_revision(editor, trial, summary="Later summary")
    event = services.approve(cr, user=reviewer)
    now = selectors.record_as_of("trial", trial.slug)
    then = selectors.record_as_of("trial", trial.slug, position=event.position - 1)
    assert now.version == 2 and now.document["summary"] == "Later summary"
    assert then.version == 1 and then.document["summary"] == documents.ifm_trial()["summary"]
    by_time = selectors.record_as_of("trial", trial.slug, at=created_at)
    assert by_time.version == 1
    with pytest.raises(NotFound, match="did not exist yet"):
        selectors.record_as_of("trial", trial.slug, at=created_at - timedelta(days=1))
    assert selectors.record_as_of("trial", trial.slug, at=timezone.now()).version == 2


def test_allowed_actions_reflect_the_rules(trial, editor, reviewer):
    cr = propose_revision(editor, trial, summary="x")
    assert services.allowed_actions(cr, editor) == ["withdraw", "rebase"]
    assert services.allowed_actions(cr, reviewer) == ["approve", "reject", "request_changes"]
    with transaction.atomic():
        services.withdraw(cr, user=editor)
    cr.refresh_from_db()
    assert services.allowed_actions(cr, reviewer) == []


def test_a_draft_cannot_be_edited_back_to_no_change(trial, editor, reviewer):
    cr = propose_revision(editor, trial, summary="x")
    services.request_changes(cr, user=reviewer, comment="Cite it")
    with pytest.raises(ValidationFailed, match="changes nothing"):
        services.update_draft(cr, user=editor, document=copy.deepcopy(trial.document))
    cr.refresh_from_db()
    assert cr.document["summary"] == "x"
