"""What each record page is made from, as a fingerprint stored in the manifest.

A page whose fingerprint equals the previous snapshot's is reused, not rendered again. The
fingerprint covers the versions of every record the page shows and the rendering code itself.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from evidence.documents import referenced_slugs

from ..selectors import EvidenceAsOf, RecordState

PUBLISHING = Path(__file__).resolve().parent.parent
EVIDENCE = PUBLISHING.parent / "evidence"


@cache
def renderer_fingerprint() -> str:
    """Changes whenever templates or rendering code change, so stale pages are not reused."""
    digest = hashlib.sha256()
    sources = sorted(
        [
            *(PUBLISHING / "jinja2").rglob("*.html"),
            *(PUBLISHING / "pages").glob("*.py"),
            *(PUBLISHING / "build").glob("*.py"),
            PUBLISHING / "templating.py",
            PUBLISHING / "formatting.py",
            # What pages call controlled values, and how changed fields are described.
            EVIDENCE / "documents" / "vocabulary.py",
            EVIDENCE / "diff.py",
        ]
    )
    for path in sources:
        digest.update(str(path.relative_to(PUBLISHING.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def inputs_fingerprint(parts: list[str]) -> str:
    digest = hashlib.sha256(renderer_fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:32]


# Records a document refers to, by the hash of the event that wrote the document (immutable):
# "type:slug" of each, NUL-joined in one string (a list of tuples of strings cost four times
# as much). Neither a type nor a slug holds a NUL. Only the last REFERENCES_CACHED records'
# are kept (oldest out first): a full plan reads each trial's again within its render group
# (for its topics' pages), and an approval re-plans a few topics' pages; kept for every record
# of the corpus, they were about 38 MB of the build process at 100,000 trials.
REFERENCES_CACHED = 8192
_references_cache: dict[str, str] = {}


def references_of(record: RecordState) -> list[tuple[str, str]]:
    """(type, slug) of each record ``record``'s document refers to, in order."""
    joined = _references_cache.get(record.current_hash) if record.current_hash else None
    if joined is None:
        joined = "\0".join(
            f"{ref_type}:{slug}"
            for ref_type, slugs in sorted(
                referenced_slugs(record.record_type, record.document).items()
            )
            for slug in sorted(slugs)
        )
        if record.current_hash:
            if len(_references_cache) >= REFERENCES_CACHED:
                del _references_cache[next(iter(_references_cache))]
            _references_cache[record.current_hash] = joined
    if not joined:
        return []
    return [tuple(reference.split(":", 1)) for reference in joined.split("\0")]


def _refs(evidence: EvidenceAsOf, record: RecordState) -> list[str]:
    """What a record's pages show of other records: "type:slug@version" of each."""
    records = evidence.records
    return [
        f"{ref_type}:{slug}@{records[ref_type][slug].version if slug in records[ref_type] else 0}"
        for ref_type, slug in references_of(record)
    ]


def trial_page_inputs(
    evidence: EvidenceAsOf, trial: RecordState, topics: list[RecordState]
) -> list[str]:
    topics = [f"topic:{t.slug}@{t.version}" for t in topics]
    return [
        f"trial:{trial.slug}@{trial.version}",
        *_refs(evidence, trial),
        *topics,
    ]


def topic_page_inputs(evidence: EvidenceAsOf, topic: RecordState) -> list[str]:
    parts = [f"topic:{topic.slug}@{topic.version}", *_refs(evidence, topic)]
    for section in topic.document.get("sections", []):
        for slug in section.get("trials", []):
            trial = evidence.get("trial", slug)
            if trial:
                parts.extend(_refs(evidence, trial))
    return parts


def forget_stale_references(live: set[str] | None, stale: set[str] = frozenset()) -> None:
    """Drop cached references of event hashes no longer current: all but ``live``, or (live
    None) those ``stale``."""
    if live is None:
        for key in stale:
            _references_cache.pop(key, None)
        return
    for key in [k for k in _references_cache if k not in live]:
        del _references_cache[key]
