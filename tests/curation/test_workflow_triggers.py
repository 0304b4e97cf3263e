"""The database keeps the change-request rules itself (migrations 0004 and 0015), on SQLite and
PostgreSQL.

Every test writes with raw SQL, as a path around the services would, and checks that the
database refuses it and the row is as it was; and that what the services do still passes.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from curation import eventstore, services
from curation.models import ChangeRequest, Event, Review
from tests import documents

pytestmark = pytest.mark.django_db


def propose(editor, trial, **changes):
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=trial.version,
        document=documents.revised(trial.document, **changes),
        rationale="A correction.",
    )


def raw_update(table: str, pk: int, **values) -> None:
    assignments = ", ".join(f"{connection.ops.quote_name(column)} = %s" for column in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608
            [*values.values(), pk],
        )


def refused(table: str, pk: int, match: str, **values) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        raw_update(table, pk, **values)


def row(cr: ChangeRequest) -> dict:
    fresh = ChangeRequest.objects.get(pk=cr.pk)
    return {f.attname: getattr(fresh, f.attname) for f in ChangeRequest._meta.fields}


def as_json(value) -> str:
    return json.dumps(value)


@pytest.fixture
def submitted(trial, editor):
    return propose(editor, trial, summary="Submitted summary.")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("author_id", "reviewer"),
        ("record_type", "citation"),
        ("record_id", "00000000-0000-0000-0000-000000000001"),
        ("action", "retract"),
    ],
)
def test_author_record_and_action_never_change(submitted, reviewer, column, value):
    before = row(submitted)
    if value == "reviewer":
        value = reviewer.pk
    elif column == "record_id" and connection.vendor == "sqlite":
        value = value.replace("-", "")  # how Django stores a UUID in SQLite
    refused("curation_changerequest", submitted.pk, "author, record and action", **{column: value})
    assert row(submitted) == before


def test_the_slug_of_a_revision_never_changes(submitted):
    refused("curation_changerequest", submitted.pk, "slug", record_slug="other-trial")
    assert row(submitted)["record_slug"] == "ifm-2005-02"


def test_a_new_records_slug_follows_its_document_only_while_editable(editor, reviewer, trial):
    cr = services.propose(
        user=editor,
        record_type="intervention",
        action="create",
        document=documents.ifm_intervention(slug="bortezomib", name="Velcade (bortezomib)"),
        rationale="New drug.",
        submit=False,
    )
    # The service's own path: a draft's document, and with it the slug, may change.
    services.update_draft(
        cr, user=editor, document=documents.ifm_intervention(slug="velcade", name="Velcade")
    )
    assert ChangeRequest.objects.get(pk=cr.pk).record_slug == "velcade"
    services.submit(cr, user=editor)
    refused("curation_changerequest", cr.pk, "slug", record_slug="bortezomib")


def test_the_proposal_is_frozen_once_submitted(submitted):
    before = row(submitted)
    swapped = documents.revised(submitted.document, summary="Swapped after review.")
    match = "proposal changes only while"
    refused("curation_changerequest", submitted.pk, match, document=as_json(swapped))
    refused("curation_changerequest", submitted.pk, match, rationale="Another reason.")
    refused("curation_changerequest", submitted.pk, match, citations=as_json(["other"]))
    assert row(submitted) == before


def test_the_proposal_may_change_while_sent_back_for_changes(submitted, editor, reviewer):
    services.request_changes(submitted, user=reviewer, comment="Cite the source.")
    edited = documents.revised(submitted.document, summary="Edited as asked.")
    with transaction.atomic():
        raw_update("curation_changerequest", submitted.pk, document=as_json(edited))
    assert ChangeRequest.objects.get(pk=submitted.pk).document["summary"] == "Edited as asked."
    # ... and the service's edit-and-resubmit still works.
    services.revise_and_resubmit(
        submitted,
        user=editor,
        document=documents.revised(submitted.document, summary="Resubmitted."),
    )
    assert ChangeRequest.objects.get(pk=submitted.pk).status == "submitted"


def test_the_base_moves_only_forward_by_a_rebase(trial, editor, editor2, reviewer):
    first = propose(editor, trial, summary="First.")
    second = propose(editor2, trial, enrollment=600)
    match = "base only moves forward"
    # Not beyond the record's newest version (1), and never the base document alone.
    refused("curation_changerequest", second.pk, match, base_version=2)
    other_base = documents.revised(trial.document, summary="Invented base.")
    refused("curation_changerequest", second.pk, match, base_document=as_json(other_base))
    services.approve(first, user=reviewer)
    # The service's path: rebase moves the base to version 2 and merges, while submitted.
    services.rebase(second, user=editor2)
    rebased = row(second)
    assert rebased["base_version"] == 2 and rebased["document"]["summary"] == "First."
    refused("curation_changerequest", second.pk, match, base_version=1)  # never backwards
    assert row(second) == rebased


def test_the_base_of_a_decided_request_never_moves(trial, editor, editor2, reviewer):
    first = propose(editor, trial, summary="First.")
    withdrawn = propose(editor2, trial, enrollment=600)
    services.withdraw(withdrawn, user=editor2)
    services.approve(first, user=reviewer)
    refused("curation_changerequest", withdrawn.pk, "base only moves forward", base_version=2)
    assert row(withdrawn)["base_version"] == 1


@pytest.mark.parametrize("decision", ["approve", "reject", "withdraw"])
def test_decided_states_are_terminal(submitted, editor, reviewer, reviewer2, decision):
    if decision == "withdraw":
        services.withdraw(submitted, user=editor)
    else:
        getattr(services, decision)(submitted, user=reviewer, comment="Decided.")
    before = row(submitted)
    for status in ("submitted", "draft", "changes_requested", "approved", "rejected"):
        if status != before["status"]:
            refused("curation_changerequest", submitted.pk, "final", status=status)
    if decision != "withdraw":
        refused("curation_changerequest", submitted.pk, "final", decided_by_id=reviewer2.pk)
    assert row(submitted) == before
    assert Event.objects.filter(change_request=submitted).count() == (decision == "approve")


def test_status_follows_the_workflow(submitted):
    refused(
        "curation_changerequest", submitted.pk, "no such change request transition", status="draft"
    )
    # Approved without the event that approve() appends in the same transaction.
    refused("curation_changerequest", submitted.pk, "together with its event", status="approved")
    assert row(submitted)["status"] == "submitted"
    assert not Event.objects.filter(change_request=submitted).exists()


def test_one_change_request_yields_at_most_one_event(submitted, reviewer):
    event = services.approve(submitted, user=reviewer)
    again = eventstore.NewEvent(
        stream_type="trial",
        stream_id=event.stream_id,
        slug=event.slug,
        type=Event.Type.REVISED,
        document=copy.deepcopy(event.document),
        changes=[],
        proposer_id=event.proposer_id,
        approver_id=reviewer.pk,
        change_request_id=submitted.pk,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        eventstore.append(again, expected_version=event.version)
    assert Event.objects.filter(change_request=submitted).count() == 1
    assert eventstore.verify_chain().ok


def test_reviews_are_append_only(submitted, reviewer):
    services.request_changes(submitted, user=reviewer, comment="Cite the source.")
    review = Review.objects.get(change_request=submitted, kind="request_changes")
    refused("curation_review", review.pk, "append-only", comment="Looks fine.")
    refused("curation_review", review.pk, "append-only", kind="approve")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM curation_review WHERE id = %s", [review.pk])
    review.refresh_from_db()
    assert (review.kind, review.comment) == ("request_changes", "Cite the source.")


def test_an_approved_requests_documents_stay_as_approved(submitted, reviewer):
    services.approve(submitted, user=reviewer)
    before = row(submitted)
    edited = as_json(documents.revised(submitted.document, summary="Changed after approval."))
    refused("curation_changerequest", submitted.pk, "proposal changes only while", document=edited)
    refused("curation_changerequest", submitted.pk, "base only moves forward", base_document=edited)
    # An UPDATE naming every column (the ORM's save) meets every rule.
    cr = ChangeRequest.objects.get(pk=submitted.pk)
    cr.document = documents.revised(submitted.document, summary="Saved over.")
    with pytest.raises(DatabaseError, match="proposal changes only while"), transaction.atomic():
        cr.save()
    assert row(submitted) == before


def test_updates_of_status_and_flags_alone_still_pass(submitted, trial, editor):
    other = propose(editor, trial, enrollment=700)
    with transaction.atomic():
        raw_update("curation_changerequest", other.pk, needs_rebase=True)
        raw_update("curation_changerequest", other.pk, status="withdrawn")
    assert (row(other)["status"], row(other)["needs_rebase"]) == ("withdrawn", True)
    refused("curation_changerequest", other.pk, "final", status="submitted")  # still guarded


def guards_run(statement: str, params: list) -> dict[str, int]:
    """PostgreSQL: how many times each guard function ran for ``statement`` (this
    transaction's function statistics)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
        cursor.execute(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname LIKE %s",
            ["curation_changerequest%guard"],
        )
        before = dict(cursor.fetchall())
        cursor.execute(statement, params)
        cursor.execute(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname LIKE %s",
            ["curation_changerequest%guard"],
        )
        return {name: calls - before.get(name, 0) for name, calls in cursor.fetchall()}


def test_a_status_update_compares_no_documents(postgres, submitted, trial, editor, reviewer):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        if cursor.fetchone()[0] != "on":
            pytest.skip("counting function calls (track_functions) needs a superuser")
    table = "UPDATE curation_changerequest SET"
    other = propose(editor, trial, enrollment=700)
    flag = guards_run(f"{table} needs_rebase = TRUE WHERE id = %s", [other.pk])
    assert not any(flag.values())
    status = guards_run(f"{table} status = 'changes_requested' WHERE id = %s", [other.pk])
    assert status.get("curation_changerequest_guard") == 1
    assert not status.get("curation_changerequest_proposal_guard")
    edit = guards_run(f"{table} rationale = 'Asked for.' WHERE id = %s", [other.pk])
    assert edit.get("curation_changerequest_proposal_guard") == 1
    assert not edit.get("curation_changerequest_guard")
    # An approval's closing sets the status and when and by whom it was decided.
    services.approve(submitted, user=reviewer)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname = %s",
            ["curation_changerequest_proposal_guard"],
        )
        assert cursor.fetchall() == [("curation_changerequest_proposal_guard", 1)]  # the edit
