"""Fixtures and helpers for the admin tests."""

from __future__ import annotations

import pytest

from curation.seed import seed_accounts
from tests.factories import seed_article_trials


@pytest.fixture
def admin_trials(db):
    """The seed article's citations, interventions and two trials, proposed and approved by the
    seed accounts; ``{"calgb": live record, "myeloma_xi": live record}``."""
    return seed_article_trials(*seed_accounts())


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
