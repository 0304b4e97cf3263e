"""SVG charts drawn from the numbers the documents give: median bars and forest plots.

A chart's rows come from each trial's document (cached per trial for a build by
``RecordPages``: a trial is drawn on its own page and on its topic's); the layout depends on
the whole chart.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

from evidence.documents import TIME_UNITS

from .. import formatting as fmt
from ..selectors import RecordState

CHART_WIDTH = 720
ROW_HEIGHT = 24
LABEL_WIDTH = 300


def median_bar_rows(trial: RecordState) -> list[dict[str, Any]]:
    """Median progression-free survival / time to progression by arm, as given, each row
    with its time unit (days, weeks, months or years: the source's, never converted)."""
    rows = []
    doc = trial.document
    arms = {arm["key"]: arm["label"] for arm in doc.get("arms", [])}
    for outcome in doc.get("outcomes", []):
        if outcome.get("endpoint") not in ("pfs", "ttp") or outcome["measure"] != "median":
            continue
        unit = outcome["unit"]
        if unit not in TIME_UNITS or outcome.get("subgroup"):
            continue
        for value in outcome.get("values", []):
            label = f"{doc['name']}: {arms.get(value['arm'], value['arm'])}"
            endpoint = "PFS" if outcome["endpoint"] == "pfs" else "TTP"
            text = fmt.arm_value(value, unit)
            rows.append(
                {
                    # A missing value (not reached, not estimable...) draws no bar.
                    "value": None if value.get("missing") else value.get("value"),
                    "unit": unit,
                    "description": f"{label} ({endpoint}): {text}",
                    "label_html": escape(f"{label} ({endpoint})"),
                    "text_html": escape(text),
                }
            )
    return rows


def median_bar_charts(rows: list[dict[str, Any]], chart_id: str) -> list[dict]:
    """One bar chart per time unit, in the order the units first appear: bars in days and
    bars in months on one axis would compare numbers that cannot be compared. The first
    chart has ``chart_id``, the others ``chart_id-<unit>``."""
    units = list(dict.fromkeys(row.get("unit", "months") for row in rows))
    charts = []
    for i, unit in enumerate(units):
        drawn = [row for row in rows if row.get("unit", "months") == unit]
        charts.append(median_bars(drawn, chart_id if i == 0 else f"{chart_id}-{unit}", unit))
    return charts


def median_bars(rows: list[dict[str, Any]], chart_id: str, unit: str = "months") -> dict | None:
    """Bars of medians in one time unit, which the title names."""
    if not rows:
        return None
    largest = max((row["value"] for row in rows if row["value"] is not None), default=1) or 1
    plot_width = CHART_WIDTH - LABEL_WIDTH - 130
    drawn = []
    for i, row in enumerate(rows):
        y = 30 + i * ROW_HEIGHT
        width = round(plot_width * row["value"] / largest, 1) if row["value"] is not None else 0
        bar = (
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{fmt.number(width)}" height="18" '
            'fill="#0b5cad"></rect>'
            if width
            else ""
        )
        drawn.append(
            _svg_row(
                f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
                f"{row['label_html']}</text>{bar}"
                f'<text x="{fmt.number(round(LABEL_WIDTH + width + 6, 1))}" y="{y + 15}">'
                f"{row['text_html']}</text>\n"
            )
        )
    return _chart(
        chart_id,
        f"Median progression-free survival or time to progression, by arm ({unit})",
        rows,
        drawn,
        40 + len(rows) * ROW_HEIGHT,
    )


def hazard_ratio_rows(trial: RecordState) -> list[dict[str, Any]]:
    """Hazard ratios with their confidence intervals, as given."""
    rows = []
    doc = trial.document
    arms = {arm["key"]: arm["label"] for arm in doc.get("arms", [])}
    for outcome in doc.get("outcomes", []):
        for comp in outcome.get("comparisons", []):
            if comp["kind"] != "hazard_ratio" or comp.get("estimate") is None:
                continue
            # A subgroup's hazard ratio must never read as the whole population's.
            subgroup = f" ({outcome['subgroup']})" if outcome.get("subgroup") else ""
            label = (
                f"{doc['name']}: {fmt.outcome_heading(outcome)}{subgroup}, "
                f"{arms.get(comp['arm'], comp['arm'])} vs "
                f"{arms.get(comp['reference_arm'], comp['reference_arm'])}"
            )
            # The estimate as the source states it, qualifier included ("less than 0.5").
            estimate = fmt.comparison_estimate({**comp, "unit": "ratio"})
            text = " ".join(
                part for part in (estimate, _paren(fmt.comparison_interval(comp))) if part
            )
            rows.append(
                {
                    "estimate": comp["estimate"],
                    "low": comp.get("ci_low"),
                    "high": comp.get("ci_high"),
                    "description": f"{label}: hazard ratio {text}",
                    "label_html": escape(label),
                    "text_html": escape(text),
                }
            )
    return rows


def forest_plot(rows: list[dict[str, Any]], chart_id: str) -> dict | None:
    """Hazard ratios with confidence intervals (log scale); left of 1 favours the first arm."""
    if not rows:
        return None
    values = [v for r in rows for v in (r["estimate"], r["low"], r["high"]) if v]
    lo, hi = min(values + [1.0]) / 1.25, max(values + [1.0]) * 1.25
    plot_left, plot_right = LABEL_WIDTH, CHART_WIDTH - 150

    def x(value: float) -> str:
        span = math.log(hi) - math.log(lo)
        position = plot_left + (math.log(value) - math.log(lo)) / span * (plot_right - plot_left)
        return fmt.number(round(position, 1))

    drawn = []
    for i, row in enumerate(rows):
        y = 30 + i * ROW_HEIGHT + 12
        centre = x(row["estimate"])
        low = x(row["low"]) if row["low"] else centre
        high = x(row["high"]) if row["high"] else centre
        drawn.append(
            _svg_row(
                f'<text x="{LABEL_WIDTH - 8}" y="{y + 4}" text-anchor="end">{row["label_html"]}'
                f'</text><line x1="{low}" y1="{y}" x2="{high}" y2="{y}" stroke="#1d2430" '
                f'stroke-width="2"></line><rect x="{centre}" y="{y}" width="10" height="10" '
                'transform="translate(-5 -5)" fill="#0b5cad"></rect>'
                f'<text x="{plot_right + 8}" y="{y + 4}">{row["text_html"]}</text>\n'
            )
        )
    height = 60 + len(rows) * ROW_HEIGHT
    title = "Hazard ratios with confidence intervals (values below 1 favour the first arm)"
    return {
        **_chart(chart_id, title, rows, drawn, height),
        "one_x": x(1.0),
        "axis_y": str(height - 22),
        "top": "24",
        "ticks": [
            {"x": x(t), "label": fmt.number(t)} for t in (0.25, 0.5, 1, 2, 4) if lo <= t <= hi
        ],
    }


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
    ``escape`` (the ``*_html`` values of the row functions)."""
    return Markup(markup)  # noqa: S704 - text parts escaped by the caller


def _paren(text: str) -> str:
    return f"({text})" if text else ""
