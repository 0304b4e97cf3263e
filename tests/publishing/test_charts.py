"""Unit tests of the SVG charts (``publishing.pages.charts``) and of ``citation_context``.

Rows are drawn from small ``RecordState`` objects built here, with no database: what a chart
keeps and drops, how editor text is escaped, and the geometry (bar widths, log-scale x
positions, ticks, heights).
"""

from __future__ import annotations

import math
import re

import pytest
from markupsafe import Markup, escape

from publishing.pages import charts
from publishing.pages.references import citation_context
from publishing.selectors import RecordState, Version

HOSTILE_NAME = "A&B <script>alert(1)</script>"
HOSTILE_ARM = '<b onmouseover="x()">Len</b> & co'


def trial(name: str = "Trial X", *, arms=None, outcomes=()) -> RecordState:
    arms = arms or [
        {"key": "len", "label": "Lenalidomide"},
        {"key": "pbo", "label": "Placebo"},
    ]
    version = Version(1, 1, "created", None, "editor", "reviewer", "2026-01-05T03:04:00Z", "", None)
    document = {"slug": "trial-x", "name": name, "arms": arms, "outcomes": list(outcomes)}
    return RecordState("trial", "id-1", "trial-x", [version], document)


def outcome(endpoint="pfs", measure="median", unit="months", values=(), comparisons=(), **extra):
    return {
        "key": f"{endpoint}-{measure}-{unit}",
        "endpoint": endpoint,
        "measure": measure,
        "unit": unit,
        "values": list(values),
        "comparisons": list(comparisons),
        **extra,
    }


def hr(estimate, low=None, high=None, level=None, arm="len", reference_arm="pbo", **extra):
    return {
        "key": "hr",
        "kind": "hazard_ratio",
        "arm": arm,
        "reference_arm": reference_arm,
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "ci_level": level,
        **extra,
    }


def attribute(svg: str, element: str, name: str) -> list[str]:
    """Every ``name="..."`` of every ``<element ...>`` in ``svg``."""
    return [
        re.search(rf'\b{name}="([^"]*)"', tag).group(1)
        for tag in re.findall(rf"<{element}\b[^>]*>", svg)
    ]


# --- median_bar_rows ----------------------------------------------------------------------------


def test_median_bar_rows_keeps_median_pfs_and_ttp_in_time_units_only():
    record = trial(
        outcomes=[
            outcome("pfs", values=[{"arm": "len", "value": 46}, {"arm": "pbo", "value": 27.5}]),
            outcome("ttp", values=[{"arm": "len", "value": 41.2}]),
            outcome("ttp", "median", "days", values=[{"arm": "pbo", "value": 300}]),
            outcome("os", values=[{"arm": "len", "value": 111}]),
            outcome("pfs", "duration_unspecified", values=[{"arm": "len", "value": 39}]),
            outcome("pfs", "mean", values=[{"arm": "len", "value": 40}]),
            outcome("pfs", "rate_at_timepoint", "percent", values=[{"arm": "len", "value": 60}]),
            outcome("pfs", "median", "percent", values=[{"arm": "len", "value": 60}]),
            outcome("pfs", "median", "other", values=[{"arm": "len", "value": 60}]),
            outcome("orr", values=[{"arm": "len", "value": 60}]),
            outcome(None, values=[{"arm": "len", "value": 60}], title="Days to recovery"),
            outcome("pfs", subgroup="High risk", values=[{"arm": "len", "value": 20}]),
            outcome("pfs", subgroup="", values=[{"arm": "pbo", "value": 21}]),  # empty: none
        ]
    )
    rows = charts.median_bar_rows(record)
    assert [(r["value"], r["description"]) for r in rows] == [
        (46, "Trial X: Lenalidomide (PFS): 46 months"),
        (27.5, "Trial X: Placebo (PFS): 27.5 months"),
        (41.2, "Trial X: Lenalidomide (TTP): 41.2 months"),
        (300, "Trial X: Placebo (TTP): 300 days"),
        (21, "Trial X: Placebo (PFS): 21 months"),
    ]
    assert [r["unit"] for r in rows] == ["months", "months", "months", "days", "months"]
    assert [str(r["label_html"]) for r in rows] == [
        "Trial X: Lenalidomide (PFS)",
        "Trial X: Placebo (PFS)",
        "Trial X: Lenalidomide (TTP)",
        "Trial X: Placebo (TTP)",
        "Trial X: Placebo (PFS)",
    ]
    assert [str(r["text_html"]) for r in rows] == [
        "46 months",
        "27.5 months",
        "41.2 months",
        "300 days",
        "21 months",
    ]


