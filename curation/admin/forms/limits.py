"""How many rows each list of the proposal form may have, checked before any form is built.

The results grid is one form per (outcome, arm) and a regimen formset per arm, so what one
request may make the server build grows with their product; the document's limits keep it
to what a real trial has.
"""

from __future__ import annotations

import re

from django import forms

from evidence import documents as docs

# How many rows each list of the proposal form may have: the document's limits. The results
# grid is one form per (outcome, arm) and a regimen formset per arm, so what one request may
# make the server build grows with their product; the limits keep it to what a real trial has.
FORMSET_LIMITS = {
    "arms": docs.MAX_ARMS,
    "outcomes": docs.MAX_OUTCOMES,
    "conduct_notes": docs.MAX_CONDUCT_NOTES,
    "findings": docs.MAX_FINDINGS,
    "sections": docs.MAX_SECTIONS,
    "regimen": docs.MAX_REGIMEN_PARTS,  # regimen-<arm row>
}
_REGIMEN_PREFIX = re.compile(r"regimen-\d+")


def formset_limit(prefix: str) -> int | None:
    """The most rows the formset ``prefix`` may have, or None for no formset of ours."""
    if _REGIMEN_PREFIX.fullmatch(prefix):
        return FORMSET_LIMITS["regimen"]
    return FORMSET_LIMITS.get(prefix)


def too_many_rows(prefix: str, limit: int, sent: int | None = None) -> str:
    told = f"; the form sent {sent}" if sent is not None else ""
    return f"{prefix}: at most {limit} rows{told}"


def oversized_formsets(data) -> list[str]:
    """Formsets whose management data claims more rows than their list may hold.

    Read from the TOTAL_FORMS counts alone, before any form is built: refusing 100,000 arms
    by 100,000 outcomes must not first build the 10^10 forms of their grid."""
    problems = []
    for name in list(data.keys()):
        prefix, _, field = name.rpartition("-")
        limit = formset_limit(prefix) if field == forms.formsets.TOTAL_FORM_COUNT else None
        if limit is None:
            continue
        try:
            sent = int(data.get(name))
        except (TypeError, ValueError):
            continue  # the formset's management form reports it
        if sent > limit:
            problems.append(too_many_rows(prefix, limit, sent))
    return problems
