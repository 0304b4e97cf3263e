"""Unit tests of the SVG charts (``publishing.pages.charts``) and of ``citation_context``.

Charts are drawn from small ``RecordState`` objects built here, with no database: what a chart
keeps and drops, how editor text is escaped, and the geometry (a 320-unit phone width, bar
widths, log and linear x positions, ticks, heights).
"""

from __future__ import annotations

import math
import re

import pytest
from markupsafe import Markup

from publishing.pages import charts
from publishing.pages.references import citation_context
from publishing.selectors import RecordState, Version

HOSTILE_NAME = "A&B <script>alert(1)</script>"
HOSTILE_ARM = '<b onmouseover="x()">Len</b> & co'
ARMS = {"len": "Lenalidomide", "pbo": "Placebo"}


def arm_label(key):
    return ARMS.get(key, key)


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


def difference(estimate, low=None, high=None, unit="months", **extra):
    return {**hr(estimate, low, high, 95), "kind": "absolute_difference", "unit": unit, **extra}


def attribute(svg: str, element: str, name: str) -> list[str]:
    """Every ``name="..."`` of every ``<element ...>`` in ``svg``."""
    return [
        re.search(rf'\b{name}="([^"]*)"', tag).group(1)
        for tag in re.findall(rf"<{element}\b[^>]*>", svg)
    ]


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def values(*numbers):
    keys = ["len", "pbo", "third"]
    return [{"arm": keys[i], "value": n} for i, n in enumerate(numbers)]


# --- outcome_bars -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "unit"),
    [
        ("median", "months"),
        ("median", "days"),
        ("duration_unspecified", "months"),
        ("mean", "weeks"),
        ("rate_at_timepoint", "percent"),
        ("proportion", "percent"),
    ],
)
def test_outcome_bars_draw_durations_rates_and_proportions(measure, unit):
    chart = charts.outcome_bars(outcome("pfs", measure, unit, values(46, 23)), arm_label, "c")
    assert chart["id"] == "c" and chart["width"] == "320"
    assert len(chart["rows"]) == 2 and all(isinstance(r, Markup) for r in chart["rows"])


@pytest.mark.parametrize(
    "drawn",
    [
        outcome("pfs", "event_count", "count", values(25, 10)),  # counts of unequal arms
        outcome("pfs", "median", "other", values(25, 10)),
        outcome("pfs", "number", "percent", values(25, 10)),
        outcome("pfs", "median", "months", values(25)),  # one arm: nothing to compare
        outcome("pfs", "median", "months", []),
        outcome("pfs", "median", "months", [{"arm": "len", "missing": "not_reached"}] * 2),
        outcome("pfs", "median", "months", values(-2, 4)),
    ],
)
def test_outcome_bars_none(drawn):
    assert charts.outcome_bars(drawn, arm_label, "c") is None


def test_outcome_bars_scale_durations_to_the_longest_and_percentages_to_100():
    months = charts.outcome_bars(outcome("pfs", "median", "months", values(46, 23)), arm_label, "c")
    assert attribute("".join(months["rows"]), "rect", "width") == ["304", "152"]
    assert months["title"] == "Progression-free survival, by arm (bars to scale)"
    percent = charts.outcome_bars(
        outcome("os", "proportion", "percent", values(4, 3)), arm_label, "c"
    )
    assert attribute("".join(percent["rows"]), "rect", "width") == ["12.2", "9.1"]
    assert percent["title"].endswith("(bars to scale, 0 to 100%)")


def test_outcome_bars_label_each_bar_above_it_with_the_result_in_words():
    drawn = outcome(
        "os",
        values=[{"arm": "len", "missing": "not_reached"}, {"arm": "pbo", "value": 76}],
        subgroup="High risk",
    )
    chart = charts.outcome_bars(drawn, arm_label, "c")
    svg = "".join(chart["rows"])
    assert texts(svg) == ["Lenalidomide: median not reached", "Placebo: median 76 months"]
    # no bar for the value not given; each label line 18 units, bar 12, gap 10
    assert attribute(svg, "text", "y") == ["18", "58"]
    assert attribute(svg, "rect", "y") == ["62"] and attribute(svg, "rect", "x") == ["8"]
    assert chart["height"] == str(4 + 2 * (18 + 12 + 10))
    assert chart["description"] == "Lenalidomide: median not reached; Placebo: median 76 months"
    assert "(subgroup: High risk)" in chart["title"]


def test_outcome_bars_wrap_long_labels_within_the_phone_width():
    long_arm = "Revlimid maintenance after autologous stem-cell transplantation"
    chart = charts.outcome_bars(outcome("pfs", values=values(40, 20)), {"len": long_arm}.get, "c")
    svg = "".join(chart["rows"])
    lines = texts(svg)
    assert len(lines) > 2 and all(len(line) <= charts.WRAP for line in lines)
    assert " ".join(lines[:-1]) == f"{long_arm}: median 40 months"
    assert all(float(w) <= 304 for w in attribute(svg, "rect", "width"))


