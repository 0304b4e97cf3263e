"""An outcome measure's statistical analyses -> the outcome's comparisons.

The registry's ``paramType`` of an analysis is free text ("Hazard Ratio (HR)", "Hazard
Ratio", "Odds Ratio (OR)", "Difference"); it is normalised to a comparison kind where the
words are unambiguous, and kept as ``kind_label`` always. A measure the import does not know
is kind ``other`` with a warning. The confidence level and sides are taken as given
(``ciPctValue``, ``ciNumSides``), never assumed. Which arm is the reference is stated only in
free-text comments ("CZP/Placebo", "versus placebo"); when they do not say, the import
records the groups' order and warns.
"""

from __future__ import annotations

import re
from typing import Any

from .registry_text import number, p_value, pointer, unescape

MEASURES_ROOT = ("resultsSection", "outcomeMeasuresModule", "outcomeMeasures")
_ABBREVIATION = re.compile(r"\s*\([^)]*\)\s*$")
KINDS = {
    "hazard ratio": "hazard_ratio",
    "odds ratio": "odds_ratio",
    "risk ratio": "risk_ratio",
    "relative risk": "risk_ratio",
    "rate ratio": "other",
    "risk difference": "absolute_difference",
    "mean difference": "difference_in_means",
    "mean difference (final values)": "difference_in_means",
    "mean difference (net)": "difference_in_means",
    "median difference": "difference_in_medians",
    "median difference (final values)": "difference_in_medians",
    "median difference (net)": "difference_in_medians",
}
# "Difference" alone says what it is only through the outcome's measure.
DIFFERENCE_BY_MEASURE = {
    "mean": "difference_in_means",
    "least_squares_mean": "difference_in_means",
    "median": "difference_in_medians",
}
RATIOS = ("hazard_ratio", "odds_ratio", "risk_ratio")
SIDES = {"TWO_SIDED": 2, "ONE_SIDED": 1}
COMPARATOR_ROLES = (
    "placebo",
    "control",
    "active_comparator",
    "sham_comparator",
    "no_intervention",
    "observation",
)


def kind_of(param_type: str, measure: str, unit: str) -> str | None:
    """The comparison kind of a registry param type, or None when the words do not say."""
    words = param_type.strip().lower()
    if words in KINDS:
        return KINDS[words]
    bare = _ABBREVIATION.sub("", words)  # "hazard ratio (hr)" -> "hazard ratio"
    if bare in KINDS:
        return KINDS[bare]
    if bare == "difference":
        if measure in DIFFERENCE_BY_MEASURE:
            return DIFFERENCE_BY_MEASURE[measure]
        if unit == "percent":
            return "absolute_difference"
    return None


def comparisons(mapper, outcome, measure, i, group_arms, arms) -> list[dict[str, Any]]:
    groups = {
        g.get("id"): unescape(g.get("title")) or g.get("id") for g in measure.get("groups") or []
    }
    roles = {arm["key"]: arm["role"] for arm in arms}
    found: list[dict[str, Any]] = []
    for a, analysis in enumerate(measure.get("analyses") or []):
        where = pointer(*MEASURES_ROOT, i, "analyses", a)
        group_ids = analysis.get("groupIds") or []
        arm_of = {gid: group_arms.get(groups.get(gid)) for gid in group_ids}
        if len(group_ids) != 2 or None in arm_of.values() or len(set(arm_of.values())) != 2:
            mapper.warn(
                where,
                f"analysis {a + 1} of “{outcome['title']}” compares groups "
                f"{', '.join(group_ids) or 'none'}; a comparison is between two arms: not "
                "imported, add it by hand",
            )
            continue
        comparison = _comparison(mapper, where, analysis, outcome, groups, arm_of, roles)
        if comparison is not None:
            comparison["key"] = f"analysis-{a + 1}"
            found.append({"key": comparison.pop("key"), **comparison})
    return found


def _comparison(mapper, where, analysis, outcome, groups, arm_of, roles) -> dict | None:
    param = unescape(analysis.get("paramType")) or ""
    kind = kind_of(param, outcome["measure"], outcome["unit"]) if param else None
    notes = []
    comparison: dict[str, Any] = {}
    if kind is None:
        kind = "other"
        mapper.warn(
            f"{where}/paramType",
            f"analysis measure {param or '(none given)'!r} is not one the import knows: kind "
            "'other' with the registry's words; check it",
        )
    comparison["kind"] = kind
    comparison["kind_label"] = (param or "not given by the registry")[:500]
    arm, reference, reason = _reference(analysis, groups, arm_of, roles)
    comparison["arm"], comparison["reference_arm"] = arm, reference
    if reason:
        notes.append(reason)
        mapper.warn(where, reason)
    estimate = number(analysis.get("paramValue"))
    if estimate is not None:
        comparison["estimate"] = estimate
        comparison.update(_unit(kind, outcome))
    elif analysis.get("paramValue"):
        notes.append(f"The registry gives the estimate as {analysis['paramValue']!r}.")
    _interval(comparison, analysis, notes)
    _p_value(mapper, where, comparison, analysis, notes)
    if unescape(analysis.get("statisticalMethod")):
        comparison["method"] = unescape(analysis["statisticalMethod"])[:500]
    for field, words in (
        ("groupDescription", "Analysis"),
        ("statisticalComment", "Method"),
        ("pValueComment", "P-value"),
        ("estimateComment", "Estimate"),
        ("otherAnalysisDescription", "Other"),
    ):
        if unescape(analysis.get(field)):
            notes.append(f"{words}: {unescape(analysis[field])}")
    if analysis.get("dispersionType") and analysis.get("dispersionValue"):
        notes.append(f"{analysis['dispersionType']}: {analysis['dispersionValue']}.")
    if comparison.get("estimate") is None and comparison.get("p_value") is None:
        mapper.warn(where, "the analysis gives no estimate and no p-value: not imported")
        return None
    comparison["source"] = mapper.source(where)
    if notes:
        comparison["note"] = "\n".join(notes)
    return comparison


