"""The reader-facing HTML pages of a snapshot: contexts for the templates, and SVG charts.

Everything editor-supplied reaches the page through autoescaping templates (``templating``,
Jinja2); this module turns documents into plain strings and numbers (never markup), the
templates do the rest. Charts are drawn only from numbers the documents give.
"""

from __future__ import annotations

import math
import re
from typing import Any

from markupsafe import Markup, escape

from evidence.diff import describe_path

from . import formatting as fmt
from .selectors import EvidenceAsOf, RecordChange, RecordState
from .templating import render, render_fragment, render_text

CHART_WIDTH = 720
ROW_HEIGHT = 24
LABEL_WIDTH = 300


REF_MARKER = re.compile(r"<ref:([a-z0-9-]+)>")
REFERENCES_MARKER = "<references-list>"


class References:
    """A page's numbered reference list: the page's own citation list first, then the rest in
    order of first mention.

    Blocks are rendered with ``<ref:slug>`` markers, which no editor text can produce (its
    ``<`` is escaped to ``&lt;``), and numbered per page afterwards, so a trial's block is
    rendered once per build and shared by its own page and its topic pages.
    """

    def __init__(
        self, evidence: EvidenceAsOf, initial: list[str], bodies: dict[str, Markup] | None = None
    ):
        self.evidence = evidence
        # Rendered citations by slug, shared by every page of a build: a citation is cited
        # on many pages, under a different number on each.
        self.bodies = {} if bodies is None else bodies
        self.order: list[str] = []
        for slug in initial:
            self.number(slug)

    def number(self, slug: str) -> int:
        if slug not in self.order:
            self.order.append(slug)
        return self.order.index(slug) + 1

    def numbers(self, slugs: list[str]) -> list[int]:
        return [self.number(slug) for slug in slugs]

    def _anchor(self, match: re.Match) -> str:
        n = self.number(match.group(1))
        return f'<a class="ref" href="#ref-{n}" aria-label="reference {n}">[{n}]</a>'

    def finish(self, html: str) -> bytes:
        """Number the markers in order, then put the reference list in its place."""
        html = REF_MARKER.sub(self._anchor, html)
        listing = render_text("_references.html", {"references": self.items()})
        return html.replace(REFERENCES_MARKER, listing, 1).encode("utf-8")

    def items(self) -> list[dict[str, Any]]:
        return [{"n": n, "body": self.body(slug)} for n, slug in enumerate(self.order, start=1)]

    def body(self, slug: str) -> Markup:
        body = self.bodies.get(slug)
        if body is None:
            record = self.evidence.get("citation", slug)
            context = {
                "slug": slug,
                "citation": citation_context(record.document) if record else None,
            }
            body = self.bodies[slug] = render_fragment("_citation.html", context)
        return body


def citation_context(doc: dict[str, Any]) -> dict[str, Any]:
    authors = ", ".join(doc.get("authors") or [])
    if doc.get("authors_et_al"):
        authors = f"{authors}, et al." if authors else "et al."
    where = " ".join(
        part
        for part in (
            doc.get("journal") or "",
            str(doc["year"]) if doc.get("year") else "",
            f"{doc['volume']}" if doc.get("volume") else "",
            f"({doc['issue']})" if doc.get("issue") else "",
            f": {doc['pages']}" if doc.get("pages") else "",
        )
        if part
    )
    return {
        "title": doc["title"],
        "authors": authors,
        "where": where,
        "published_on": doc.get("published_on"),
        "doi": doc.get("doi"),
        "doi_href": f"https://doi.org/{doc['doi']}" if doc.get("doi") else None,
        "pmid": doc.get("pmid"),
        "url": fmt.safe_href(doc.get("url")),
        "note": doc.get("note"),
    }


def intervention_names(evidence: EvidenceAsOf, slugs: list[str]) -> list[str]:
    names = []
    for slug in slugs:
        record = evidence.get("intervention", slug)
        names.append(record.document["name"] if record else slug)
    return names