def test_median_bar_charts_draw_one_chart_per_time_unit():
    record = trial(
        outcomes=[
            outcome("pfs", "median", "days", values=[{"arm": "len", "value": 300}]),
            outcome("ttp", values=[{"arm": "len", "value": 40}, {"arm": "pbo", "value": 20}]),
            outcome("pfs", "median", "weeks", values=[{"arm": "pbo", "value": 1}]),
        ]
    )
    charts_drawn = charts.median_bar_charts(charts.median_bar_rows(record), "bars")
    assert [(c["id"], c["title"]) for c in charts_drawn] == [
        ("bars", "Median progression-free survival or time to progression, by arm (days)"),
        ("bars-months", "Median progression-free survival or time to progression, by arm (months)"),
        ("bars-weeks", "Median progression-free survival or time to progression, by arm (weeks)"),
    ]
    # each chart is scaled on its own: 300 days and 40 months both fill the plot
    assert [attribute("".join(c["rows"]), "rect", "width") for c in charts_drawn] == [
        ["290"],
        ["290", "145"],
        ["290"],
    ]
    assert charts_drawn[2]["description"] == "Trial X: Placebo (PFS): 1 week"
    assert charts.median_bar_charts([], "bars") == []


@pytest.mark.parametrize(
    ("value", "row_value", "text"),
    [
        ({"arm": "len", "value": 53.0}, 53.0, "53 months"),
        ({"arm": "len", "value": None, "missing": "not_reached"}, None, "not reached"),
        ({"arm": "len", "missing": "not_estimable", "raw": "NE"}, None, "not estimable"),
        (
            {"arm": "len", "missing": "other", "missing_text": "too few events"},
            None,
            "too few events",
        ),
        ({"arm": "len", "value": 60, "qualifier": "more_than"}, 60, "more than 60 months"),
        ({"arm": "len", "value": 0.5, "qualifier": "about"}, 0.5, "about 0.5 months"),
        ({"arm": "gone", "value": 12}, 12, "12 months"),
    ],
)
def test_median_bar_rows_values(value, row_value, text):
    (row,) = charts.median_bar_rows(trial(outcomes=[outcome("pfs", values=[value])]))
    arm = "Lenalidomide" if value["arm"] == "len" else value["arm"]  # unknown arm: its key
    assert row["value"] == row_value
    assert row["description"] == f"Trial X: {arm} (PFS): {text}"
    assert str(row["text_html"]) == text


@pytest.mark.parametrize(
    "record",
    [
        trial(outcomes=[]),
        trial(outcomes=[outcome("pfs", values=[])]),
        trial(outcomes=[outcome("os", values=[{"arm": "len", "value": 10}])]),
        RecordState("trial", "id", "t", [], {"name": "No outcomes"}),
    ],
)
def test_median_bar_rows_none(record):
    assert charts.median_bar_rows(record) == []


