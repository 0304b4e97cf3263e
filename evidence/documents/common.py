"""The base of every document model, and the parts several record types share (findings).

Every model is strict: no silent coercion, unknown fields refused. Model class names, field
order, titles and docstrings are what ``schema.json`` and the OpenAPI components publish, so
they are part of the published bytes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .choices import FindingKind
from .limits import MAX_LINKS, MAX_OUTCOMES, AnyText, Key, Slug, Text, items


class Document(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=False)


class RecordDocument(Document):
    """A record's whole document: it says which schema version it is written in.

    Documents recorded before versions existed have no ``schema_version`` and are version 1;
    ``upcasting`` turns any older version into the current shape wherever documents are read.
    """

    schema_version: Literal[2] = Field(
        default=2, description="The document schema version (2; absent means 1)."
    )


class Finding(Document):
    """A curated statement, with the results and sources it rests on."""

    key: Key
    statement: Text
    kind: FindingKind
    outcomes: list[Key] = items(
        MAX_OUTCOMES, description="Keys of outcomes in the same trial (trial findings)."
    )
    trials: list[Slug] = items(
        MAX_LINKS, description="Slugs of trials the statement is about (topic findings)."
    )
    citations: list[Slug] = items(MAX_LINKS)
    note: AnyText | None = None
