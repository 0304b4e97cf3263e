"""A value's source is a reference like any other: it must exist, and the record it names
cannot be retracted while a value still cites it."""

from __future__ import annotations

import pytest

from curation.errors import ValidationFailed
from tests import documents, factories
from tests.documents import general_trial, mean_with_sd_outcome


@pytest.fixture
def cited_by_a_value(editor, reviewer):
    citation = factories.create_approved(
        editor, reviewer, "citation", documents.minimal_citation("registry-report")
    )
    outcome = mean_with_sd_outcome()
    outcome["values"][0]["source"] = {"citation": "registry-report", "page": "4"}
    factories.create_approved(editor, reviewer, "trial", general_trial([outcome]))
    return citation


def test_a_citation_a_value_cites_cannot_be_retracted(cited_by_a_value, editor, reviewer):
    with pytest.raises(ValidationFailed) as caught:
        factories.retract_approved(editor, reviewer, "citation", "registry-report", 1)
    assert "still referred to by trial:general-trial" in str(caught.value.errors)


def test_a_value_cannot_cite_a_citation_that_does_not_exist(db, editor, reviewer):
    outcome = mean_with_sd_outcome()
    outcome["values"][0]["source"] = {"citation": "no-such-report"}
    with pytest.raises(ValidationFailed) as caught:
        factories.create_approved(editor, reviewer, "trial", general_trial([outcome]))
    assert caught.value.errors == [
        {
            "path": "document.outcomes[0].values[0].source.citation",
            "message": "no citation with slug 'no-such-report'",
        }
    ]