def test_median_bar_rows_escape_editor_text():
    record = trial(
        HOSTILE_NAME,
        arms=[{"key": "len", "label": HOSTILE_ARM}],
        outcomes=[outcome("pfs", values=[{"arm": "len", "value": 10}])],
    )
    (row,) = charts.median_bar_rows(record)
    assert isinstance(row["label_html"], Markup)
    assert str(row["label_html"]) == (
        "A&amp;B &lt;script&gt;alert(1)&lt;/script&gt;: "
        "&lt;b onmouseover=&#34;x()&#34;&gt;Len&lt;/b&gt; &amp; co (PFS)"
    )
    # the description is plain text, escaped by the template (autoescape): never Markup
    assert not isinstance(row["description"], Markup)
    assert row["description"] == f"{HOSTILE_NAME}: {HOSTILE_ARM} (PFS): 10 months"

    chart = charts.median_bars([row], "c")
    (svg,) = chart["rows"]
    assert "<script>" not in svg and "<b " not in svg
    assert str(row["label_html"]) in svg


# --- median_bars --------------------------------------------------------------------------------


def bar_row(value, label="Arm", text="t"):
    return {
        "value": value,
        "description": f"{label}: {text}",
        "label_html": escape(label),
        "text_html": escape(text),
    }


def test_median_bars_empty():
    assert charts.median_bars([], "chart") is None


def test_median_bars_layout():
    rows = [bar_row(40, "A"), bar_row(20, "B"), bar_row(None, "C", "not reached"), bar_row(10)]
    chart = charts.median_bars(rows, "pfs-chart")
    assert chart["id"] == "pfs-chart"
    assert chart["title"] == (
        "Median progression-free survival or time to progression, by arm (months)"
    )
    assert chart["description"] == "A: t; B: t; C: not reached; Arm: t"
    assert chart["width"] == "720"
    assert chart["height"] == str(40 + 4 * 24)
    assert all(isinstance(row, Markup) for row in chart["rows"])
    svg = "".join(chart["rows"])
    # the largest value fills the plot (720 - 300 - 130 = 290), the others in proportion;
    # a value not given draws no bar at all
    assert attribute(svg, "rect", "width") == ["290", "145", "72.5"]
    assert attribute(svg, "rect", "x") == ["300", "300", "300"]
    assert attribute(svg, "rect", "y") == ["30", "54", "102"]
    # labels end at the plot; each value's text starts 6 after its bar (or after the axis)
    texts = list(zip(attribute(svg, "text", "x"), attribute(svg, "text", "y"), strict=True))
    assert texts == [
        ("292", "45"),
        ("596", "45"),
        ("292", "69"),
        ("451", "69"),
        ("292", "93"),
        ("306", "93"),
        ("292", "117"),
        ("378.5", "117"),
    ]
    assert ">C</text>" in svg and ">not reached</text>" in svg


@pytest.mark.parametrize(
    ("values", "widths"),
    [
        ([53], ["290"]),
        ([3, 7], ["124.3", "290"]),  # 290 * 3 / 7 = 124.29
        ([0.6, 100], ["1.7", "290"]),  # 290 * 0.6 / 100 = 1.74
        ([46, 46.0], ["290", "290"]),
        ([1, 1000], ["0.3", "290"]),
        ([0.1, 1000], ["290"]),  # 0.029 rounds to 0: no bar rather than a zero-width one
        ([0, 10], ["290"]),
        ([0, 0], []),  # no division by zero
        ([None, None], []),
    ],
)
def test_median_bars_widths_proportional(values, widths):
    chart = charts.median_bars([bar_row(v) for v in values], "c")
    assert attribute("".join(chart["rows"]), "rect", "width") == widths
    assert chart["height"] == str(40 + 24 * len(values))


@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_median_bars_height_grows_with_rows(n):
    chart = charts.median_bars([bar_row(i + 1) for i in range(n)], "c")
    assert chart["height"] == str(40 + 24 * n)
    assert len(chart["rows"]) == n
    assert attribute("".join(chart["rows"]), "rect", "y") == [str(30 + 24 * i) for i in range(n)]


# --- hazard_ratio_rows --------------------------------------------------------------------------


