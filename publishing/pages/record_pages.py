"""Topic and trial pages. They carry nothing snapshot-specific (no seq, no position), so a later
snapshot can reuse their bytes while the records they show are unchanged."""

from __future__ import annotations

from markupsafe import Markup

from .. import formatting as fmt
from ..selectors import EvidenceAsOf, RecordState
from ..templating import render_fragment, render_text
from .article import ArticleFindings
from .charts import effect_rows, forest_plots
from .contexts import (
    approval_text,
    audit_trail,
    finding_context,
    intervention_names,
    plain_note,
    trial_context,
)
from .outlines import topics_listing
from .references import References


class RecordPages:
    """Renders topic and trial pages of one build; each trial's block is rendered once."""

    def __init__(self, evidence: EvidenceAsOf):
        self.evidence = evidence
        self._blocks: dict[str, Markup] = {}
        self.citation_bodies: dict[str, Markup] = {}
        self._effect_rows: dict[str, list] = {}
        self.topics_by_trial = topics_listing(evidence)  # trial slug -> topic slugs

    def forget_rendered(self) -> None:
        """Drop what was rendered once for reuse (trial blocks, effect rows, citations), after
        a group of pages (``rendering.page_groups`` puts a topic and its trials together):
        kept for the whole corpus, they were most of a renderer's memory (800 MB at 100,000
        trials), while a trial shown in two groups' topics is rendered one more time."""
        self._blocks.clear()
        self.citation_bodies.clear()
        self._effect_rows.clear()

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
        placed = ArticleFindings(doc)
        for section in doc.get("sections", []):
            trials = [t for t in (evidence.get("trial", s) for s in section.get("trials", [])) if t]
            blocks, seen = [], []
            for trial in trials:
                if trial.slug in {t.slug for t in all_trials}:
                    seen.append({"slug": trial.slug, "name": trial.document["name"]})
                else:
                    all_trials.append(trial)
                    blocks.append(self.trial_block(trial))
            before, after = placed.section_paragraphs(section)
            sections.append(
                {
                    "key": section["key"],
                    "heading": section["heading"],
                    "body": before,
                    "body_after": after,
                    "setting": fmt.SETTINGS.get(section.get("setting") or "", ""),
                    "interventions": intervention_names(evidence, section.get("interventions", [])),
                    "trial_blocks": blocks,
                    "trials_above": seen,
                }
            )
        effects = [row for t in all_trials for row in self.effect_rows(t)]
        context = {
            "title": doc["title"],
            "topic": {
                "title": doc["title"],
                "condition": doc["condition"],
                "summary": placed.summary_paragraphs(),
                "byline": doc.get("byline"),
                "source_updated": doc.get("source_updated"),
                "notes": plain_note(doc.get("notes")),
                "version": str(topic.version),
                "approval": approval_text(topic),
            },
            "effects": effects,
            "forests": forest_plots(effects, "forest"),
            "sections": sections,
            "findings": [finding_context(f) for f in doc.get("findings", [])],
            "root": "../",
            "footer": None,  # record pages are reused across snapshots: nothing per-snapshot
        }
        refs = References(evidence, doc.get("citations", []), self.citation_bodies)
        return refs.finish(render_text("topic.html", context))

    def effect_rows(self, trial: RecordState) -> list:
        """A trial's effect estimates, made once per build."""
        rows = self._effect_rows.get(trial.slug)
        if rows is None:
            rows = self._effect_rows[trial.slug] = effect_rows(trial)
        return rows

    def topics_of(self, trial: RecordState) -> list[RecordState]:
        topics = self.evidence.records["topic"]
        return [topics[slug] for slug in self.topics_by_trial.get(trial.slug, ())]

    def trial_page(self, trial: RecordState) -> bytes:
        context = {
            "title": trial.document["name"],
            "name": trial.document["name"],
            "trial_block": self.trial_block(trial),
            "audit": audit_trail(trial),
            "topics": [
                {"slug": t.slug, "title": t.document["title"]} for t in self.topics_of(trial)
            ],
            "root": "../",
            "footer": None,
        }
        refs = References(self.evidence, trial.document.get("citations", []), self.citation_bodies)
        return refs.finish(render_text("trial.html", context))