def test_outcome_bars_escape_editor_text():
    chart = charts.outcome_bars(
        outcome("pfs", values=values(10, 5)), {"len": HOSTILE_ARM, "pbo": "P&O"}.get, "c"
    )
    svg = "".join(chart["rows"])
    assert "<b " not in svg and "&lt;b onmouseover=" in svg and "P&amp;O" in svg
    # the description is plain text, escaped by the template (autoescape): never Markup
    assert not isinstance(chart["description"], Markup)
    assert HOSTILE_ARM in chart["description"]


# --- effect_rows --------------------------------------------------------------------------------


def test_effect_rows_keep_every_estimate_with_a_number():
    record = trial(
        outcomes=[
            outcome(
                "pfs",
                comparisons=[
                    hr(0.48, 0.36, 0.63, 95),
                    hr(None, p_value=0.01),  # no number: not an estimate
                    {**hr(None), "kind": "not_stated", "significant": True},
                    difference(13.5),
                ],
            ),
            outcome("os", subgroup="High risk", comparisons=[hr(0.9, 0.6, 1.3)]),
        ]
    )
    rows = charts.effect_rows(record)
    assert [(r["measure"], r["estimate_text"], r["interval_text"], r["plotted"]) for r in rows] == [
        ("Hazard ratio", "0.48", "95% CI 0.36 to 0.63", True),
        ("Absolute difference", "13.5 months", "no confidence interval given", False),
        ("Hazard ratio", "0.9", "CI 0.6 to 1.3", True),
    ]
    assert [r["scale"] for r in rows] == ["ratio", "absolute_difference:months", "ratio"]
    assert rows[0]["description"] == (
        "Trial X: Progression-free survival, Lenalidomide vs Placebo: "
        "hazard ratio 0.48 (95% CI 0.36 to 0.63)"
    )
    # a subgroup's estimate never reads as the whole population's
    assert rows[2]["outcome"] == "Overall survival (High risk)"
    assert (rows[1]["low"], rows[1]["high"]) == (None, None)


@pytest.mark.parametrize(
    "comparison",
    [
        hr(0.75, None, 0.9, 95),  # one bound: never half an interval
        hr(0.75, 0.6, None, 95),
        hr(0.75, 0, 0.9, 95),  # a ratio's bound of 0 has no place on a log scale
    ],
)
def test_effect_rows_plot_only_whole_intervals(comparison):
    (row,) = charts.effect_rows(trial(outcomes=[outcome(comparisons=[comparison])]))
    assert not row["plotted"]
    assert charts.forest_plots([row], "f") == []


def test_effect_rows_keep_the_qualifier():
    comparison = hr(0.5, 0.3, 0.8, 95, qualifier="less_than")
    (row,) = charts.effect_rows(trial(outcomes=[outcome(comparisons=[comparison])]))
    assert row["estimate_text"] == "less than 0.5"
    assert "hazard ratio less than 0.5" in row["description"]


# --- forest plots -------------------------------------------------------------------------------


def effect(estimate, low, high, scale="ratio", label="Row"):
    return {
        "trial": label,
        "outcome": "PFS",
        "arms": "A vs B",
        "measure": "Hazard ratio" if scale == "ratio" else "Absolute difference",
        "estimate_text": str(estimate),
        "interval_text": f"95% CI {low} to {high}",
        "scale": scale,
        "estimate": estimate,
        "low": low,
        "high": high,
        "plotted": True,
        "description": f"{label}: {estimate}",
    }


def log_x(value, lo, hi, left=8, right=312):
    return left + (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo)) * (right - left)


def intervals(chart):
    """(x1, x2, centre) of each row's interval: the solid lines (the dashed ones mark 1 or 0)."""
    svg = "".join(chart["rows"])
    solid = [tag for tag in re.findall(r"<line\b[^>]*>", svg) if "dasharray" not in tag]
    return [
        (float(attribute(tag, "line", "x1")[0]), float(attribute(tag, "line", "x2")[0]), centre)
        for tag, centre in zip(solid, map(float, attribute(svg, "rect", "x")), strict=True)
    ]