def test_hazard_ratio_rows_keeps_hazard_ratios_with_an_estimate():
    other = {**hr(0.7, 0.5, 0.9, 95), "kind": "odds_ratio"}
    no_estimate = {**hr(None), "p_value": 0.01}
    record = trial(
        outcomes=[
            outcome("pfs", comparisons=[hr(0.48, 0.36, 0.63, 95), other, no_estimate]),
            outcome(
                "os",
                "rate_at_timepoint",
                "percent",
                timepoint={"value": 36, "unit": "months"},
                treatment_phase="maintenance",
                comparisons=[hr(1.0, reference_arm="gone")],
            ),
            outcome("ttp", comparisons=[hr(2, 1.25, 3.2)]),
        ]
    )
    rows = charts.hazard_ratio_rows(record)
    assert [(r["estimate"], r["low"], r["high"]) for r in rows] == [
        (0.48, 0.36, 0.63),
        (1.0, None, None),
        (2, 1.25, 3.2),
    ]
    assert [r["description"] for r in rows] == [
        "Trial X: Progression-free survival, Lenalidomide vs Placebo: "
        "hazard ratio 0.48 (95% CI 0.36 to 0.63)",
        "Trial X: Overall survival at 36 months (maintenance), Lenalidomide vs gone: "
        "hazard ratio 1",
        "Trial X: Time to progression, Lenalidomide vs Placebo: hazard ratio 2 (CI 1.25 to 3.2)",
    ]
    assert [str(r["text_html"]) for r in rows] == [
        "0.48 (95% CI 0.36 to 0.63)",
        "1",
        "2 (CI 1.25 to 3.2)",
    ]
    assert str(rows[0]["label_html"]) == (
        "Trial X: Progression-free survival, Lenalidomide vs Placebo"
    )


@pytest.mark.parametrize(
    ("comparison", "text"),
    [
        (hr(0.48, 0.36, 0.63, 95), "0.48 (95% CI 0.36 to 0.63)"),
        (hr(0.5, 0.4, 1.0, 95.0), "0.5 (95% CI 0.4 to 1)"),
        (hr(0.0001, 0.00001, 0.001), "0.0001 (CI 0.00001 to 0.001)"),
        (hr(0.75, None, 0.9, 95), "0.75"),  # one bound: no half interval
        (hr(0.75, 0.6, None, 95), "0.75"),
        (hr(0.75, level=95), "0.75"),
    ],
)
def test_hazard_ratio_rows_text(comparison, text):
    (row,) = charts.hazard_ratio_rows(trial(outcomes=[outcome(comparisons=[comparison])]))
    assert str(row["text_html"]) == text
    assert row["description"].endswith(f": hazard ratio {text}")


def test_hazard_ratio_rows_none():
    assert charts.hazard_ratio_rows(trial()) == []
    assert charts.hazard_ratio_rows(trial(outcomes=[outcome(comparisons=[hr(None)])])) == []


def test_hazard_ratio_rows_escape_editor_text():
    record = trial(
        HOSTILE_NAME,
        arms=[{"key": "len", "label": HOSTILE_ARM}, {"key": "pbo", "label": "P&O"}],
        outcomes=[outcome(comparisons=[hr(0.5, 0.4, 0.7, 95)])],
    )
    (row,) = charts.hazard_ratio_rows(record)
    assert isinstance(row["label_html"], Markup)
    assert str(row["label_html"]) == (
        "A&amp;B &lt;script&gt;alert(1)&lt;/script&gt;: Progression-free survival, "
        "&lt;b onmouseover=&#34;x()&#34;&gt;Len&lt;/b&gt; &amp; co vs P&amp;O"
    )
    assert not isinstance(row["description"], Markup)
    assert HOSTILE_NAME in row["description"]
    (svg,) = charts.forest_plot([row], "f")["rows"]
    assert "<script>" not in svg and "<b " not in svg
    assert str(row["label_html"]) in svg


def test_hazard_ratio_rows_keep_the_qualifier():
    comparison = hr(0.5, 0.3, 0.8, 95, qualifier="less_than")
    (row,) = charts.hazard_ratio_rows(trial(outcomes=[outcome(comparisons=[comparison])]))
    assert str(row["text_html"]).startswith("less than 0.5")
    assert "hazard ratio less than 0.5" in row["description"]


