"""A change request's history: an approval's row leaves the documents out, and every reader
(the row's ``instance``, ``with_documents``, the admin's History and version pages) still
shows each version with the documents it had."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection, transaction

from curation import services
from curation.errors import PermissionDenied
from curation.models import ChangeRequest
from curation.request_history import with_documents
from evidence.models import Trial
from tests import factories

pytestmark = pytest.mark.django_db

FIXED = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def revised(trial, **fields) -> dict:
    doc = copy.deepcopy(trial.document)
    doc.update(fields)
    return doc


def propose_revision(trial, editor, summary: str) -> ChangeRequest:
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=trial.slug,
        base_version=trial.version,
        document=revised(trial, summary=summary),
        rationale="From the article",
    )


def history_columns(*left_out: str) -> list[str]:
    """The request history's columns, but ``left_out`` (times that differ by run)."""
    return [
        f.attname
        for f in ChangeRequest.history.model._meta.concrete_fields
        if f.attname not in ("history_id", *left_out)
    ]


def edited_then_approved(trial, editor, reviewer) -> ChangeRequest:
    """Proposed, sent back, edited and resubmitted (a new document), then approved."""
    cr = propose_revision(trial, editor, "First wording.")
    services.request_changes(cr, user=reviewer, comment="Say it as the article does")
    services.revise_and_resubmit(
        cr, user=editor, document=revised(trial, summary="The article's wording.")
    )
    services.approve(cr, user=reviewer)
    return cr


def stored(cr) -> list[tuple]:
    """The request's history rows as stored, oldest first."""
    return list(
        ChangeRequest.history.filter(id=cr.pk)
        .order_by("history_id")
        .values_list("status", "documents_kept", "document__summary")
    )


def test_an_approval_leaves_the_documents_out_and_shows_those_it_left_as_they_were(
    trial, editor, reviewer
):
    cr = edited_then_approved(trial, editor, reviewer)
    rows = stored(cr)
    # Every step that could change the documents kept them; the approval did not copy them.
    assert rows[-1] == ("approved", False, None)
    assert all(kept for _, kept, _ in rows[:-1])
    assert rows[-2][2] == "The article's wording." and rows[0][2] == "First wording."
    history = list(cr.history.order_by("history_id"))
    with_documents(history)
    cr.refresh_from_db()
    assert history[-1].document == cr.document and history[-1].base_document == cr.base_document
    assert history[-1].document["summary"] == "The article's wording."
    # The version page's instance: that version's documents, not the first ones, not NULL.
    approval = cr.history.order_by("history_id").last()
    assert approval.instance.document == cr.document
    assert approval.instance.status == "approved"


def test_a_batch_writes_the_same_history_rows_as_one_by_one(trial, editor, reviewer):
    cr = propose_revision(trial, editor, "Batched.")
    columns = history_columns("history_date", "decided_at", "updated_at")
    with transaction.atomic():
        services.approve(cr, user=reviewer)
        one = list(ChangeRequest.history.order_by("history_id").values_list(*columns))
        transaction.set_rollback(True)
    services.approve_change_requests(reviewer, [cr.pk])
    assert list(ChangeRequest.history.order_by("history_id").values_list(*columns)) == one
    assert one[-1][columns.index("documents_kept")] is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the script path is PostgreSQL's")
def test_the_orm_path_writes_the_rows_the_script_writes(trial, editor, reviewer):
    cr = propose_revision(trial, editor, "Either way.")
    columns = history_columns()

    def rows():
        return list(ChangeRequest.history.order_by("history_id").values_list(*columns))

    with mock.patch("django.utils.timezone.now", return_value=FIXED):
        with transaction.atomic():
            services.approve(cr.pk, user=reviewer)
            by_script = rows()
            transaction.set_rollback(True)
        with mock.patch("curation.services.closing.history_supported", return_value=False):
            services.approve(cr.pk, user=reviewer)
    assert rows() == by_script
    assert by_script[-1][columns.index("documents_kept")] is False
    assert by_script[-1][columns.index("document")] is None


def test_a_retraction_shows_its_missing_document_and_the_base_it_retracted(trial, editor, reviewer):
    factories.retract_approved(editor, reviewer, "trial", trial.slug, trial.version)
    cr = ChangeRequest.objects.get(action="retract")
    approval = cr.history.order_by("history_id").last()
    assert approval.documents_kept is False
    assert approval.instance.document is None
    assert approval.instance.base_document == trial.document == cr.base_document


def test_rows_that_kept_their_documents_need_no_query(
    trial, editor, reviewer, django_assert_num_queries
):
    cr = propose_revision(trial, editor, "Kept.")
    rows = list(cr.history.all())
    with django_assert_num_queries(0):
        with_documents(rows)
    assert rows[0].documents_kept and rows[0].document["summary"] == "Kept."


def test_a_refused_batch_writes_no_history_row(trial, editor, reviewer):
    cr = propose_revision(trial, editor, "Refused.")
    before = ChangeRequest.history.count()
    with pytest.raises(PermissionDenied):
        services.approve_change_requests(editor, [cr.pk])  # an editor may not approve
    with pytest.raises(PermissionDenied):
        services.approve(cr, user=editor)
    assert ChangeRequest.history.count() == before
    assert Trial.objects.get(pk=trial.pk).version == trial.version


def test_the_history_pages_show_each_version_with_its_documents(client, trial, editor, reviewer):
    cr = edited_then_approved(trial, editor, reviewer)
    client.force_login(reviewer)
    page = client.get(f"/admin/curation/changerequest/{cr.pk}/history/")
    assert page.status_code == 200
    records = list(page.context["page_obj"])
    approval, resubmitted = records[0], records[1]
    assert approval.status == "approved"
    # The approval changed the status and who decided, never the documents.
    changed = {change.field for change in approval.diff_against(resubmitted).changes}
    assert "document" not in changed and "base_document" not in changed and "status" in changed
    shown = [c["field"] for c in approval.history_delta_changes]
    assert shown and not any("document" in str(f).lower() for f in shown)
    version = client.get(f"/admin/curation/changerequest/{cr.pk}/history/{approval.history_id}/")
    assert version.status_code == 200
    assert b"The article&#x27;s wording." in version.content or b"The article's wording." in (
        version.content
    )