def test_forest_plots_one_per_scale_of_the_plotted_rows():
    rows = [
        effect(0.5, 0.3, 0.8),
        effect(4, 1, 7, "absolute_difference:months"),
        {**effect(0.7, None, None), "plotted": False},
        effect(1.2, 0.9, 1.6),
    ]
    drawn = charts.forest_plots(rows, "forest")
    assert [c["id"] for c in drawn] == ["forest", "forest-2"]
    assert [len(c["rows"]) for c in drawn] == [2, 1]
    assert drawn[0]["ratio"] and not drawn[1]["ratio"]
    assert drawn[0]["title"] == "Ratios (log scale) with confidence intervals"
    assert drawn[1]["title"] == "Absolute difference with confidence intervals"
    assert charts.forest_plots([], "f") == []
    assert charts.forest_plot([], "f") is None


def test_forest_plot_symmetric_log_scale():
    # 0.25 / 1.25 = 0.2 to 4 * 1.25 = 5: symmetric about 1, which sits mid-plot (8 to 312)
    chart = charts.forest_plot([effect(0.5, 0.25, 1, label="A"), effect(2, 1, 4)], "forest")
    assert [t["label"] for t in chart["ticks"]] == ["0.25", "0.5", "1", "2", "4"]
    xs = [float(t["x"]) for t in chart["ticks"]]
    assert xs[2] == pytest.approx(160, abs=0.06)
    assert xs[1] + xs[3] == pytest.approx(2 * xs[2], abs=0.11)  # mirror images about 1
    assert intervals(chart) == [(xs[0], xs[2], xs[1]), (xs[2], xs[4], xs[3])]
    assert chart["description"] == "A: 0.5; Row: 2"
    assert chart["width"] == "320" and chart["reference"] == "1"


@pytest.mark.parametrize(
    "rows",
    [
        [effect(0.48, 0.36, 0.63)],
        [effect(0.5, 0.4, 0.8), effect(0.75, 0.6, 0.95), effect(1.3, 0.9, 1.9)],
        [effect(0.05, 0.01, 0.2), effect(8, 3, 20)],
        [effect(3.5, 2.2, 5.6)],
    ],
)
def test_forest_plot_positions_on_a_log_scale(rows):
    chart = charts.forest_plot(rows, "f")
    numbers = [v for r in rows for v in (r["estimate"], r["low"], r["high"])]
    lo, hi = min([*numbers, 1.0]) / 1.25, max([*numbers, 1.0]) * 1.25
    for row, (x1, x2, centre) in zip(rows, intervals(chart), strict=True):
        assert centre == pytest.approx(log_x(row["estimate"], lo, hi), abs=0.051)
        assert x1 == pytest.approx(log_x(row["low"], lo, hi), abs=0.051)
        assert x2 == pytest.approx(log_x(row["high"], lo, hi), abs=0.051)
        assert 8 <= x1 <= centre <= x2 <= 312
    for tick in chart["ticks"]:
        assert lo <= float(tick["label"]) <= hi
        assert float(tick["x"]) == pytest.approx(log_x(float(tick["label"]), lo, hi), abs=0.051)


def test_forest_plot_of_differences_is_linear_around_zero():
    scale = "absolute_difference:months"
    chart = charts.forest_plot([effect(4, -2, 10, scale), effect(-3, -6, 0, scale)], "f")
    assert not chart["ratio"] and chart["reference"] == "0"
    # -6 to 10, widened by a tenth of the span (1.6) each side: -7.6 to 11.6
    labels = [t["label"] for t in chart["ticks"]]
    assert labels == ["-5", "0", "5", "10"]
    xs = {t["label"]: float(t["x"]) for t in chart["ticks"]}
    assert xs["5"] - xs["0"] == pytest.approx(xs["10"] - xs["5"], abs=0.11)
    (x1, x2, centre), (y1, y2, other) = intervals(chart)
    assert x1 < xs["0"] < centre < x2 and y1 < other < y2 == pytest.approx(xs["0"], abs=0.06)


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [(-7.6, 11.6, [-5, 0, 5, 10]), (0, 1, [0, 0.5, 1]), (-0.3, 30.2, [0, 10, 20, 30])],
)
def test_linear_ticks_are_round(lo, hi, ticks):
    assert charts._linear_ticks(lo, hi) == ticks


@pytest.mark.parametrize("n", [1, 2, 7])
def test_forest_plot_height_grows_with_rows(n):
    chart = charts.forest_plot([effect(0.5 + i / 100, 0.4, 0.9) for i in range(n)], "f")
    # each row: its label on one line, its estimate on the next, then the interval
    assert chart["height"] == str(4 + n * (2 * 18 + 6 + 14) + 4 + 18 + 6)
    assert len(chart["rows"]) == n


def test_forest_plot_escapes_editor_text():
    row = {**effect(0.5, 0.4, 0.7, label=HOSTILE_NAME), "arms": f"{HOSTILE_ARM} vs P&O"}
    (svg,) = charts.forest_plot([row], "f")["rows"]
    assert "<script>" not in svg and "<b " not in svg
    assert "A&amp;B &lt;script&gt;" in svg


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