def test_hazard_ratio_rows_do_not_pass_a_subgroup_off_as_everyone():
    record = trial(
        outcomes=[
            outcome("pfs", comparisons=[hr(0.5, 0.4, 0.6, 95)]),
            outcome("pfs", subgroup="High-risk cytogenetics", comparisons=[hr(0.9, 0.6, 1.3)]),
        ]
    )
    rows = charts.hazard_ratio_rows(record)
    labels = [str(row["label_html"]) for row in rows]
    assert len(set(labels)) == len(labels), labels
    for row in rows:
        if row["estimate"] == 0.9:
            assert "High-risk cytogenetics" in row["description"]


# --- forest_plot --------------------------------------------------------------------------------


def forest_row(estimate, low=None, high=None, label="Row"):
    return {
        "estimate": estimate,
        "low": low,
        "high": high,
        "description": f"{label}: hazard ratio {estimate}",
        "label_html": escape(label),
        "text_html": escape(str(estimate)),
    }


def log_x(value, lo, hi, left=300, right=570):
    """Where ``value`` sits on a log axis from ``lo`` at ``left`` to ``hi`` at ``right``."""
    return left + (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo)) * (right - left)


def forest_positions(chart):
    svg = "".join(chart["rows"])
    return {
        "centre": [float(x) for x in attribute(svg, "rect", "x")],
        "x1": [float(x) for x in attribute(svg, "line", "x1")],
        "x2": [float(x) for x in attribute(svg, "line", "x2")],
        "y": [int(y) for y in attribute(svg, "line", "y1")],
    }


def test_forest_plot_empty():
    assert charts.forest_plot([], "f") is None


def test_forest_plot_symmetric_log_scale():
    # the range is 0.25 / 1.25 = 0.2 to 4 * 1.25 = 5, symmetric about 1 on a log scale,
    # so 1 is in the middle of the plot (300 to 570) and 0.5 and 2 are mirror images
    rows = [forest_row(0.5, 0.25, 1, "A"), forest_row(2, 1, 4, "B")]
    chart = charts.forest_plot(rows, "forest")
    assert chart["id"] == "forest"
    assert chart["title"] == (
        "Hazard ratios with confidence intervals (values below 1 favour the first arm)"
    )
    assert chart["description"] == "A: hazard ratio 0.5; B: hazard ratio 2"
    assert chart["one_x"] == "435"
    assert chart["width"] == "720"
    assert chart["height"] == str(60 + 2 * 24)
    assert chart["axis_y"] == str(60 + 2 * 24 - 22)
    assert chart["top"] == "24"
    assert chart["ticks"] == [
        {"x": "318.7", "label": "0.25"},
        {"x": "376.9", "label": "0.5"},
        {"x": "435", "label": "1"},
        {"x": "493.1", "label": "2"},
        {"x": "551.3", "label": "4"},
    ]
    positions = forest_positions(chart)
    assert positions == {
        "centre": [376.9, 493.1],
        "x1": [318.7, 435.0],
        "x2": [435.0, 551.3],
        "y": [42, 66],
    }
    svg = "".join(chart["rows"])
    assert attribute(svg, "text", "x")[1::2] == ["578", "578"]  # value texts right of the plot


