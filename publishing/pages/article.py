"""Where a topic's findings stand in its article, so that their references sit beside the
claims they support, in the article's order.

A topic's findings quote its article (the summary and the sections' paragraphs), and the
document keeps no link from a finding to its paragraph; a finding is placed after the
paragraph that holds most of its words (at least ``MATCH`` of them). A paragraph stating a
conclusion about the trials its section lists follows those trials, as in the article (the
NEJM editorial on the two post-transplant trials comes after them).
"""

from __future__ import annotations

import re
from typing import Any

MATCH = 0.6
WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.casefold()))


class ArticleFindings:
    def __init__(self, doc: dict[str, Any]):
        self.summary = [p for p in doc["summary"].split("\n\n") if p.strip()]
        places: list[tuple[str, int, set[str]]] = [
            ("", i, _words(p)) for i, p in enumerate(self.summary)
        ] + [
            (section["key"], i, _words(p))
            for section in doc.get("sections", [])
            for i, p in enumerate(section.get("body", []))
        ]
        self.stated: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for finding in doc.get("findings", []):
            words = _words(finding["statement"])
            if not words or not places:
                continue
            score, where = max(
                ((len(words & paragraph) / len(words), (key, i)) for key, i, paragraph in places),
                key=lambda scored: scored[0],
            )
            if score >= MATCH:
                self.stated.setdefault(where, []).append(finding)

    def _paragraph(self, key: str, i: int, text: str) -> dict[str, Any]:
        refs = []
        for finding in self.stated.get((key, i), []):
            refs += [slug for slug in finding.get("citations", []) if slug not in refs]
        return {"text": text, "refs": refs}

    def summary_paragraphs(self) -> list[dict[str, Any]]:
        return [self._paragraph("", i, text) for i, text in enumerate(self.summary)]

    def section_paragraphs(self, section: dict[str, Any]) -> tuple[list, list]:
        """The section's paragraphs before its trials and after them."""
        before, after = [], []
        listed = set(section.get("trials", []))
        for i, text in enumerate(section.get("body", [])):
            paragraph = self._paragraph(section["key"], i, text)
            concludes = any(
                f["kind"] == "conclusion" and f.get("trials") and set(f["trials"]) <= listed
                for f in self.stated.get((section["key"], i), [])
            )
            (after if concludes else before).append(paragraph)
        return before, after