def _reference(analysis, groups, arm_of, roles) -> tuple[str, str, str | None]:
    """(arm, reference arm, why the reference is uncertain or None)."""
    first, second = list(arm_of)
    text = " ".join(
        unescape(analysis.get(f)) or ""
        for f in ("groupDescription", "statisticalComment", "estimateComment")
    )
    stated = _stated_reference(text, {gid: groups.get(gid) or gid for gid in arm_of})
    if stated is not None:
        other = second if stated == first else first
        return arm_of[other], arm_of[stated], None
    comparators = [gid for gid in arm_of if roles.get(arm_of[gid]) in COMPARATOR_ROLES]
    if len(comparators) == 1:
        ref = comparators[0]
        other = second if ref == first else first
        return (
            arm_of[other],
            arm_of[ref],
            (
                "The registry does not say which arm is the reference: the comparator arm "
                f"(“{groups.get(ref)}”) is recorded as the reference; check the direction of the "
                "estimate against the source."
            ),
        )
    return (
        arm_of[first],
        arm_of[second],
        (
            "The registry does not say which arm is the reference: its second group "
            f"(“{groups.get(second)}”) is recorded as the reference; check against the source."
        ),
    )


def _stated_reference(text: str, titles: dict[str, str]) -> str | None:
    """The group id that the comments name as the reference: 'A/B', 'A vs B', 'A versus B',
    'A minus B', 'A - B', 'relative to B', 'compared with B', 'B as reference'. A and B are
    recognised by a word of the group's title appearing in only that title."""
    words = {
        gid: _distinct_words(title, [t for g, t in titles.items() if g != gid])
        for gid, title in titles.items()
    }

    def group_named(fragment: str) -> str | None:
        named = [gid for gid, ws in words.items() if ws & set(_words(fragment))]
        return named[0] if len(named) == 1 else None

    for match in re.finditer(
        r"([\w\-\+ ]{1,40}?)\s*(?:/|\bvs\.?|\bversus\b|\bminus\b|\s-\s)\s*([\w\-\+ ]{1,40})",
        text,
        re.IGNORECASE,
    ):
        # The words next to the operator: "... of Drug A versus placebo and ...".
        numerator = group_named(" ".join(match[1].split()[-3:]))
        denominator = group_named(" ".join(match[2].split()[:3]))
        if numerator and denominator and numerator != denominator:
            return denominator
    for match in re.finditer(
        r"(?:relative to|compared (?:with|to)|reference(?: group| arm)? (?:is|was|=)?)"
        r"\s*(?:the\s+)?([\w\-\+]+)",
        text,
        re.IGNORECASE,
    ):
        named = group_named(match[1])
        if named:
            return named
    for match in re.finditer(
        r"([\w\-\+]+)\s+(?:group |arm )?as (?:the )?reference", text, re.IGNORECASE
    ):
        named = group_named(match[1])
        if named:
            return named
    return None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w+]+", text.lower()) if len(w) > 1]


def _distinct_words(title: str, others: list[str]) -> set[str]:
    other_words = {w for t in others for w in _words(t)}
    return {w for w in _words(title) if w not in other_words and not w.isdigit()}


def _unit(kind: str, outcome: dict[str, Any]) -> dict[str, str]:
    if kind in RATIOS:
        return {"unit": "ratio"}
    unit = outcome["unit"]
    if unit == "percent":
        return {"unit": "percentage_points"}
    if unit in ("days", "weeks", "months", "years"):
        return {"unit": unit}
    return {
        "unit": "other",
        "unit_text": (outcome.get("unit_text") or "as the registry gives it")[:500],
    }


def _interval(comparison, analysis, notes) -> None:
    low, high = number(analysis.get("ciLowerLimit")), number(analysis.get("ciUpperLimit"))
    if low is None and high is None:
        return
    if low is not None:
        comparison["ci_low"] = low
    if high is not None:
        comparison["ci_high"] = high
    if low is None or high is None:
        side = "lower" if low is None else "upper"
        comparison["ci_bound_missing"] = "other"
        given = analysis.get("ciLowerLimit" if low is None else "ciUpperLimit")
        comment = unescape(
            analysis.get("ciLowerLimitComment" if low is None else "ciUpperLimitComment")
        )
        notes.append(
            f"The {side} confidence limit is given as {given!r}"
            + (f": {comment}" if comment else ".")
        )
    level = number(analysis.get("ciPctValue"))
    if level is not None and 0 < level < 100:
        comparison["ci_level"] = level
    if analysis.get("ciNumSides") in SIDES:
        comparison["ci_sides"] = SIDES[analysis["ciNumSides"]]
    estimate = comparison.get("estimate")
    if None not in (low, high, estimate) and not low <= estimate <= high:
        comparison["estimate_outside_interval"] = True
        notes.append("The registry gives an interval that does not contain the estimate.")


def _p_value(mapper, where, comparison, analysis, notes) -> None:
    text = analysis.get("pValue")
    if not text:
        return
    value, comparator = p_value(text)
    comparison["p_value_text"] = str(text)[:500]
    if value is not None and 0 < value <= 1:
        comparison["p_value"] = value
        if comparator:
            comparison["p_value_comparator"] = comparator
    else:
        mapper.warn(f"{where}/pValue", f"p-value {text!r} is kept in words only")
