"""The worker's kept log (``selectors.LogCache``) gives exactly what reading the log afresh
gives, at the newest position, after more events, at an older position and after the
database changed under it; and it keeps one pointer per event, not an entry."""

from __future__ import annotations

import pytest

from curation.models import Event
from publishing import selectors
from tests.factories import retract_approved, revise_approved, seed_corpus

pytestmark = pytest.mark.django_db


def as_plain(evidence: selectors.EvidenceAsOf) -> dict:
    return {
        "position": evidence.position,
        "as_of": evidence.as_of,
        "records": {
            name: {
                slug: (
                    state.id,
                    state.current_hash,
                    [version.as_dict() for version in state.history],
                    state.document,
                )
                for slug, state in records.items()
            }
            for name, records in evidence.records.items()
        },
    }


def cold(position: int) -> dict:
    """What a freshly started worker reads at ``position``."""
    kept = selectors.CACHE
    selectors.CACHE = selectors.LogCache()
    try:
        return as_plain(selectors.evidence_as_of(position))
    finally:
        selectors.CACHE = kept


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(selectors, "CACHE", selectors.LogCache())
    return selectors.CACHE


def test_kept_states_follow_new_events_and_older_positions_read_afresh(
    editor, reviewer, fresh_cache
):
    first = seed_corpus(editor, reviewer, trials=("trial-one", "trial-two")).position
    assert as_plain(selectors.evidence_as_of(first)) == cold(first)
    assert fresh_cache.position == first and len(fresh_cache.writers) == first

    revised = revise_approved(
        editor, reviewer, "trial", "trial-one", lambda d: d.update(name="TRIAL 1 (revised)")
    )
    gone = retract_approved(editor, reviewer, "topic", "maintenance", base_version=1)
    warm = selectors.evidence_as_of(gone.position)
    assert as_plain(warm) == cold(gone.position)
    assert "maintenance" not in warm.records["topic"]
    assert warm.records["trial"]["trial-one"].document["name"] == "TRIAL 1 (revised)"
    assert warm.as_of == selectors.timestamp(gone.recorded_at)
    # The event at each position is noted by the state it wrote, nothing more.
    assert [state.slug for state in fresh_cache.writers[first:]] == ["trial-one", "maintenance"]
    assert fresh_cache.newest_hash == gone.hash

    # An older position (a past snapshot rebuilt) is read afresh; the kept states stay.
    assert as_plain(selectors.evidence_as_of(revised.position)) == cold(revised.position)
    assert fresh_cache.position == gone.position
    assert as_plain(selectors.evidence_as_of(gone.position)) == cold(gone.position)
    assert selectors.touched_records(first, gone.position) == {
        ("trial", "trial-one"),
        ("topic", "maintenance"),
    }


def test_a_log_that_is_not_the_one_kept_is_read_again_from_the_start(editor, reviewer, fresh_cache):
    position = seed_corpus(editor, reviewer).position
    selectors.evidence_as_of(position)
    # Another database behind the same worker: its newest event is not the one kept.
    fresh_cache.newest_hash = "0" * 64
    assert not fresh_cache.follows_log()
    assert as_plain(selectors.evidence_as_of(position)) == cold(position)
    assert fresh_cache.newest_hash == Event.objects.get(position=position).hash