@pytest.mark.parametrize(
    "rows",
    [
        [forest_row(0.48, 0.36, 0.63)],
        [forest_row(0.5, 0.4, 0.8), forest_row(0.75, 0.6, 0.95), forest_row(1.3, 0.9, 1.9)],
        [forest_row(0.05, 0.01, 0.2), forest_row(8, 3, 20)],
        [forest_row(1.0, 0.8, 1.25)],
        [forest_row(3.5, 2.2, 5.6)],
        [forest_row(0.7)],  # no interval
    ],
)
def test_forest_plot_positions_on_a_log_scale(rows):
    chart = charts.forest_plot(rows, "f")
    values = [v for r in rows for v in (r["estimate"], r["low"], r["high"]) if v]
    lo, hi = min([*values, 1.0]) / 1.25, max([*values, 1.0]) * 1.25
    one_x = float(chart["one_x"])
    assert one_x == pytest.approx(log_x(1.0, lo, hi), abs=0.051)
    assert 300 < one_x < 570  # 1 is always drawn, inside the plot

    positions = forest_positions(chart)
    for i, row in enumerate(rows):
        centre = positions["centre"][i]
        assert centre == pytest.approx(log_x(row["estimate"], lo, hi), abs=0.051)
        # below 1 is left of the line of no effect, above 1 right of it
        if row["estimate"] < 1:
            assert centre < one_x
        elif row["estimate"] > 1:
            assert centre > one_x
        else:
            assert centre == one_x
        low, high = row["low"] or row["estimate"], row["high"] or row["estimate"]
        assert positions["x1"][i] == pytest.approx(log_x(low, lo, hi), abs=0.051)
        assert positions["x2"][i] == pytest.approx(log_x(high, lo, hi), abs=0.051)
        assert 300 < positions["x1"][i] <= centre <= positions["x2"][i] < 570
        assert positions["y"][i] == 30 + 24 * i + 12

    # ticks only within the drawn range, each where its value belongs
    assert [t["label"] for t in chart["ticks"]] == [
        label
        for t, label in ((0.25, "0.25"), (0.5, "0.5"), (1, "1"), (2, "2"), (4, "4"))
        if lo <= t <= hi
    ]
    for tick in chart["ticks"]:
        assert 300 <= float(tick["x"]) <= 570
        assert float(tick["x"]) == pytest.approx(log_x(float(tick["label"]), lo, hi), abs=0.051)


@pytest.mark.parametrize(
    ("rows", "ticks"),
    [
        ([forest_row(0.5, 0.4, 0.8)], ["0.5", "1"]),  # 0.32 to 1.25
        ([forest_row(0.48, 0.36, 0.63)], ["0.5", "1"]),  # 0.288 to 1.25
        ([forest_row(0.25, 0.2, 0.3)], ["0.25", "0.5", "1"]),  # 0.16 to 1.25
        ([forest_row(1.0)], ["1"]),  # 0.8 to 1.25
        ([forest_row(1.6, 1.2, 3.3)], ["1", "2", "4"]),  # 0.8 to 4.125
        ([forest_row(0.05, 0.01, 0.2), forest_row(8, 3, 20)], ["0.25", "0.5", "1", "2", "4"]),
    ],
)
def test_forest_plot_ticks_only_within_range(rows, ticks):
    assert [t["label"] for t in charts.forest_plot(rows, "f")["ticks"]] == ticks


def test_forest_plot_equal_log_steps_are_equal_distances():
    chart = charts.forest_plot([forest_row(0.5, 0.25, 1), forest_row(2, 1, 4)], "f")
    xs = [float(t["x"]) for t in chart["ticks"]]
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert steps == pytest.approx([steps[0]] * 4, abs=0.11)


def test_forest_plot_one_bound_draws_from_the_estimate():
    chart = charts.forest_plot([forest_row(0.5, None, 0.8), forest_row(0.5, 0.4, None)], "f")
    positions = forest_positions(chart)
    assert positions["x1"][0] == positions["centre"][0] < positions["x2"][0]
    assert positions["x1"][1] < positions["centre"][1] == positions["x2"][1]


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_forest_plot_height_grows_with_rows(n):
    chart = charts.forest_plot([forest_row(0.5 + i / 100, 0.4, 0.9) for i in range(n)], "f")
    assert chart["height"] == str(60 + 24 * n)
    assert chart["axis_y"] == str(60 + 24 * n - 22)
    assert len(chart["rows"]) == n
    assert forest_positions(chart)["y"] == [42 + 24 * i for i in range(n)]


# --- citation_context ---------------------------------------------------------------------------

