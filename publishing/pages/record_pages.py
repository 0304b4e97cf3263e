"""Topic and trial pages. They carry nothing snapshot-specific (no seq, no position), so a later
snapshot can reuse their bytes while the records they show are unchanged."""

from __future__ import annotations

from markupsafe import Markup

from .. import formatting as fmt
from ..selectors import EvidenceAsOf, RecordState
from ..templating import render_fragment, render_text
from .charts import forest_plot, hazard_ratio_rows, median_bar_charts, median_bar_rows
from .contexts import audit_trail, finding_context, intervention_names, trial_context
from .references import References


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
                    "charts": median_bar_charts(
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
            "charts": median_bar_charts(bar_rows, "bars"),
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
