"""Evidence for the admin tests, created the only way evidence is created: propose + approve."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from curation import selectors, services
from curation.permissions import EDITORS, REVIEWERS, ensure_groups

from . import documents


def _user(username: str, group: str):
    groups = ensure_groups()
    user, _ = get_user_model().objects.get_or_create(username=f"{username}", is_staff=True)
    user.groups.add(groups[group])
    return get_user_model().objects.get(pk=user.pk)


def record(record_type: str, document: dict, *, proposer, approver):
    cr = services.propose(
        user=proposer,
        record_type=record_type,
        action="create",
        document=document,
        rationale="Initial curation from the source article.",
    )
    services.approve(cr, user=approver)
    return selectors.live_record(record_type, document["slug"])


@pytest.fixture
def evidence(db):
    """Citations, interventions and two trials, proposed and approved by the seed accounts."""
    proposer, approver = _user("seed-editor", EDITORS), _user("seed-reviewer", REVIEWERS)
    for citation in documents.CITATIONS:
        record("citation", citation, proposer=proposer, approver=approver)
    for intervention in documents.INTERVENTIONS:
        record("intervention", intervention, proposer=proposer, approver=approver)
    return {
        "calgb": record("trial", documents.calgb(), proposer=proposer, approver=approver),
        "myeloma_xi": record("trial", documents.myeloma_xi(), proposer=proposer, approver=approver),
    }


def proposal_data(record_type: str, live, **changes) -> dict:
    """The POST data of a record's proposal form as shown, with ``changes`` applied."""
    from curation.admin.forms import ProposalForms

    from .post_data import form_post_data

    forms = ProposalForms(
        record_type,
        base_document=live.document if live else None,
        base_version=live.version if live else 0,
    )
    data = form_post_data(forms)
    data["proposal-rationale"] = "The source article says so."
    data.update(changes)
    return data


def change_url(record_type: str, live) -> str:
    return f"/admin/evidence/{record_type}/{live.pk}/change/"


def review_url(cr) -> str:
    return f"/admin/curation/changerequest/{cr.pk}/change/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
