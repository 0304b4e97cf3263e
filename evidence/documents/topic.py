"""The topic document: an article's sections (with the interventions and trials each lists),
its findings and its numbered reference list."""

from __future__ import annotations

from pydantic import Field

from .choices import TrialSetting
from .common import Document, Finding, RecordDocument
from .limits import (
    MAX_FINDINGS,
    MAX_LINKS,
    MAX_PARAGRAPHS,
    MAX_SECTIONS,
    MAX_TOPIC_CITATIONS,
    AnyShortText,
    AnyText,
    Key,
    ShortText,
    Slug,
    Text,
    items,
)


class TopicSection(Document):
    key: Key
    heading: ShortText
    body: list[Text] = items(MAX_PARAGRAPHS, description="Paragraphs of plain text.")
    interventions: list[Slug] = items(MAX_LINKS)
    setting: TrialSetting | None = None
    trials: list[Slug] = items(MAX_LINKS)


class TopicDocument(RecordDocument):
    slug: Slug
    title: ShortText
    condition: ShortText
    summary: Text
    byline: AnyShortText | None = None
    source_updated: AnyShortText | None = Field(
        default=None, description="When the source was updated."
    )
    sections: list[TopicSection] = items(MAX_SECTIONS)
    findings: list[Finding] = items(MAX_FINDINGS)
    citations: list[Slug] = items(
        MAX_TOPIC_CITATIONS, description="The numbered reference list, in order."
    )
    notes: AnyText | None = None
