"""SVG charts drawn from the numbers the documents give: bars of one outcome's results by
arm, and forest plots of effect estimates with their confidence intervals.

Charts are drawn for a phone: 320 units wide with 14-unit text, so that on a 360 px screen
(where the chart is drawn about 290 px wide) the text is still at least 12 px. Labels are
wrapped onto lines of their own above each bar or interval, never squeezed beside it.

Only what a document holds is drawn: an arm without a number draws no bar (its words are
written instead); an estimate without both bounds of its interval is never drawn as a point
(the topic's table of estimates lists it and says why it is not plotted).
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

from markupsafe import Markup, escape

from evidence.documents import TIME_UNITS

from .. import formatting as fmt
from ..selectors import RecordState

CHART_WIDTH = 320
LINE = 18  # one line of 14-unit text
BAR = 12
WRAP = 40  # characters a 320-unit line holds at 14 units
LEFT, RIGHT = 8, CHART_WIDTH - 8
RATIO_KINDS = ("hazard_ratio", "odds_ratio", "risk_ratio")
# Results whose arms can stand side by side as bars: a duration, a rate or a proportion.
BAR_UNITS = (*TIME_UNITS, "percent")
BAR_MEASURES = (
    "median",
    "mean",
    "duration_unspecified",
    "rate_at_timepoint",
    "proportion",
    "geometric_mean",
    "least_squares_mean",
)


def outcome_bars(outcome: dict[str, Any], arm_label, chart_id: str) -> dict | None:
    """Bars of one outcome's results by arm, or None when fewer than two arms have a number
    to compare or the results are not a duration, rate or proportion. Percentages are drawn
    on a scale to 100; durations up to the longest."""
    if outcome.get("measure") not in BAR_MEASURES or outcome.get("unit") not in BAR_UNITS:
        return None
    values = outcome.get("values", [])
    numbers = [v["value"] for v in values if v.get("value") is not None and not v.get("missing")]
    if len(values) < 2 or not numbers or min(numbers) < 0:
        return None
    unit = outcome["unit"]
    largest = 100 if unit == "percent" and max(numbers) <= 100 else max(numbers) or 1
    rows, drawn, y = [], [], 4
    for value in values:
        number = None if value.get("missing") else value.get("value")
        text = f"{arm_label(value['arm'])}: {fmt.arm_result(value, outcome)}"
        rows.append({"description": text})
        lines = _lines(text, y)
        y += len(lines) * LINE
        width = round((RIGHT - LEFT) * number / largest, 1) if number else 0
        bar = (
            f'<rect x="{LEFT}" y="{y}" width="{fmt.number(width)}" height="{BAR}" '
            'fill="#0b5cad"></rect>'
            if width
            else ""
        )
        drawn.append(_svg_row("".join(lines) + bar + "\n"))
        y += BAR + 10
    heading = fmt.outcome_heading(outcome)
    if outcome.get("subgroup"):
        heading = f"{heading} (subgroup: {outcome['subgroup']})"
    scale = "bars to scale, 0 to 100%" if largest == 100 and unit == "percent" else "bars to scale"
    return _chart(chart_id, f"{heading}, by arm ({scale})", rows, drawn, y)


def effect_rows(trial: RecordState) -> list[dict[str, Any]]:
    """Every effect estimate a trial's comparisons give as a number, with its interval when
    it has both bounds; in the order of the document."""
    rows = []
    doc = trial.document
    arms = {arm["key"]: arm["label"] for arm in doc.get("arms", [])}
    for outcome in doc.get("outcomes", []):
        for comp in outcome.get("comparisons", []):
            if comp.get("estimate") is None or comp.get("kind") == "not_stated":
                continue
            # A subgroup's estimate must never read as the whole population's.
            subgroup = f" ({outcome['subgroup']})" if outcome.get("subgroup") else ""
            versus = (
                f"{arms.get(comp['arm'], comp['arm'])} vs "
                f"{arms.get(comp['reference_arm'], comp['reference_arm'])}"
            )
            ratio = comp["kind"] in RATIO_KINDS
            # The estimate as the source states it, qualifier included ("less than 0.5").
            estimate = fmt.comparison_estimate({**comp, "unit": "ratio"} if ratio else comp)
            interval = fmt.comparison_interval(comp)
            low, high = comp.get("ci_low"), comp.get("ci_high")
            plotted = low is not None and high is not None and (not ratio or low > 0)
            rows.append(
                {
                    "trial": doc["name"],
                    "trial_slug": trial.slug,
                    "outcome": f"{fmt.outcome_heading(outcome)}{subgroup}",
                    "arms": versus,
                    "measure": fmt.comparison_name(comp),
                    "estimate_text": estimate,
                    "interval_text": interval or "no confidence interval given",
                    "scale": "ratio" if ratio else f"{comp['kind']}:{comp.get('unit') or ''}",
                    "estimate": comp["estimate"],
                    "low": low if plotted else None,
                    "high": high if plotted else None,
                    "plotted": plotted,
                    "description": (
                        f"{doc['name']}: {fmt.outcome_heading(outcome)}{subgroup}, {versus}: "
                        f"{fmt.comparison_name(comp).lower()} {estimate}"
                        + (f" ({interval})" if interval else "")
                    ),
                }
            )
    return rows


def forest_plots(rows: list[dict[str, Any]], chart_id: str) -> list[dict]:
    """One forest plot per scale (ratios on a log scale; each kind and unit of difference on
    its own linear scale), of the estimates that have an interval."""
    scales = list(dict.fromkeys(row["scale"] for row in rows if row["plotted"]))
    charts = []
    for i, scale in enumerate(scales):
        drawn = [row for row in rows if row["plotted"] and row["scale"] == scale]
        charts.append(forest_plot(drawn, chart_id if i == 0 else f"{chart_id}-{i + 1}"))
    return charts


def forest_plot(rows: list[dict[str, Any]], chart_id: str) -> dict | None:
    """Estimates with their confidence intervals on one axis: a log scale around 1 for
    ratios, a linear one around 0 for differences."""
    if not rows:
        return None
    ratio = rows[0]["scale"] == "ratio"
    values = [v for r in rows for v in (r["estimate"], r["low"], r["high"])]
    if ratio:
        lo, hi = min(values + [1.0]) / 1.25, max(values + [1.0]) * 1.25
        to_axis = math.log
        ticks = [t for t in (0.1, 0.25, 0.5, 1, 2, 4, 10) if lo <= t <= hi]
        reference = 1.0
    else:
        span = (max(values + [0.0]) - min(values + [0.0])) or 1.0
        lo, hi = min(values + [0.0]) - span * 0.1, max(values + [0.0]) + span * 0.1
        to_axis = float
        ticks = _linear_ticks(lo, hi)
        reference = 0.0

    def x(value: float) -> str:
        position = LEFT + (to_axis(value) - to_axis(lo)) / (to_axis(hi) - to_axis(lo)) * (
            RIGHT - LEFT
        )
        return fmt.number(round(position, 1))

    drawn, y = [], 4
    for row in rows:
        label = f"{row['trial']}: {row['outcome']}, {row['arms']}"
        lines = _lines(label, y) + _lines(
            f"{row['estimate_text']} ({row['interval_text']})", y + LINE * len(_wrap(label))
        )
        y += len(lines) * LINE + 6
        centre, one = x(row["estimate"]), x(reference)
        drawn.append(
            _svg_row(
                "".join(lines)
                # the line of no difference, drawn beside each interval only: a line down the
                # whole chart would cross the labels above the intervals
                + f'<line x1="{one}" y1="{y - 9}" x2="{one}" y2="{y + 9}" stroke="#4f5b6b" '
                'stroke-dasharray="3 2"></line>'
                + f'<line x1="{x(row["low"])}" y1="{y}" x2="{x(row["high"])}" y2="{y}" '
                f'stroke="#1d2430" stroke-width="2"></line><rect x="{centre}" y="{y}" '
                'width="10" height="10" transform="translate(-5 -5)" fill="#0b5cad"></rect>\n'
            )
        )
        y += 14
    axis = y + 4
    measure = "Ratios (log scale)" if ratio else rows[0]["measure"]
    title = f"{measure} with confidence intervals"
    return {
        **_chart(chart_id, title, rows, drawn, axis + LINE + 6),
        "axis_y": str(axis),
        "ticks": [{"x": x(t), "label": fmt.number(t)} for t in ticks],
        "reference": fmt.number(reference),
        "ratio": ratio,
    }


def _linear_ticks(lo: float, hi: float) -> list[float]:
    """Three to six round ticks between ``lo`` and ``hi`` (steps of 1, 2 or 5 times a power
    of ten)."""
    raw = (hi - lo) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step)
    return [round(k * step, 10) for k in range(first, math.floor(hi / step) + 1)]


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WRAP, break_long_words=True) or [""]


def _lines(text: str, y: int) -> list[str]:
    """``text`` wrapped into 14-unit lines from ``y`` down, each escaped."""
    return [
        f'<text x="{LEFT}" y="{y + LINE * (i + 1) - 4}">{escape(line)}</text>'
        for i, line in enumerate(_wrap(text))
    ]


def _chart(chart_id: str, title: str, rows: list[dict], drawn: list, height: int) -> dict:
    """What every chart template needs: its text alternative (every row's description)
    beside the drawn rows."""
    return {
        "id": chart_id,
        "title": title,
        "description": "; ".join(row["description"] for row in rows),
        "rows": drawn,
        "width": str(CHART_WIDTH),
        "height": str(height),
    }


def _svg_row(markup: str) -> Markup:
    """One chart row, written here rather than in the template: a topic page draws hundreds
    and escaping each coordinate in a template loop was a fifth of all rendering. The
    coordinates are numbers this module formatted; every text in a row went through
    ``escape`` (``_lines``)."""
    return Markup(markup)  # noqa: S704 - text parts escaped by _lines
