"""The table issue 16 asks `make bench` to print: each figure beside the peer or floor measured
in the same run, their ratio, the target and whether it is met.

``rows(figures)`` reads what the benchmarks returned (``{"eventstore": {...}, ...}``, those
run this time; a benchmark not run gives no rows) and ``table(figures)`` lays the rows out as
Markdown, so the printout can be pasted into an issue note as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from bench.bench_eventstore import (
    TARGET_APPEND_TO_FLOOR,
    TARGET_APPROVE_TO_PEER,
    TARGET_BATCH_EVENTS_PER_SECOND,
    TARGET_PROPOSE_APPROVE,
)
from bench.bench_publishing import TARGET_APPROVAL_TO_SERVED, TARGET_FLOOR_FACTOR, TARGET_PEAK_MB
from bench.bench_reads import TARGET_REQUESTS_PER_SECOND


class Row(NamedTuple):
    figure: str
    ours: Any
    theirs: Any  # the peer's or the floor's figure, measured in the same run
    which: str  # what ``theirs`` is
    ratio: float | None
    target: str
    met: bool | None  # None: no target, or not measured


def _ratio(ours, theirs) -> float | None:
    return round(ours / theirs, 2) if ours is not None and theirs else None


def _eventstore(r: dict) -> Iterator[Row]:
    approve, append = r.get("approve", {}), r.get("append", {})
    batch, log = r.get("batch_approval", {}), r.get("log_read", {})
    peer = approve.get("peer_read_modify_save_ms")
    ratio = approve.get("ratio_to_peer")
    yield Row(
        "approve one change request (ms)", approve.get("approve_ms"), peer,
        "peer read-modify-save", ratio, f"<= {TARGET_APPROVE_TO_PEER}x peer",
        None if ratio is None else ratio <= TARGET_APPROVE_TO_PEER,
    )  # fmt: skip
    per_second = approve.get("propose_approve_per_second")
    yield Row(
        "propose + approve per second", per_second, None, "", None,
        f">= {TARGET_PROPOSE_APPROVE}/s",
        None if per_second is None else per_second >= TARGET_PROPOSE_APPROVE,
    )  # fmt: skip
    # The service's throughput: processes at once, each on trials of its own, beside the
    # serial figure of the same run.
    for figure in r.get("concurrent", []):
        rate = figure.get("propose_approve_per_second")
        yield Row(
            f"propose + approve per second, {figure.get('workers')} processes", rate,
            per_second, "serial, same run", _ratio(rate, per_second),
            f">= {TARGET_PROPOSE_APPROVE}/s",
            None if rate is None else rate >= TARGET_PROPOSE_APPROVE,
        )  # fmt: skip
    floor_ratio = append.get("ratio_to_floor")
    yield Row(
        "append, one per transaction (ms)", append.get("ours_ms"), append.get("floor_ms"),
        "the same SQL by hand", floor_ratio, f"<= {TARGET_APPEND_TO_FLOOR}x floor",
        None if floor_ratio is None else floor_ratio <= TARGET_APPEND_TO_FLOOR,
    )  # fmt: skip
    events = batch.get("events_per_second")
    yield Row(
        f"batch approval of {batch.get('requests')} requests (events/s)", events, None, "",
        None, f">= {TARGET_BATCH_EVENTS_PER_SECOND}/s",
        None if events is None else events >= TARGET_BATCH_EVENTS_PER_SECOND,
    )  # fmt: skip
    log_ratio = log.get("ratio_to_peer")
    yield Row(
        f"whole-log read, {log.get('events')} events (s)", log.get("ours_seconds"),
        log.get("peer_seconds"), "peer select_notifications + decode", log_ratio,
        "<= 1x peer", None if log_ratio is None else log_ratio <= 1.0,
    )  # fmt: skip


def _publishing(r: dict) -> Iterator[Row]:
    trials = r.get("trials")
    served = r.get("approval_to_served_seconds")
    yield Row(
        f"approval -> served, warm worker, {trials} trials (s)", _round(served), None, "",
        None, f"< {TARGET_APPROVAL_TO_SERVED} s",
        None if served is None else served < TARGET_APPROVAL_TO_SERVED,
    )  # fmt: skip
    full, floor = r.get("full_seconds"), r.get("floor_seconds")
    ratio = _ratio(full, floor)
    yield Row(
        f"full publication, {trials} trials (s)", _round(full), _round(floor),
        "orjson and write the same bytes", ratio, f"<= {TARGET_FLOOR_FACTOR}x floor",
        None if ratio is None else ratio <= TARGET_FLOOR_FACTOR,
    )  # fmt: skip
    for name, key in (
        ("full publication", "full_peak_mb"),
        ("full publication, largest renderer", "full_children_peak_mb"),
        ("approval and incremental publication", "incremental_peak_mb"),
    ):
        peak = r.get(key)
        yield Row(
            f"peak memory, {name}, {trials} trials (MB)", _round(peak, 0), None, "", None,
            f"< {TARGET_PEAK_MB} MB", None if peak is None else peak < TARGET_PEAK_MB,
        )  # fmt: skip


def _reads(r: dict) -> Iterator[Row]:
    cached = r.get("cached", {})
    healthz = cached.get("healthz", {}).get("requests_per_second")
    for name, path in (("trials", "/api/v1/trials/"), ("events", "/api/v1/events/?after=0")):
        rate = cached.get(name, {}).get("requests_per_second")
        yield Row(
            f"GET {path}, cached, 3 workers (req/s)", _round(rate, 0), _round(healthz, 0),
            "/healthz on the same server", _ratio(rate, healthz),
            f">= {TARGET_REQUESTS_PER_SECOND}/s",
            None if rate is None else rate >= TARGET_REQUESTS_PER_SECOND,
        )  # fmt: skip


SECTIONS = {"eventstore": _eventstore, "publishing": _publishing, "reads": _reads}


def _round(value, digits: int = 2):
    return None if value is None else round(value, digits)


def rows(figures: dict[str, dict]) -> list[Row]:
    out: list[Row] = []
    for name, section in SECTIONS.items():
        result = figures.get(name)
        if result and "skipped" not in result:
            out.extend(section(result))
    return out


def table(figures: dict[str, dict]) -> str:
    """The rows as a Markdown table ('' when no benchmark with targets ran)."""
    found = rows(figures)
    if not found:
        return ""

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "met" if value else "missed"
        return str(value)

    lines = [
        "| figure | ours | peer or floor | which | ratio | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in found]
    return "\n".join(lines)
