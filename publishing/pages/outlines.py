"""What every build needs of every topic: its title, its condition and the trials its
sections list. Read from the topic's document, that took decoding every topic (2,000 at
100,000 trials, more than the decoded-document cache holds) twice in each approval's build,
about a third of a warm approval's publication. A topic's outline is kept by the hash of the
event that wrote its document (immutable), for the topics of the last build only."""

from __future__ import annotations

from typing import NamedTuple

from ..selectors import EvidenceAsOf, RecordState


class TopicOutline(NamedTuple):
    title: str
    condition: str
    trials: tuple[str, ...]  # slugs, in the order the sections list them, each once


_by_hash: dict[str, TopicOutline] = {}
# The last build's topics ((slug, event hash) of each, in order) and, for each trial, the slugs
# of the topics listing it: the same until a topic changes (most approvals change a trial).
_listing: tuple[tuple, dict[str, tuple[str, ...]]] = ((), {})


def outline_of(document: dict) -> TopicOutline:
    trials: dict[str, None] = {}
    for section in document.get("sections", []):
        trials.update(dict.fromkeys(section.get("trials", [])))
    return TopicOutline(document["title"], document["condition"], tuple(trials))


def topic_outlines(evidence: EvidenceAsOf) -> list[tuple[RecordState, TopicOutline]]:
    """Every topic of ``evidence`` with its outline, in the evidence's order."""
    global _by_hash
    kept: dict[str, TopicOutline] = {}
    outlines = []
    for topic in evidence.records["topic"].values():
        key = topic.current_hash  # "" for a state not made from the log: not kept
        outline = (_by_hash.get(key) or kept.get(key)) if key else None
        if outline is None:
            outline = outline_of(topic.document)
        if key:
            kept[key] = outline
        outlines.append((topic, outline))
    _by_hash = kept
    return outlines


def topics_listing(evidence: EvidenceAsOf) -> dict[str, tuple[str, ...]]:
    """For each trial's slug, the slugs of the topics whose sections list it (each once, in
    the evidence's topic order)."""
    global _listing
    pairs = topic_outlines(evidence)
    key = tuple((topic.slug, topic.current_hash) for topic, _ in pairs)
    if key == _listing[0] and all(h for _, h in key):
        return _listing[1]
    listing: dict[str, list[str]] = {}
    for topic, outline in pairs:
        for slug in outline.trials:
            listing.setdefault(slug, []).append(topic.slug)
    made = {slug: tuple(topics) for slug, topics in listing.items()}
    _listing = (key, made)
    return made