def trial_context(evidence: EvidenceAsOf, trial: RecordState) -> dict[str, Any]:
    doc = trial.document
    arms = {arm["key"]: arm for arm in doc.get("arms", [])}
    outcomes = []
    for outcome in doc.get("outcomes", []):
        unit = outcome["unit"]
        outcomes.append(
            {
                "key": outcome["key"],
                "heading": fmt.outcome_heading(outcome),
                "label": outcome["label"],
                "measure": fmt.MEASURES[outcome["measure"]],
                "subgroup": outcome.get("subgroup"),
                "note": outcome.get("note"),
                "refs": outcome.get("citations", []),
                "values": [
                    {
                        "arm": arms.get(v["arm"], {}).get("label", v["arm"]),
                        "text": fmt.arm_value(v, unit),
                        "interval": fmt.interval(v, unit),
                        "note": v.get("note"),
                    }
                    for v in outcome.get("values", [])
                ],
                "comparisons": [
                    {
                        "kind": fmt.COMPARISONS[c["kind"]],
                        "arms": (
                            f"{arms.get(c['arm'], {}).get('label', c['arm'])} vs "
                            f"{arms.get(c['reference_arm'], {}).get('label', c['reference_arm'])}"
                        ),
                        "estimate": fmt.comparison_estimate(c),
                        "interval": fmt.interval(c, c.get("unit") or "ratio"),
                        "p_value": fmt.p_value(c),
                        "significance": fmt.significance(c),
                        "note": c.get("note"),
                    }
                    for c in outcome.get("comparisons", [])
                ],
            }
        )
    return {
        "slug": trial.slug,
        "name": doc["name"],
        "full_title": doc.get("full_title"),
        "registry_ids": doc.get("registry_ids", []),
        "design": fmt.design_summary(doc),
        "setting": fmt.SETTINGS[doc["setting"]],
        "population": doc["population"],
        "enrollment": fmt.enrollment(doc),
        "follow_up": (
            f"{fmt.number(doc['median_follow_up_months'])} months (median)"
            if doc.get("median_follow_up_months") is not None
            else ""
        ),
        "interventions": intervention_names(evidence, doc.get("interventions", [])),
        "conduct_notes": [
            {"kind": fmt.CONDUCT[n["kind"]], "text": n["text"]}
            for n in doc.get("conduct_notes", [])
        ],
        "arms": [
            {
                "label": arm["label"],
                "role": fmt.ROLES[arm["role"]],
                "n": str(arm["n"]) if arm.get("n") is not None else None,
                "regimen": [
                    {
                        "description": part["description"],
                        "phase": fmt.PHASES.get(part.get("phase") or "", ""),
                    }
                    for part in arm.get("regimen", [])
                ],
                "description": arm.get("description"),
            }
            for arm in doc.get("arms", [])
        ],
        "outcomes": outcomes,
        "findings": [finding_context(f) for f in doc.get("findings", [])],
        "summary": doc.get("summary"),
        "notes": doc.get("notes"),
        "refs": doc.get("citations", []),
        "version": str(trial.version),
        "approved_at": fmt.readable_time(trial.current.approved_at),
    }


def finding_context(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "statement": finding["statement"],
        "kind": finding["kind"],
        "note": finding.get("note"),
        "refs": finding.get("citations", []),
    }


# --- Charts -----------------------------------------------------------------------------------


# A chart's rows come from each trial's document (cached per trial for a build: a trial is
# drawn on its own page and on its topic's); the layout depends on the whole chart.


def median_bar_rows(trial: RecordState) -> list[dict[str, Any]]:
    """Median progression-free survival / time to progression by arm, as given."""
    rows = []
    doc = trial.document
    arms = {arm["key"]: arm["label"] for arm in doc.get("arms", [])}
    for outcome in doc.get("outcomes", []):
        if outcome["endpoint"] not in ("pfs", "ttp") or outcome["measure"] != "median":
            continue
        if outcome["unit"] != "months" or outcome.get("subgroup"):
            continue
        for value in outcome.get("values", []):
            label = f"{doc['name']}: {arms.get(value['arm'], value['arm'])}"
            endpoint = "PFS" if outcome["endpoint"] == "pfs" else "TTP"
            text = fmt.arm_value(value, "months")
            rows.append(
                {
                    "value": value.get("value"),
                    "description": f"{label} ({endpoint}): {text}",
                    "label_html": escape(f"{label} ({endpoint})"),
                    "text_html": escape(text),
                }
            )
    return rows


def median_bars(rows: list[dict[str, Any]], chart_id: str) -> dict | None:
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
    return {
        "id": chart_id,
        "title": "Median progression-free survival or time to progression, by arm (months)",
        "description": "; ".join(row["description"] for row in rows),
        "rows": drawn,
        "width": str(CHART_WIDTH),
        "height": str(40 + len(rows) * ROW_HEIGHT),
    }


