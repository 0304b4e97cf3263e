"""Walking the hash chain (``manage.py verify_events``)."""

from __future__ import annotations

from dataclasses import dataclass

from .hashing import GENESIS_HASH, event_hash, hashed_fields
from .reading import iter_events


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_position: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Walk the hash chain from the first event; report the first broken link."""
    expected_prev = GENESIS_HASH
    expected_position = 1
    count = 0
    for event in iter_events():
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
    return ChainReport(count, expected_position - 1)
