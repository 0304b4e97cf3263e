"""The record pages' plan on a warm worker: only the pages that show a changed record.

A full plan fingerprints every trial and topic page (``fingerprints``) and looks each up in
the previous manifest. A worker that built the previous snapshot itself keeps, from that
build, every record's event hash and which pages' inputs name each record. The next build is
told which records an event wrote since (``selectors.touched_records``, from the log: it
costs what changed, not the corpus) and changes the previous snapshot's files dict in place
(``SnapshotBuilder.in_place``): it fingerprints again only the pages that name a record whose
event hash changed (or that is new or gone), the pages of new and changed trials and topics,
and the trial pages a changed topic now lists, and removes the pages of records gone. Every
other page keeps its entry, exactly as the full plan would (its inputs, made of the same
records' versions, are unchanged).
Used only when the previous snapshot is the one this process built with the table
(``files_of`` is its files dict, which ``previous_state`` hands back), in the same store;
otherwise, or when many records were written, the full plan runs and fills the table again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from evidence.documents import record_types

from ..selectors import EvidenceAsOf
from .file_table import private_database
from .fingerprints import topic_page_inputs, trial_page_inputs
from .rendering import PendingPages

# Past this many records written since the last build, the full plan is as cheap, and groups
# the pages for rendering in forked processes.
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


class MentionTable:
    """Which owners' pages ("type:slug" of a trial or topic) name each record ("type:slug") in
    their inputs, kept on disk in a private SQLite database (``file_table.private_database``):
    about 900,000 pairs at 100,000 trials, which as a dict of strings and sets held about
    36 MB of a build (and of every forked renderer)."""

    BATCH = 10_000  # pairs buffered before they are written

    def __init__(self) -> None:
        self._db = private_database(
            "CREATE TABLE mentions (record TEXT NOT NULL, owner TEXT NOT NULL,"
            " PRIMARY KEY (record, owner)) WITHOUT ROWID"
        )
        self._pairs: list[tuple[str, str]] = []

    def add(self, owner: str, records: Iterable[str]) -> None:
        self._pairs.extend((record, owner) for record in records)
        if len(self._pairs) >= self.BATCH:
            self._write()

    def _write(self) -> None:
        if self._pairs:
            self._db.executemany("INSERT OR IGNORE INTO mentions VALUES (?, ?)", self._pairs)
            self._pairs = []

    def owners_naming(self, record: str) -> set[str]:
        self._write()
        rows = self._db.execute("SELECT owner FROM mentions WHERE record = ?", (record,))
        return {owner for (owner,) in rows}

    def close(self) -> None:
        self._db.close()


class WarmPages:
    def __init__(self) -> None:
        self.files_of: dict | None = None
        self.identity: Any = None
        self.hashes: dict[str, dict[str, str | None]] = {}  # type -> slug -> event hash
        self.mentions: MentionTable | None = None  # made by the first page noted
        self.stale: set[str] = set()  # event hashes replaced in this build

    def follows(self, builder) -> bool:
        return builder.follows_build(self.files_of, self.identity)

    def reset(self, builder, evidence: EvidenceAsOf) -> None:
        self.files_of = None
        self.identity = builder.sink.identity
        self.hashes = {
            name: {slug: r.current_hash for slug, r in records.items()}
            for name, records in evidence.records.items()
        }
        if self.mentions is not None:
            self.mentions.close()
        self.mentions = None

    def note(self, path: str, owner: str, parts: list[str]) -> None:
        """The page at ``path`` of ``owner`` is made from ``parts`` ("type:slug@version")."""
        if self.mentions is None:
            self.mentions = MentionTable()
        self.mentions.add(owner, (part.rpartition("@")[0] for part in parts))

    def owners_naming(self, key: str) -> set[str]:
        """The owners ("type:slug") whose pages' inputs name the record ``key``."""
        return set() if self.mentions is None else self.mentions.owners_naming(key)

    def touched_owners(
        self, evidence: EvidenceAsOf, touched: set[tuple[str, str]]
    ) -> tuple[set[str], set[str]]:
        """The owners ("type:slug") whose pages to plan again, and the records gone, given
        the records an event wrote since the last build (``touched``)."""
        changed: list[tuple[str, str]] = []
        gone: set[str] = set()
        self.stale = set()
        for name, slug in touched:
            known = self.hashes.setdefault(name, {})
            record = evidence.records[name].get(slug)
            old = known.get(slug)
            if old is not None:
                self.stale.add(old)
            if record is None:
                if slug in known:
                    gone.add(f"{name}:{slug}")
            elif old != record.current_hash:
                changed.append((name, slug))
        owners: set[str] = set()
        for key in [*(f"{name}:{slug}" for name, slug in changed), *gone]:
            owners.update(self.owners_naming(key))
        for name, slug in changed:
            if name in ("trial", "topic"):
                owners.add(f"{name}:{slug}")
            if name == "topic":  # a topic's trials list it on their pages
                for section in evidence.records["topic"][slug].document.get("sections", []):
                    owners.update(f"trial:{trial}" for trial in section.get("trials", []))
        for name, slug in changed:
            self.hashes[name][slug] = evidence.records[name][slug].current_hash
        for key in gone:
            name, _, slug = key.partition(":")
            del self.hashes[name][slug]
        self.stale.discard(None)
        return owners, gone

    def plan(self, builder, evidence: EvidenceAsOf, touched: set[tuple[str, str]]) -> PendingPages:
        """The pending pages (group 0) of a warm build, whose files dict is the previous
        snapshot's, changed in place (``SnapshotBuilder.in_place``): the pages of records gone
        are removed, those that name a touched record planned again, the others kept."""
        self.files_of = None  # a build that fails from here on leaves a table none follows
        owners, gone = self.touched_owners(evidence, touched)
        record_pages = builder.record_pages
        for key in gone:
            for path in own_paths(*key.split(":", 1)):
                builder.remove(path)
        trials, topics = [], []
        for owner in sorted(owners):
            name, _, slug = owner.partition(":")
            record = evidence.records[name].get(slug)
            if record is None:
                for path in own_paths(name, slug):
                    builder.remove(path)
            else:
                (trials if name == "trial" else topics).append(record)
        to_render = []
        for path, owner, parts in page_parts(evidence, record_pages, trials, topics):
            self.note(path, owner, parts)
            inputs = builder.inputs_of(parts)
            if not builder.reuse(path, inputs):
                to_render.append((path, inputs))
        pending = PendingPages()
        pending.add_group(0, to_render)
        return pending

    def finish(self, builder) -> None:
        """After rendering: the table describes the snapshot just built."""
        self.files_of = builder.files


warm_pages = WarmPages()
