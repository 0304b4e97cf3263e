"""Walking the hash chain (``manage.py verify_events``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from evidence.documents import UpcastError, schema_version_of

from .hashing import GENESIS_HASH, event_hash, hashed_fields
from .reading import iter_events


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_position: int
    broken_at: int | None = None
    problem: str = ""
    # With upcast=True: how many events each schema version has, and the first event whose
    # document or changes cannot be turned into the current version.
    versions: dict[int, int] = field(default_factory=dict)
    upcast_failed_at: int | None = None
    upcast_problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.upcast_failed_at is None


def verify_chain(*, upcast: bool = False) -> ChainReport:
    """Walk the hash chain from the first event; report the first broken link. With
    ``upcast``, also turn every document and its changes into the current schema version and
    report the first event that cannot be (the hashes are always of what was recorded)."""
    expected_prev = GENESIS_HASH
    expected_position = 1
    count = 0
    versions: Counter[int] = Counter()
    failed_at, failure = None, ""
    for event in iter_events():
        if upcast and failed_at is None:
            try:
                if event.document is not None:
                    versions[schema_version_of(event.document)] += 1
                event.upcast_document  # noqa: B018 - computing it is the check
                event.upcast_changes  # noqa: B018
            except UpcastError as exc:
                failed_at = event.position
                failure = f"{event.stream_type} {event.slug!r} version {event.version}: {exc}"
        problem = None
        if event.position != expected_position:
            problem = f"gap: expected position {expected_position}, found {event.position}"
        elif event.prev_hash != expected_prev:
            problem = "prev_hash does not match the hash of the event before it"
        elif event_hash(hashed_fields(event), event.prev_hash) != event.hash:
            problem = "content does not match its hash (the event was altered)"
        if problem:
            return ChainReport(count, expected_position - 1, event.position, problem)
        expected_prev = event.hash
        expected_position += 1
        count += 1
    return ChainReport(
        count,
        expected_position - 1,
        versions=dict(sorted(versions.items())),
        upcast_failed_at=failed_at,
        upcast_problem=failure,
    )
