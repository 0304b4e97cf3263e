"""The record pages' plan on a warm worker: only the pages that show a changed record.

A full plan fingerprints every trial and topic page (``fingerprints``) and looks each up in
the previous manifest. A worker that built the previous snapshot itself keeps, from that
build, every record's event hash, which pages' inputs name each record, and every page's
manifest entry; the next build fingerprints again only the pages that name a record whose
event hash changed (or that is new or gone), the pages of new and changed trials and topics,
and the trial pages a changed topic now lists. Every other page keeps its entry, exactly as
the full plan would (its inputs, made of the same records' versions, are unchanged).
Used only when the previous snapshot is the one this process built with the table
(``files_of`` is its files dict, which ``previous_state`` hands back), in the same store;
otherwise, or when many pages are touched, the full plan runs and fills the table again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evidence.documents import record_types

from ..selectors import EvidenceAsOf
from .fingerprints import topic_page_inputs, trial_page_inputs

# Past this many changed records, or records whose pages to plan again, the full plan is as
# cheap, and groups the pages for rendering in forked processes.
MAX_TOUCHED = 2_000


def page_parts(evidence: EvidenceAsOf, record_pages, trials, topics) -> Iterator[tuple]:
    """(path, owner "type:slug", parts of its inputs fingerprint) of every record page of
    ``trials`` and ``topics``."""
    trial_type, topic_type = record_types.get("trial"), record_types.get("topic")
    for trial in trials:
        owner = f"trial:{trial.slug}"
        yield trial_type.record_file_path(trial.slug), owner, [f"{owner}@{trial.version}"]
        parts = trial_page_inputs(evidence, trial, record_pages.topics_of(trial))
        yield trial_type.page_path(trial.slug), owner, parts
    for topic in topics:
        yield (
            topic_type.page_path(topic.slug),
            f"topic:{topic.slug}",
            topic_page_inputs(evidence, topic),
        )


def own_paths(record_type: str, slug: str) -> list[str]:
    entry_type = record_types.get(record_type)
    if record_type == "trial":
        return [entry_type.record_file_path(slug), entry_type.page_path(slug)]
    return [entry_type.page_path(slug)] if record_type == "topic" else []


class WarmPages:
    def __init__(self) -> None:
        self.files_of: dict | None = None
        self.identity: Any = None
        self.hashes: dict[str, dict[str, str | None]] = {}  # type -> slug -> event hash
        self.mentions: dict[str, set[str]] = {}  # "type:slug" -> owners whose pages name it
        self.entries: dict[str, dict[str, Any]] = {}  # page path -> manifest entry
        self.touched: list[str] = []  # paths planned in this build

    def follows(self, builder) -> bool:
        return builder.follows_build(self.files_of, self.identity)

    def reset(self, builder, evidence: EvidenceAsOf) -> None:
        self.files_of = None
        self.identity = builder.sink.identity
        self.hashes = {
            name: {slug: r.current_hash for slug, r in records.items()}
            for name, records in evidence.records.items()
        }
        self.mentions, self.entries, self.touched = {}, {}, []

    def note(self, path: str, owner: str, parts: list[str]) -> None:
        self.touched.append(path)
        for part in parts:
            self.mentions.setdefault(part.rpartition("@")[0], set()).add(owner)

    def touched_records(self, evidence: EvidenceAsOf) -> tuple[set[str], set[str]] | None:
        """The owners ("type:slug") whose pages to plan again, and the records gone; None
        when too many (the full plan then)."""
        changed: list[tuple[str, str]] = []
        gone: set[str] = set()
        for name, records in evidence.records.items():
            known = self.hashes.get(name, {})
            changed += [
                (name, slug)
                for slug, record in records.items()
                if known.get(slug, "") != record.current_hash
            ]
            gone.update(f"{name}:{slug}" for slug in known.keys() - records.keys())
        if len(changed) + len(gone) > MAX_TOUCHED:
            return None
        owners: set[str] = set()
        for key in [*(f"{name}:{slug}" for name, slug in changed), *gone]:
            owners.update(self.mentions.get(key, ()))
        for name, slug in changed:
            if name in ("trial", "topic"):
                owners.add(f"{name}:{slug}")
            if name == "topic":  # a topic's trials list it on their pages
                for section in evidence.records["topic"][slug].document.get("sections", []):
                    owners.update(f"trial:{trial}" for trial in section.get("trials", []))
        if len(owners) > MAX_TOUCHED:
            return None
        for name, slug in changed:
            self.hashes.setdefault(name, {})[slug] = evidence.records[name][slug].current_hash
        for key in gone:
            name, _, slug = key.partition(":")
            del self.hashes[name][slug]
        return owners, gone

    def plan(self, builder, evidence: EvidenceAsOf, record_pages) -> list | None:
        """The pending pages (group 0) of a warm build; every other page's entry is put in
        ``builder.files`` as it was. None: plan every page (``reset`` first)."""
        self.files_of = None  # a build that fails from here on leaves a table none follows
        touched = self.touched_records(evidence)
        if touched is None:
            return None
        owners, gone = touched
        for key in gone:
            for path in own_paths(*key.split(":", 1)):
                self.entries.pop(path, None)
        trials, topics = [], []
        for owner in owners:
            name, _, slug = owner.partition(":")
            record = evidence.records[name].get(slug)
            for path in own_paths(name, slug):
                self.entries.pop(path, None)
            if record is not None:
                (trials if name == "trial" else topics).append(record)
        builder.files.update(self.entries)
        builder.reused += len(self.entries)
        self.touched = []
        pending = []
        for path, owner, parts in page_parts(evidence, record_pages, trials, topics):
            self.note(path, owner, parts)
            inputs = builder.inputs_of(parts)
            if not builder.reuse(path, inputs):
                pending.append((0, path, inputs))
        return pending

    def finish(self, builder) -> None:
        """After rendering: keep the entries of the pages planned in this build."""
        for path in self.touched:
            self.entries[path] = builder.files[path]
        self.touched = []
        self.files_of = builder.files


warm_pages = WarmPages()
