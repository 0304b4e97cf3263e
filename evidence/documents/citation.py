"""The citation document: a source that findings, outcomes, trials and topics cite."""

from __future__ import annotations

from pydantic import Field

from .choices import CitationKind
from .common import RecordDocument
from .limits import (
    DOI_MAX_LENGTH,
    MAX_AUTHORS,
    URL_MAX_LENGTH,
    AnyShortText,
    AnyText,
    Count,
    ShortText,
    Slug,
    Text,
    items,
)


class CitationDocument(RecordDocument):
    slug: Slug
    kind: CitationKind
    title: Text
    authors: list[ShortText] = items(MAX_AUTHORS)
    authors_et_al: bool = False
    journal: AnyShortText | None = None
    year: Count | None = None
    volume: AnyShortText | None = None
    issue: AnyShortText | None = None
    pages: AnyShortText | None = None
    published_on: AnyShortText | None = Field(
        default=None, description="Date as the source gives it."
    )
    doi: str | None = Field(default=None, pattern=r"^10\.\S+/\S+$", max_length=DOI_MAX_LENGTH)
    pmid: str | None = Field(default=None, pattern=r"^[0-9]{1,9}$")
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=URL_MAX_LENGTH)
    note: AnyText | None = None
