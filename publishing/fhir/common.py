"""What every mapped resource shares: ids from our slugs and keys, the canonical base,
``meta`` from the record's version, references, notes and narrative.

Ids: a FHIR id is 1-64 of ``[A-Za-z0-9.-]``. Every id of ours, of a record's main resource
(``fhir_id(slug)``) as of its other resources, in references and in file names, comes from
``fhir_id``: slugs and item keys joined by "."; a key's "_" (not allowed in an id) becomes
"--", which no slug or key contains, so two different keys never give the same id. An id
that would still be longer than 64 characters, or hold a character FHIR forbids (none of our
slugs and keys do today), keeps its first 47 allowed characters (others become "-") and ends
with "." and 16 hex digits of the sha256 of the whole: stable, valid and still unique.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

MAX_ID_LENGTH = 64
FHIR_ID = re.compile(r"[A-Za-z0-9.\-]{1,64}")
NOT_IN_AN_ID = re.compile(r"[^A-Za-z0-9.\-]")


def fhir_id(*parts: str) -> str:
    """The FHIR id of a record's resource: ``fhir_id(slug)`` for its main resource,
    ``fhir_id(slug, key, ...)`` for the others (see the module's docstring)."""
    joined = ".".join(part.replace("_", "--") for part in parts)
    if FHIR_ID.fullmatch(joined):
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:16]
    return f"{NOT_IN_AN_ID.sub('-', joined)[: MAX_ID_LENGTH - 17]}.{digest}"


def canonical_base() -> str:
    return settings.FHIR_CANONICAL_BASE.rstrip("/")


@dataclass(frozen=True)
class RecordContext:
    """What every resource of one record version carries: the record's type and slug, its
    version (``meta.versionId``), when that version was approved (``meta.lastUpdated``) and
    the canonical base of ``url`` and of our identifiers."""

    record_type: str
    slug: str
    version: int
    updated: str
    base: str

    def meta(self, profile: str | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"versionId": str(self.version), "lastUpdated": self.updated}
        if profile:
            meta["profile"] = [profile]
        return meta

    def url(self, resource_type: str, resource_id: str) -> str:
        return f"{self.base}/{resource_type}/{resource_id}"

    def identifier(self, *parts: str) -> dict[str, Any]:
        """Our business identifier: the record's slug (and item keys) under the base."""
        return {"system": f"{self.base}/{self.record_type}", "value": "/".join(parts)}

    def head(
        self,
        resource_type: str,
        resource_id: str,
        *,
        canonical: bool = True,
        profile: str | None = None,
    ) -> dict:
        """resourceType, id, meta (with the profile the resource claims, if any) and (for
        canonical resources) url."""
        head = {"resourceType": resource_type, "id": resource_id, "meta": self.meta(profile)}
        if canonical:
            head["url"] = self.url(resource_type, resource_id)
        return head


def reference(resource_type: str, resource_id: str, display: str | None = None) -> dict:
    """A reference to one of our resources by its id (a ``fhir_id``)."""
    found = {"reference": f"{resource_type}/{resource_id}", "type": resource_type}
    if display:
        found["display"] = display
    return found


def record_reference(resource_type: str, slug: str, display: str | None = None) -> dict:
    """A reference to another record's main resource (a trial's citation, a topic's trial)."""
    return reference(resource_type, fhir_id(slug), display)


def notes(*texts: str | None) -> list[dict[str, str]]:
    """Annotations of the texts that are present (none: an empty list, left out)."""
    return [{"text": text} for text in texts if text]


def narrative(paragraphs: Sequence[str]) -> dict[str, str]:
    """Paragraphs of plain text as a FHIR narrative (escaped XHTML)."""
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def compact(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty values: FHIR forbids empty strings, lists and objects."""
    return _clean(resource)


# The empty values, made once: a ``(None, "", [], {})`` written in the test makes a new list
# and dict every time it is evaluated (millions of times in a full build).
_EMPTY = (None, "", [], {})


def _clean(value: Any) -> Any:
    # A module function, not a closure calling itself: that would be a reference cycle per
    # call, left to the cyclic collector (which builds pause). Only containers are walked
    # into: anything else is its own cleaned value.
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                item = _clean(item)
            if item not in _EMPTY:
                cleaned[key] = item
        return cleaned
    if isinstance(value, list):
        kept = []
        for item in value:
            if isinstance(item, (dict, list)):
                item = _clean(item)
            if item not in _EMPTY:
                kept.append(item)
        return kept
    return value