def hazard_ratio_rows(trial: RecordState) -> list[dict[str, Any]]:
    """Hazard ratios with their confidence intervals, as given."""
    rows = []
    doc = trial.document
    arms = {arm["key"]: arm["label"] for arm in doc.get("arms", [])}
    for outcome in doc.get("outcomes", []):
        for comp in outcome.get("comparisons", []):
            if comp["kind"] != "hazard_ratio" or comp.get("estimate") is None:
                continue
            label = (
                f"{doc['name']}: {fmt.outcome_heading(outcome)}, "
                f"{arms.get(comp['arm'], comp['arm'])} vs "
                f"{arms.get(comp['reference_arm'], comp['reference_arm'])}"
            )
            text = " ".join(
                part
                for part in (fmt.number(comp["estimate"]), _paren(fmt.interval(comp, "ratio")))
                if part
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
    return {
        "id": chart_id,
        "title": "Hazard ratios with confidence intervals (values below 1 favour the first arm)",
        "description": "; ".join(row["description"] for row in rows),
        "rows": drawn,
        "width": str(CHART_WIDTH),
        "height": str(height),
        "one_x": x(1.0),
        "axis_y": str(height - 22),
        "top": "24",
        "ticks": [
            {"x": x(t), "label": fmt.number(t)} for t in (0.25, 0.5, 1, 2, 4) if lo <= t <= hi
        ],
    }


def _svg_row(markup: str) -> Markup:
    """One chart row, written here rather than in the template: a topic page draws hundreds
    and escaping each coordinate in a template loop was a fifth of all rendering. The
    coordinates are numbers this module formatted; every text in a row went through
    ``escape`` (the ``*_html`` values of the row functions)."""
    return Markup(markup)  # noqa: S704 - text parts escaped by the caller


def _paren(text: str) -> str:
    return f"({text})" if text else ""


# --- Pages ------------------------------------------------------------------------------------


def page_footer(evidence: EvidenceAsOf, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "position": evidence.position,
        "as_of": fmt.readable_time(evidence.as_of),
    }


# Record pages carry nothing snapshot-specific (no seq, no position), so a later snapshot can
# reuse their bytes while the records they show are unchanged.


class RecordPages:
    """Renders topic and trial pages of one build; each trial's block is rendered once."""

    def __init__(self, evidence: EvidenceAsOf):
        self.evidence = evidence
        self._blocks: dict[str, Markup] = {}
        self.citation_bodies: dict[str, Markup] = {}
        self._chart_rows: dict[str, tuple[list, list]] = {}
        self.topics_by_trial: dict[str, list[RecordState]] = {}
        for topic in evidence.records["topic"].values():
            for section in topic.document.get("sections", []):
                for slug in section.get("trials", []):
                    listed = self.topics_by_trial.setdefault(slug, [])
                    if topic not in listed:
                        listed.append(topic)

    def trial_block(self, trial: RecordState) -> str:
        block = self._blocks.get(trial.slug)
        if block is None:
            context = {"trial": trial_context(self.evidence, trial), "root": "../"}
            block = self._blocks[trial.slug] = render_fragment("_trial.html", context)
        return block

    def topic_page(self, topic: RecordState) -> bytes:
        evidence = self.evidence
        doc = topic.document
        sections = []
        all_trials: list[RecordState] = []
        listed: set[str] = set()
        for section in doc.get("sections", []):
            trials = [t for t in (evidence.get("trial", s) for s in section.get("trials", [])) if t]
            for trial in trials:
                if trial.slug not in listed:
                    listed.add(trial.slug)
                    all_trials.append(trial)
            sections.append(
                {
                    "key": section["key"],
                    "heading": section["heading"],
                    "body": section.get("body", []),
                    "setting": fmt.SETTINGS.get(section.get("setting") or "", ""),
                    "interventions": intervention_names(evidence, section.get("interventions", [])),
                    "trial_blocks": [self.trial_block(t) for t in trials],
                    "chart": median_bars(
                        [row for t in trials for row in self.chart_rows(t)[0]],
                        f"bars-{section['key']}",
                    ),
                }
            )
        context = {
            "title": doc["title"],
            "topic": {
                "title": doc["title"],
                "condition": doc["condition"],
                "summary": [p for p in doc["summary"].split("\n\n") if p.strip()],
                "byline": doc.get("byline"),
                "source_updated": doc.get("source_updated"),
                "notes": doc.get("notes"),
                "version": str(topic.version),
                "approved_at": fmt.readable_time(topic.current.approved_at),
            },
            "forest": forest_plot(
                [row for t in all_trials for row in self.chart_rows(t)[1]], "forest"
            ),
            "sections": sections,
            "findings": [finding_context(f) for f in doc.get("findings", [])],
            "root": "../",
            "footer": None,  # record pages are reused across snapshots: nothing per-snapshot
        }
        refs = References(evidence, doc.get("citations", []), self.citation_bodies)
        return refs.finish(render_text("topic.html", context))

    def chart_rows(self, trial: RecordState) -> tuple[list, list]:
        """A trial's (median bar rows, hazard ratio rows), made once per build."""
        rows = self._chart_rows.get(trial.slug)
        if rows is None:
            rows = self._chart_rows[trial.slug] = (median_bar_rows(trial), hazard_ratio_rows(trial))
        return rows

    def topics_of(self, trial: RecordState) -> list[RecordState]:
        return self.topics_by_trial.get(trial.slug, [])

    def trial_page(self, trial: RecordState) -> bytes:
        bar_rows, hr_rows = self.chart_rows(trial)
        context = {
            "title": trial.document["name"],
            "name": trial.document["name"],
            "trial_block": self.trial_block(trial),
            "chart": median_bars(bar_rows, "bars"),
            "forest": forest_plot(hr_rows, "forest"),
            "audit": audit_trail(trial),
            "topics": [
                {"slug": t.slug, "title": t.document["title"]} for t in self.topics_of(trial)
            ],
            "root": "../",
            "footer": None,
        }
        refs = References(self.evidence, trial.document.get("citations", []), self.citation_bodies)
        return refs.finish(render_text("trial.html", context))


def audit_trail(record: RecordState) -> list[dict[str, Any]]:
    rows = []
    for version in reversed(record.history):
        fields = (
            [describe_path(path, record.document) for path in version.changed_fields]
            if version.changed_fields is not None
            else []
        )
        rows.append(
            {
                **version.as_dict(),
                "fields": fields,
                "version": str(version.version),
                "approved_at": fmt.readable_time(version.approved_at),
            }
        )
    return rows


def index_page(evidence: EvidenceAsOf, seq: int, changes_count: int) -> bytes:
    context = {
        "title": "Published evidence",
        "topics": [
            {"slug": t.slug, "title": t.document["title"], "condition": t.document["condition"]}
            for t in evidence.records["topic"].values()
        ],
        "trials": [
            {
                "slug": t.slug,
                "name": t.document["name"],
                "setting": fmt.SETTINGS[t.document["setting"]],
            }
            for t in evidence.records["trial"].values()
        ],
        "changes_count": changes_count,
        "footer": page_footer(evidence, seq),
        "root": "",
    }
    return render("index.html", context)


def change_rows(changes: list[RecordChange]) -> list[dict[str, Any]]:
    from evidence.diff import diff_documents

    rows = []
    for change in changes:
        fields = []
        if change.kind == "revised":
            for item in diff_documents(change.old_document, change.new_document):
                fields.append(
                    {
                        "path": item["path"],
                        "label": describe_path(item["path"], change.new_document),
                        "old": item["old"],
                        "new": item["new"],
                    }
                )
        rows.append(
            {
                "record_type": change.record_type,
                "slug": change.slug,
                "kind": change.kind,
                "from_version": change.from_version,
                "to_version": change.to_version,
                "versions": [v.as_dict() for v in change.versions],
                "fields": fields,
            }
        )
    return rows


def changes_page(rows: list[dict[str, Any]], meta: dict[str, Any], evidence, seq: int) -> bytes:
    display = []
    for row in rows:
        page = None
        if row["kind"] != "retracted" and row["record_type"] in ("trial", "topic"):
            page = f"{row['record_type']}s/{row['slug']}.html"
        display.append(
            {
                **row,
                "page": page,
                "fields": [
                    {**f, "old": fmt.scalar_text(f["old"]), "new": fmt.scalar_text(f["new"])}
                    for f in row["fields"]
                ],
                "versions": [
                    {**v, "approved_at": fmt.readable_time(v["approved_at"])}
                    for v in row["versions"]
                ],
            }
        )
    # New records can number thousands (the first snapshot): one compact table row each;
    # changes get the detailed view.
    created = [c for c in display if c["kind"] == "created"]
    context = {
        "title": "What changed",
        "meta": meta,
        "count": len(display),
        "changes": [c for c in display if c["kind"] != "created"],
        "created": created,
        "footer": page_footer(evidence, seq),
        "root": "",
    }
    return render("changes.html", context)
