"""The intervention document: a drug or treatment that trial arms and topic sections name."""

from __future__ import annotations

from pydantic import Field

from .common import RecordDocument
from .limits import MAX_BRAND_NAMES, AnyShortText, AnyText, ShortText, Slug, items


class InterventionDocument(RecordDocument):
    slug: Slug
    name: ShortText = Field(description="Display name, e.g. 'Revlimid (lenalidomide)'.")
    generic_name: ShortText
    brand_names: list[ShortText] = items(MAX_BRAND_NAMES)
    drug_class: AnyShortText | None = None
    route: AnyShortText | None = None
    description: AnyText | None = None
    note: AnyText | None = None
