"""A re-import proposes only what the registry changed, applied to the record as it is now.

``registry_changes`` diffs what the registry said at the last approved import against what it
says now (both mapped the same way); ``apply_changes`` puts exactly those changes onto the
current document, so what editors changed since (a setting, a finding, a corrected label)
stays, and the proposal's diff against the current record shows only the registry's news.
A record that was never imported (made by hand, with the NCT id) takes the registry's
fields, but not the ones editors own (name, setting, population, findings...).
"""

from __future__ import annotations

import re
from typing import Any

from evidence.diff import _overlaps, diff_documents, flatten, unflatten

# Fields the registry does not give (or gives only as a placeholder): a first import into a
# record made by hand leaves them as the editors wrote them.
EDITORIAL_FIELDS = frozenset(
    {
        "slug",
        "name",
        "name_editorial",
        "setting",
        "setting_text",
        "population",
        "notes",
        "summary",
        "findings",
        "conduct_notes",
        "citations",
        "interventions",
        "median_follow_up_months",
        "schema_version",
    }
)


def _top_field(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def registry_changes(previous: dict[str, Any] | None, now: dict[str, Any]) -> list[dict[str, Any]]:
    """What the registry changed since ``previous`` (None: it was never imported)."""
    changes = without_date_only_notes(diff_documents(previous or {}, now))
    if previous is None:
        changes = [c for c in changes if _top_field(c["path"]) not in EDITORIAL_FIELDS]
    return changes


_ITEM_NOTE = re.compile(r"^(outcomes\[key=[^\]]+\])\.note$")
_UPDATED = re.compile(r", last updated [0-9-]+\.")


def without_date_only_notes(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each outcome's note says the registry's last update; an outcome the registry did not
    change keeps the date it was imported with, so that the diff shows what changed."""
    changed_items = {
        match[1]
        for change in changes
        if not _ITEM_NOTE.match(change["path"])
        and (match := re.match(r"^(outcomes\[key=[^\]]+\])", change["path"]))
    }

    def date_only(change: dict[str, Any]) -> bool:
        match = _ITEM_NOTE.match(change["path"])
        if not match or match[1] in changed_items:
            return False
        old, new = change["old"], change["new"]
        return (
            isinstance(old, str)
            and isinstance(new, str)
            and _UPDATED.sub("", old) == _UPDATED.sub("", new)
        )

    return [change for change in changes if not date_only(change)]


def apply_changes(
    current: dict[str, Any], changes: list[dict[str, Any]], now: dict[str, Any]
) -> dict[str, Any]:
    """``current`` with each of ``changes`` set to its value in ``now`` (or removed)."""
    merged = flatten(current)
    now_flat = flatten(now)
    # Removals first: an empty list that becomes a list of items is a removed leaf
    # ("comparisons") and added ones ("comparisons[]", ...); the removal must not undo them.
    ordered = sorted(changes, key=lambda change: change["path"] in now_flat)
    for change in ordered:
        path = change["path"]
        # A leaf replaced by a list of items, or the other way round, and a removed item's
        # fields: whatever lies inside (or around) the changed path goes with it.
        for other in [p for p in merged if p != path and _overlaps(path, p)]:
            merged.pop(other)
        if path in now_flat:
            merged[path] = now_flat[path]
        else:
            merged.pop(path, None)
    return unflatten(merged, template=now)
