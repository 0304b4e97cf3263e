"""Topic outlines (``publishing.pages.outlines``): what every build reads of every topic, kept
by the hash of the event that wrote the topic's document."""

from __future__ import annotations

import pytest

from publishing.pages import outlines
from publishing.selectors import EvidenceAsOf, RecordState


def topic(slug: str, sections: list[list[str]], current_hash: str) -> RecordState:
    document = {
        "title": f"Topic {slug}",
        "condition": "Multiple myeloma",
        "sections": [{"trials": trials} for trials in sections],
    }
    return RecordState("topic", f"id-{slug}", slug, [], document, current_hash=current_hash)


def evidence_of(*topics: RecordState) -> EvidenceAsOf:
    evidence = EvidenceAsOf(position=1, as_of=None)
    evidence.records["topic"] = {t.slug: t for t in topics}
    return evidence


@pytest.fixture
def document_reads(monkeypatch):
    """How many times a topic's document is decoded."""
    reads = []
    decoded = RecordState.document

    def counted(state):
        reads.append(state.slug)
        return decoded.fget(state)

    monkeypatch.setattr(outlines, "_by_hash", {})
    monkeypatch.setattr(RecordState, "document", property(counted, decoded.fset))
    return reads


def test_an_outline_lists_each_trial_once_in_section_order(document_reads):
    (pair,) = outlines.topic_outlines(evidence_of(topic("a", [["t2", "t1"], ["t1", "t3"]], "h1")))
    assert pair[1] == ("Topic a", "Multiple myeloma", ("t2", "t1", "t3"))


def test_an_unchanged_topic_is_not_decoded_again_and_a_new_version_is(document_reads):
    first = topic("a", [["t1"]], "h1")
    outlines.topic_outlines(evidence_of(first, topic("b", [["t2"]], "h2")))
    assert sorted(document_reads) == ["a", "b"]
    document_reads.clear()

    revised = topic("a", [["t1", "t9"]], "h3")
    (again_a, again_b) = outlines.topic_outlines(evidence_of(revised, topic("b", [["t2"]], "h2")))
    assert document_reads == ["a"]  # b's outline is the one kept for h2
    assert again_a[1].trials == ("t1", "t9") and again_b[1].trials == ("t2",)
    assert set(outlines._by_hash) == {"h2", "h3"}  # the outline of h1, gone, is forgotten


def test_states_not_made_from_the_log_are_never_taken_for_each_other(document_reads):
    pairs = outlines.topic_outlines(evidence_of(topic("a", [["t1"]], ""), topic("b", [["t2"]], "")))
    assert [outline.trials for _, outline in pairs] == [("t1",), ("t2",)]
    assert outlines._by_hash == {}


def test_a_topic_without_a_condition_is_refused_as_before(document_reads):
    broken = topic("a", [["t1"]], "h1")
    broken.document = {"title": "No condition", "sections": []}
    with pytest.raises(KeyError, match="condition"):
        outlines.topic_outlines(evidence_of(broken))


def test_the_topics_listing_each_trial_are_made_again_only_when_a_topic_changes(
    document_reads, monkeypatch
):
    monkeypatch.setattr(outlines, "_listing", ((), {}))
    a, b = topic("a", [["t1", "t2"], ["t1"]], "h1"), topic("b", [["t2"]], "h2")
    listing = outlines.topics_listing(evidence_of(a, b))
    assert listing == {"t1": ("a",), "t2": ("a", "b")}
    assert outlines.topics_listing(evidence_of(a, b)) is listing  # kept

    revised = topic("b", [["t3"]], "h3")
    assert outlines.topics_listing(evidence_of(a, revised)) == {
        "t1": ("a",),
        "t2": ("a",),
        "t3": ("b",),
    }


def test_the_listing_of_states_not_made_from_the_log_is_never_kept(document_reads, monkeypatch):
    monkeypatch.setattr(outlines, "_listing", ((), {}))
    first = outlines.topics_listing(evidence_of(topic("a", [["t1"]], "")))
    second = outlines.topics_listing(evidence_of(topic("a", [["t2"]], "")))
    assert first == {"t1": ("a",)} and second == {"t2": ("a",)}
