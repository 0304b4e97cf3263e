"""simple-history's per-version pages are read-only: no way around review through them.

Each test is a reproduction of issue 9: the page ``<id>/history/<history_id>/`` used to save
the whole model form on POST for anyone allowed to view the object. Every test posts what that
form would have posted and checks that nothing was written: no row, no history row, no event,
and the hash chain intact.
"""

from __future__ import annotations

import copy

import pytest
from django.conf import settings

from curation import selectors, services
from curation.models import ChangeRequest, Event
from curation.seed import seed_accounts
from evidence.models import Trial
from tests import documents
from tests.factories import create_approved

from .conftest import review_url
from .tamper import assert_chain_intact, differences, fingerprint, model_form_data, tables

pytestmark = pytest.mark.django_db


def version_url(obj, historical=None) -> str:
    opts = obj._meta
    historical = historical or obj.history.first()
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/{historical.history_id}/"


def approve(client, cr, user):
    client.force_login(user)
    return client.post(review_url(cr), {"action": "approve", "comment": ""})


@pytest.fixture
def live_records(admin_trials):
    from evidence import models as ev

    create_approved(*seed_accounts(), "topic", documents.article_topic())

    return {
        "trial": admin_trials["calgb"],
        "citation": ev.Citation.objects.get(slug="mccarthy-2012-nejm"),
        "intervention": ev.Intervention.objects.get(slug="lenalidomide"),
        "topic": selectors.live_record("topic", "myeloma-maintenance"),
    }


def test_revert_is_disabled_in_settings():
    # Belt and braces: simple-history hides its "Revert" button everywhere.
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True


@pytest.mark.parametrize("record_type", ["trial", "citation", "intervention", "topic"])
@pytest.mark.parametrize("who", ["editor", "reviewer"])
def test_a_live_record_cannot_be_rewritten_through_its_version_page(
    client, request, live_records, record_type, who
):
    user = request.getfixturevalue(who)
    live = live_records[record_type]
    url = version_url(live)
    document = copy.deepcopy(live.document)
    document["summary" if record_type != "citation" else "title"] = "Rewritten without review"
    client.force_login(user)
    page = client.get(url)
    assert page.status_code == 200  # the version is shown ...
    assert b'name="_save"' not in page.content and b"<textarea" not in page.content
    before = fingerprint(tables())
    events = Event.objects.count()

    response = client.post(url, model_form_data(live, document=document, version=live.version))

    assert response.status_code == 405  # ... and never saved
    assert fingerprint(tables()) == before, differences(before, fingerprint(tables()))
    live.refresh_from_db()
    assert live.document["slug"] == live.slug and "Rewritten" not in str(live.document)
    assert Event.objects.count() == events
    assert_chain_intact()


def test_a_superuser_cannot_swap_the_author_to_approve_their_own_change(
    client, superuser, editor, admin_trials
):
    document = documents.myeloma_xi()
    document["summary"] = "A superuser's own change."
    cr = services.propose(
        user=superuser,
        record_type="trial",
        action="revise",
        record="myeloma-xi",
        base_version=admin_trials["myeloma_xi"].version,
        document=document,
        rationale="Mine.",
    )
    assert approve(client, cr, superuser).status_code == 403  # nobody approves their own
    before = fingerprint(tables())

    swap = client.post(version_url(cr), model_form_data(cr, author=editor.pk))

    assert swap.status_code == 405
    assert approve(client, cr, superuser).status_code == 403  # still their own change
    cr.refresh_from_db()
    assert cr.author == superuser and cr.status == ChangeRequest.Status.SUBMITTED
    assert fingerprint(tables()) == before, differences(before, fingerprint(tables()))
    assert not cr.events.exists()
    assert_chain_intact()


def test_a_reviewer_cannot_revive_a_withdrawn_request(client, editor, reviewer, admin_trials):
    document = documents.myeloma_xi()
    document["summary"] = "Withdrawn by its author."
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record="myeloma-xi",
        base_version=admin_trials["myeloma_xi"].version,
        document=document,
        rationale="Try.",
    )
    services.withdraw(cr, user=editor)
    rewritten = copy.deepcopy(document)
    rewritten["summary"] = "Put in by the reviewer."
    client.force_login(reviewer)
    before = fingerprint(tables())

    revive = client.post(
        version_url(cr), model_form_data(cr, status="submitted", document=rewritten)
    )

    assert revive.status_code == 405
    assert approve(client, cr, reviewer).status_code == 409  # withdrawn is final
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.WITHDRAWN
    assert cr.document["summary"] == "Withdrawn by its author."
    assert fingerprint(tables()) == before, differences(before, fingerprint(tables()))
    assert_chain_intact()


def test_an_editor_cannot_swap_the_document_the_reviewer_read(
    client, editor, reviewer, admin_trials
):
    document = documents.myeloma_xi()
    document["summary"] = "What the reviewer reads."
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record="myeloma-xi",
        base_version=admin_trials["myeloma_xi"].version,
        document=document,
        rationale="Reviewed text.",
    )
    client.force_login(reviewer)
    assert b"What the reviewer reads." in client.get(review_url(cr)).content
    swapped = copy.deepcopy(document)
    swapped["summary"] = "Swapped in after review."
    client.force_login(editor)
    before = fingerprint(tables())

    swap = client.post(version_url(cr), model_form_data(cr, document=swapped))

    assert swap.status_code == 405
    assert fingerprint(tables()) == before, differences(before, fingerprint(tables()))
    assert approve(client, cr, reviewer).status_code == 302
    event = cr.events.get()
    assert event.document["summary"] == "What the reviewer reads."
    assert_chain_intact()


def test_a_reviewer_cannot_reopen_an_approved_request(client, editor, reviewer, admin_trials):
    document = documents.myeloma_xi()
    document["summary"] = "Approved once."
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record="myeloma-xi",
        base_version=admin_trials["myeloma_xi"].version,
        document=document,
        rationale="Once.",
    )
    assert approve(client, cr, reviewer).status_code == 302
    cr.refresh_from_db()
    live = Trial.objects.get(slug="myeloma-xi")
    rewritten = copy.deepcopy(live.document)
    rewritten["summary"] = "Approved twice."
    before = fingerprint(tables())

    # Reopened, rewritten and based on the current version, so approving would not conflict.
    reopen = client.post(
        version_url(cr),
        model_form_data(
            cr,
            status="submitted",
            document=rewritten,
            base_version=live.version,
            base_document=live.document,
        ),
    )

    assert reopen.status_code == 405
    assert approve(client, cr, reviewer).status_code == 409
    assert cr.events.count() == 1
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.APPROVED
    assert cr.document["summary"] == "Approved once."
    assert fingerprint(tables()) == before, differences(before, fingerprint(tables()))
    assert_chain_intact()


def test_every_history_admin_is_read_only():
    """Every SimpleHistoryAdmin registered, ours or another app's, refuses to save versions."""
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    from curation.admin.guards import ReadOnlyHistoryAdmin

    history_admins = [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, SimpleHistoryAdmin)
    ]
    assert len(history_admins) >= 5  # four record types and change requests
    for model_admin in history_admins:
        assert isinstance(model_admin, ReadOnlyHistoryAdmin), type(model_admin)
