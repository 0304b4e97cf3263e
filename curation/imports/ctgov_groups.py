"""Results groups (``OG000``...) to the study's arms.

Groups name arms only by title, and the same id names different groups in different outcomes
(in NCT02552212, OG000 is "Placebo (FAS)" in one outcome and "CZP 200 mg Q2W (SS)" in
another), so a group is identified by its title: it is the arm with exactly that label, or
the importer says which arm it is (``group_map``: a title, or an id that names one group
throughout the study, mapped to an arm key, to ``new:KEY`` for an arm of its own, or to ``-``
to leave its results out). Nothing is matched loosely: a title equal but for spaces or case
is only suggested.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import NotAStudy, UnmappedGroups
from .registry_text import loose, pointer, unescape

if TYPE_CHECKING:
    from .ctgov import Mapper

SKIP = "-"  # group_map value: leave this group's results out
NEW_ARM = "new:"  # group_map value prefix: add an arm for this group, with this key
KEY = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def resolve_groups(
    mapper: Mapper,
    outcome_measures: list[dict[str, Any]],
    arms: list[dict[str, Any]],
    group_map: Mapping[str, str],
) -> dict[str, str | None]:
    """Group title -> arm key (None: left out), for every results group of the outcomes.

    Adds the arms that ``group_map`` asks for (``new:key``) to ``arms``. Raises
    ``UnmappedGroups`` naming every group that matches no arm by title, or several."""
    occurrences: dict[str, list[tuple[str, str]]] = {}  # title -> [(id, pointer)]
    for i, measure in enumerate(outcome_measures):
        for j, group in enumerate(measure.get("groups") or []):
            title = unescape(group.get("title")) or group.get("id") or f"group {j}"
            where = pointer(
                "resultsSection", "outcomeMeasuresModule", "outcomeMeasures", i, "groups", j
            )
            occurrences.setdefault(title, []).append((group.get("id") or "", where))
    by_title = _map_by_title(mapper, group_map, occurrences)
    arm_keys = {arm["key"]: arm for arm in arms}
    resolved: dict[str, str | None] = {}
    unmapped, errors = [], []
    for title, places in occurrences.items():
        target = by_title.get(title)
        if target is not None:
            resolved[title] = _mapped_arm(
                mapper, title, target, places[0][1], arms, arm_keys, errors
            )
            continue
        matches = [arm["key"] for arm in arms if arm["label"] == title]
        if len(matches) == 1:
            resolved[title] = matches[0]
            continue
        ids = sorted({group_id for group_id, _ in places})
        suggestions = [arm["key"] for arm in arms if loose(arm["label"]) == loose(title)]
        unmapped.append(
            {"title": title, "ids": ids, "pointer": places[0][1], "suggestions": suggestions}
        )
        why = "matches several arms" if matches else "matches no arm by title"
        hint = f"; it looks like {', '.join(suggestions)}" if suggestions else ""
        errors.append(
            {
                "path": places[0][1],
                "message": f"results group {'/'.join(ids)} “{title}” {why}{hint}",
            }
        )
    if errors:
        arm_list = ", ".join(f"{a['key']} “{a['label']}”" for a in arms)
        raise UnmappedGroups(
            errors,
            f"{mapper.label}: say which arm each results group is (map a group by its title or "
            f"id to an arm key, to new:KEY to add an arm for it, or to - to leave its results "
            f"out); the arms are {arm_list or 'none'}",
            groups=unmapped,
            arms=[(a["key"], a["label"]) for a in arms],
        )
    return resolved


def _map_by_title(
    mapper: Mapper, group_map: Mapping[str, str], occurrences: dict[str, list[tuple[str, str]]]
) -> dict[str, str]:
    """``group_map`` keyed by group title: an id is accepted where it names one group
    throughout the study (OG000 is often a different group in each outcome)."""
    by_title: dict[str, str] = {}
    errors = []
    for given, target in group_map.items():
        if given in occurrences:
            by_title[given] = target
            continue
        titles = [t for t, places in occurrences.items() if any(i == given for i, _ in places)]
        if len(titles) == 1:
            by_title[titles[0]] = target
        elif titles:
            named = "; ".join(f"“{t}”" for t in titles)
            errors.append(
                {
                    "path": f"group_map.{given}",
                    "message": f"{given} names different groups in different outcomes ({named}): "
                    "map these by title",
                }
            )
        else:
            errors.append(
                {
                    "path": f"group_map.{given}",
                    "message": f"{mapper.nct_id} has no results group {given!r}",
                }
            )
    if errors:
        raise NotAStudy(errors, f"{mapper.label}: the group mapping does not fit the study")
    return by_title


def _mapped_arm(mapper, title, target, where, arms, arm_keys, errors) -> str | None:
    if target == SKIP:
        mapper.warn(where, f"the results of group “{title}” are left out, as the importer asked")
        return None
    if target.startswith(NEW_ARM):
        key = target[len(NEW_ARM) :]
        if key in arm_keys:
            return key
        if not KEY.match(key) or len(key) > 64:
            errors.append({"path": where, "message": f"{key!r} is not an arm key (a-z, 0-9, -)"})
            return None
        arm = {"key": key, "label": title[:500], "role": "other", "regimen": []}
        arms.append(arm)
        arm_keys[key] = arm
        mapper.warn(
            where,
            f"results group “{title}” is a new arm {key!r} (role 'other'), as the importer asked; "
            "give its role and regimen",
        )
        return key
    if target not in arm_keys:
        known = ", ".join(arm_keys) or "none"
        errors.append(
            {
                "path": where,
                "message": f"group “{title}” is mapped to {target!r}, which is no arm of the "
                f"study (arms: {known}); write new:{target} to add it as an arm",
            }
        )
        return None
    return target
