"""Fixtures of the reviewer's desk: people with e-mail addresses, and a request to review."""

from __future__ import annotations

import pytest

from curation import services
from tests import documents
from tests.conftest import make_user


def with_email(user):
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def people(db):
    """An editor, two reviewers and a consumer, all with addresses."""
    return {
        "editor": with_email(make_user("editor", "Editors")),
        "reviewer": with_email(make_user("reviewer", "Reviewers")),
        "reviewer2": with_email(make_user("reviewer2", "Reviewers")),
        "consumer": with_email(make_user("consumer")),
    }


def propose(editor, slug: str = "smith-2020", submit: bool = True):
    return services.propose(
        user=editor,
        record_type="citation",
        action="create",
        document=documents.drugex_citation(slug),
        rationale=f"add {slug}",
        submit=submit,
    )


@pytest.fixture
def submitted(people):
    return propose(people["editor"])
