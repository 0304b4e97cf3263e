"""Fixtures shared by the curation tests."""

from __future__ import annotations

import pytest

from evidence.models import Trial
from tests import factories


@pytest.fixture
def trial(editor, reviewer):
    """IFM 2005-02 (``documents.ifm_trial()``) with its citation and intervention, approved."""
    factories.seed_trial(editor, reviewer)
    return Trial.objects.get(slug="ifm-2005-02")


@pytest.fixture
def trial_references(editor, reviewer):
    """The citation and intervention ``documents.ifm_trial()`` refers to, approved."""
    factories.seed_trial_references(editor, reviewer)
