"""`make bench`'s closing table: each figure beside its peer or floor, the ratio, the target and
whether it is met, from what the benchmarks returned."""

from bench.summary import rows, table

EVENTSTORE = {
    "approve": {
        "approve_ms": 6.0,
        "peer_read_modify_save_ms": 1.5,
        "ratio_to_peer": 4.0,
        "propose_approve_per_second": 250.0,
    },
    "append": {"ours_ms": 0.65, "floor_ms": 0.5, "ratio_to_floor": 1.3},
    "batch_approval": {"requests": 300, "events_per_second": 1999},
    "log_read": {"events": 2000, "ours_seconds": 0.1, "peer_seconds": 0.11, "ratio_to_peer": 0.91},
}
PUBLISHING = {
    "trials": 10000,
    "approval_to_served_seconds": 0.36,
    "full_seconds": 100.0,
    "floor_seconds": 20.0,
    "full_peak_mb": 511.9,
    "full_children_peak_mb": 300.0,
    "incremental_peak_mb": 512.0,
}
READS = {
    "cached": {
        "healthz": {"requests_per_second": 1200.0},
        "trials": {"requests_per_second": 1000.0},
        "events": {"requests_per_second": 600.0},
    }
}


def by_figure(found):
    return {row.figure.split(",")[0].split(" (")[0]: row for row in found}


def test_each_target_is_judged_at_its_bound():
    found = by_figure(rows({"eventstore": EVENTSTORE, "publishing": PUBLISHING, "reads": READS}))

    assert found["approve one change request"].met is False  # 4x, the target is 3x
    assert found["approve one change request"].theirs == 1.5
    assert found["propose + approve per second"].met is True
    assert found["append"].met is True  # exactly 1.3x is within 1.3x
    assert found["batch approval of 300 requests"].met is False  # one short of 2,000
    assert found["whole-log read"].met is True
    assert found["approval -> served"].met is True
    full = found["full publication"]
    assert (full.ratio, full.met) == (5.0, True)
    peaks = [row for row in rows({"publishing": PUBLISHING}) if row.figure.startswith("peak")]
    assert [row.met for row in peaks] == [True, True, False]  # 512 MB is not under 512 MB
    reads = [row for row in rows({"reads": READS})]
    assert [(row.ratio, row.met) for row in reads] == [(0.83, True), (0.5, False)]


def test_a_benchmark_not_run_or_skipped_gives_no_rows_and_missing_figures_no_verdict():
    assert rows({}) == [] and table({}) == ""
    assert rows({"publishing": {"skipped": "needs PostgreSQL"}}) == []
    no_peer = {**EVENTSTORE, "approve": {"approve_ms": 6.0}}  # the peer was not installed
    approve = rows({"eventstore": no_peer})[0]
    assert (approve.theirs, approve.ratio, approve.met) == (None, None, None)


def test_the_table_is_markdown_with_one_line_a_figure():
    printed = table({"eventstore": EVENTSTORE}).splitlines()

    assert printed[0].startswith("| figure | ours | peer or floor |")
    assert len(printed) == 2 + len(rows({"eventstore": EVENTSTORE}))
    approve = printed[2].split(" | ")
    assert approve[1:4] == ["6.0", "1.5", "peer read-modify-save"]
    assert approve[-1] == "missed |"


def test_each_concurrent_figure_stands_beside_the_serial_one_of_the_same_run():
    concurrent = [
        {"workers": 2, "propose_approve_per_second": 120.0},
        {"workers": 4, "propose_approve_per_second": 200.0},
    ]
    serial = {**EVENTSTORE["approve"], "propose_approve_per_second": 80.0}
    found = rows({"eventstore": {**EVENTSTORE, "approve": serial, "concurrent": concurrent}})
    names = [row.figure for row in found]

    at = names.index("propose + approve per second")
    assert names[at + 1 : at + 3] == [
        "propose + approve per second, 2 processes",
        "propose + approve per second, 4 processes",
    ]
    two, four = found[at + 1], found[at + 2]
    assert (two.theirs, two.which, two.ratio, two.met) == (80.0, "serial, same run", 1.5, False)
    assert (four.ratio, four.met) == (2.5, True)  # 200/s meets the target of 200/s
