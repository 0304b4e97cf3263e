"""A page's numbered references: ``<ref:slug>`` markers in rendered blocks become [1], [2]...
and the reference list is put in place."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from .. import formatting as fmt
from ..selectors import EvidenceAsOf
from ..templating import render_fragment, render_text

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
    """A citation's parts for ``_citation.html``. The author list ends with a full stop, as
    in a journal's reference list, with or without "et al." ("Badros AZ. Lenalidomide...")."""
    authors = ", ".join(doc.get("authors") or [])
    if doc.get("authors_et_al"):
        authors = f"{authors}, et al." if authors else "et al."
    elif authors and not authors.endswith("."):
        authors = f"{authors}."
    where = " ".join(
        part
        for part in (
            doc.get("journal") or "",
            str(doc["year"]) if doc.get("year") else "",
            f"{doc['volume']}" if doc.get("volume") else "",
            f"({doc['issue']})" if doc.get("issue") else "",
        )
        if part
    )
    if doc.get("pages"):  # "366 (19): 1782-1791", never a space before the colon
        where = f"{where}: {doc['pages']}" if where else doc["pages"]
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