FULL_CITATION = {
    "slug": "attal-2012-nejm",
    "kind": "article",
    "title": "Lenalidomide Maintenance after Stem-Cell Transplantation for Multiple Myeloma",
    "authors": ["Attal M", "Lauwers-Cances V", "Marit G"],
    "authors_et_al": True,
    "journal": "N Engl J Med",
    "year": 2012,
    "volume": "366",
    "issue": "19",
    "pages": "1782-1791",
    "published_on": "10 May 2012",
    "doi": "10.1056/NEJMoa1114138",
    "pmid": "22571201",
    "url": "https://www.nejm.org/doi/full/10.1056/NEJMoa1114138",
    "note": "Reference 1 in the article's list.",
}


def test_citation_context_full():
    context = citation_context(FULL_CITATION)
    where = context.pop("where")  # its exact form: see the cases below
    assert context == {
        "title": FULL_CITATION["title"],
        "authors": "Attal M, Lauwers-Cances V, Marit G, et al.",
        "published_on": "10 May 2012",
        "doi": "10.1056/NEJMoa1114138",
        "doi_href": "https://doi.org/10.1056/NEJMoa1114138",
        "pmid": "22571201",
        "url": "https://www.nejm.org/doi/full/10.1056/NEJMoa1114138",
        "note": "Reference 1 in the article's list.",
    }
    assert where.startswith("N Engl J Med 2012 366")
    assert where.endswith("1782-1791")


@pytest.mark.parametrize(
    ("authors", "et_al", "expected"),
    [
        # the author list ends with a full stop, with or without "et al."
        (["Attal M"], False, "Attal M."),
        (["Badros AZ"], False, "Badros AZ."),
        (["Attal M", "Marit G"], False, "Attal M, Marit G."),
        (["Attal M", "Smith J."], False, "Attal M, Smith J."),  # never two full stops
        (["Attal M", "Marit G"], True, "Attal M, Marit G, et al."),
        ([], True, "et al."),
        (None, True, "et al."),
        ([], False, ""),
        (None, False, ""),
    ],
)
def test_citation_context_authors(authors, et_al, expected):
    doc = {"title": "T", "authors": authors, "authors_et_al": et_al}
    assert citation_context(doc)["authors"] == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({"journal": "Lancet Oncol", "year": 2019, "volume": "20", "issue": "1"}, None),
        ({"journal": "Lancet Oncol", "year": 2019}, "Lancet Oncol 2019"),
        ({"journal": "Lancet Oncol"}, "Lancet Oncol"),
        ({"year": 2019}, "2019"),
        ({"journal": "J Clin Oncol", "year": 2017, "volume": "35"}, "J Clin Oncol 2017 35"),
        ({"journal": None, "year": None, "volume": None, "issue": None, "pages": None}, ""),
        ({"journal": "", "volume": ""}, ""),
        ({}, ""),
    ],
)
def test_citation_context_where(parts, expected):
    where = citation_context({"title": "T", **parts})["where"]
    if expected is None:  # volume and issue: "20 (1)" or "20(1)" both read well
        assert where in ("Lancet Oncol 2019 20 (1)", "Lancet Oncol 2019 20(1)")
    else:
        assert where == expected


@pytest.mark.parametrize(
    "parts",
    [
        {"journal": "N Engl J Med", "year": 2012, "volume": "366", "issue": "19"},
        {"journal": "N Engl J Med", "year": 2012, "volume": "366"},
    ],
)
def test_citation_context_pages_without_a_space_before_the_colon(parts):
    where = citation_context({"title": "T", **parts, "pages": "1782-1791"})["where"]
    assert " : " not in where
    assert "366" in where and where.endswith("1782-1791")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2"),
        ("http://example.org/", "http://example.org/"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        (None, None),
    ],
)
def test_citation_context_url_only_http(url, expected):
    assert citation_context({"title": "T", "url": url})["url"] == expected


def test_citation_context_minimal():
    assert citation_context({"title": "Only a title"}) == {
        "title": "Only a title",
        "authors": "",
        "where": "",
        "published_on": None,
        "doi": None,
        "doi_href": None,
        "pmid": None,
        "url": None,
        "note": None,
    }
