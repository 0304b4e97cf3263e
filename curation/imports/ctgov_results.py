"""The results part of a ClinicalTrials.gov study: each outcome measure, split by its classes
and categories into outcomes (subgroups), with every measurement as an arm's value; each
analysis as a comparison (``ctgov_analyses``).

A value is the registry's number, or, for "NA", the reason its comment gives
(``registry_text.value_missing_reason``) with the comment kept. Spreads and bounds go where the
outcome's dispersion says; a dispersion the schema has no kind for is kept in words.
"""

from __future__ import annotations

import re
from typing import Any

from . import ctgov_analyses
from .registry_text import (
    NOT_AVAILABLE,
    bound_missing_reason,
    count,
    key_from,
    number,
    pointer,
    unescape,
    unique_key,
    value_missing_reason,
)

OUTCOME_TYPES = {
    "PRIMARY": "primary",
    "SECONDARY": "secondary",
    "OTHER_PRE_SPECIFIED": "other",
    "POST_HOC": "other",
}
MEASURES = {
    "MEDIAN": "median",
    "MEAN": "mean",
    "LEAST_SQUARES_MEAN": "least_squares_mean",
    "GEOMETRIC_MEAN": "geometric_mean",
    "NUMBER": "number",
    "COUNT_OF_PARTICIPANTS": "count_of_participants",
}
DISPERSIONS = {
    "standard deviation": "standard_deviation",
    "standard error": "standard_error",
    "inter-quartile range": "interquartile_range",
    "interquartile range": "interquartile_range",
    "full range": "full_range",
}
_CONFIDENCE_INTERVAL = re.compile(r"^(\d+(\.\d+)?)\s*% confidence interval$", re.IGNORECASE)
_PERCENT_OF_PEOPLE = re.compile(
    r"^(percentage|percent|%) of (participants|subjects|patients)$", re.IGNORECASE
)
_TIME_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_TIMEPOINT = re.compile(r"^(day|week|month|year)\s+(\d+(\.\d+)?)$", re.IGNORECASE)
_DURATION = re.compile(r"^(\d+(\.\d+)?)\s+(day|week|month|year)s?$", re.IGNORECASE)
MEASURES_ROOT = ("resultsSection", "outcomeMeasuresModule", "outcomeMeasures")


def outcomes(mapper, outcome_measures, group_arms, arms, updated, existing) -> list[dict]:
    kept = {
        (o.get("title"), o.get("subgroup")): o.get("key")
        for o in (existing or {}).get("outcomes", [])
    }
    taken: set[str] = set()
    found: list[dict[str, Any]] = []
    for i, measure in enumerate(outcome_measures):
        where = pointer(*MEASURES_ROOT, i)
        title = unescape(measure.get("title")) or f"Outcome {i + 1}"
        classes = measure.get("classes") or []
        if not classes or not measure.get("paramType"):
            mapper.warn(
                where,
                f"outcome measure “{title}” has no measurements on the registry "
                f"({unescape(measure.get('populationDescription')) or 'no reason given'}): "
                "not imported",
            )
            continue
        parts = [
            (ci, ki, cls, category)
            for ci, cls in enumerate(classes)
            for ki, category in enumerate(cls.get("categories") or [])
        ]
        if measure.get("analyses") and len(parts) > 1:
            mapper.warn(
                pointer(*MEASURES_ROOT, i, "analyses"),
                f"outcome measure “{title}” has {len(parts)} subgroups and the registry does not "
                "say which one its analyses compare: the analyses are not imported; add them by "
                "hand",
            )
        for ci, ki, cls, category in parts:
            subgroup = (
                " / ".join(
                    t for t in (unescape(cls.get("title")), unescape(category.get("title"))) if t
                )
                or None
            )
            key = kept.get((title, subgroup)) or key_from(title, subgroup)
            outcome = _outcome(mapper, measure, i, title, subgroup, updated)
            outcome["key"] = unique_key(key, taken)
            outcome = {"key": outcome.pop("key"), **outcome}
            _values(mapper, outcome, measure, i, ci, ki, cls, category, group_arms)
            if measure.get("analyses") and len(parts) == 1:
                outcome["comparisons"] = ctgov_analyses.comparisons(
                    mapper, outcome, measure, i, group_arms, arms
                )
            found.append(outcome)
    return found


def _outcome(mapper, measure, i, title, subgroup, updated) -> dict[str, Any]:
    where = pointer(*MEASURES_ROOT, i)
    param = measure.get("paramType")
    unit_text = unescape(measure.get("unitOfMeasure")) or ""
    outcome: dict[str, Any] = {"title": title[:500]}
    if unescape(measure.get("description")):
        outcome["description"] = unescape(measure["description"])
    if measure.get("type") in OUTCOME_TYPES:
        outcome["type"] = OUTCOME_TYPES[measure["type"]]
    time_frame = unescape(measure.get("timeFrame"))
    if time_frame:
        outcome["time_frame"] = time_frame
        timepoint = _timepoint(time_frame)
        if timepoint:
            outcome["timepoint"] = timepoint
    if subgroup:
        outcome["subgroup"] = subgroup[:500]
    notes = [
        f"From ClinicalTrials.gov {mapper.nct_id}"
        + (f", last updated {updated}." if updated else ".")
    ]
    if unescape(measure.get("populationDescription")):
        notes.append(f"Analysis population: {unescape(measure['populationDescription'])}")
    measure_name = MEASURES.get(param)
    if measure_name is None:
        measure_name = "number"
        notes.append(f"The registry's parameter type is {param!r}.")
        mapper.warn(
            f"{where}/paramType",
            f"parameter type {param!r} is not one the import knows: recorded as 'number' with "
            "the registry's words in the note; check the measure",
        )
    outcome["measure"] = measure_name
    outcome.update(_unit(measure_name, unit_text))
    dispersion_text = measure.get("dispersionType")
    dispersion = _dispersion(dispersion_text)
    if dispersion:
        outcome["dispersion"] = dispersion
    elif dispersion_text:
        notes.append(
            f"The registry's dispersion is {dispersion_text!r}: kept in the values' notes."
        )
        mapper.warn(
            f"{where}/dispersionType",
            f"dispersion type {dispersion_text!r} is not one the schema has: its numbers are kept "
            "in each value's note, not as a spread or bounds",
        )
    outcome["values"] = []
    outcome["comparisons"] = []
    outcome["source"] = mapper.source(where)
    outcome["note"] = "\n".join(notes)
    return outcome


def _unit(measure_name: str, unit_text: str) -> dict[str, str]:
    lowered = unit_text.strip().lower()
    if measure_name == "count_of_participants":
        unit = "count"
    elif _PERCENT_OF_PEOPLE.match(lowered):
        unit = "percent"
    elif lowered.rstrip("s") in _TIME_UNITS:
        unit = _TIME_UNITS[lowered.rstrip("s")]
    else:
        unit = "other"
    result = {"unit": unit}
    if unit_text:
        result["unit_text"] = unit_text[:500]
    elif unit == "other":
        result["unit_text"] = "not given by the registry"
    return result


def _dispersion(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    kind = DISPERSIONS.get(text.strip().lower())
    if kind:
        return {"kind": kind}
    match = _CONFIDENCE_INTERVAL.match(text.strip())
    if match:
        # The level as given; the registry does not say the sides of an outcome's interval.
        return {"kind": "confidence_interval", "level": number(match[1])}
    return None


def _timepoint(time_frame: str) -> dict[str, Any] | None:
    """'Week 52' -> 52 weeks, '6 months' -> 6 months; anything less plain: none."""
    match = _TIMEPOINT.match(time_frame.strip())
    if match:
        value, unit = number(match[2]), match[1]
    else:
        match = _DURATION.match(time_frame.strip())
        if not match:
            return None
        value, unit = number(match[1]), match[3]
    if value is None or value <= 0:
        return None
    return {"value": value, "unit": _TIME_UNITS[unit.lower()]}


def _denominators(measure, cls) -> dict[str, int]:
    """Participants analysed per group id: the class's own denominators over the outcome's."""
    participants: dict[str, int] = {}
    for denoms in (measure.get("denoms") or [], cls.get("denoms") or []):
        for denom in denoms:
            if str(denom.get("units", "")).lower() != "participants":
                continue
            for entry in denom.get("counts") or []:
                value = count(entry.get("value"))
                if value is not None:
                    participants[entry.get("groupId")] = value
    return participants


def _values(mapper, outcome, measure, i, ci, ki, cls, category, group_arms) -> None:
    groups = {
        g.get("id"): unescape(g.get("title")) or g.get("id") for g in measure.get("groups") or []
    }
    participants = _denominators(measure, cls)
    kind = (outcome.get("dispersion") or {}).get("kind")
    raw_dispersion = measure.get("dispersionType") if not kind else None
    for m, measurement in enumerate(category.get("measurements") or []):
        where = pointer(*MEASURES_ROOT, i, "classes", ci, "categories", ki, "measurements", m)
        group_id = measurement.get("groupId")
        arm = group_arms.get(groups.get(group_id))
        if arm is None:
            continue  # a group the importer left out (warned when resolving groups)
        value = _value(mapper, where, measurement, kind, raw_dispersion, outcome)
        value = {"arm": arm, **value}
        if group_id in participants:
            value["participants"] = participants[group_id]
        value["source"] = mapper.source(where)
        outcome["values"].append(value)


def _value(mapper, where, measurement, kind, raw_dispersion, outcome) -> dict[str, Any]:
    raw = str(measurement.get("value", "")).strip()
    comment = unescape(measurement.get("comment"))
    notes = []
    value: dict[str, Any] = {}
    parsed = number(raw)
    if parsed is not None:
        value["value"] = parsed
    else:
        reason = value_missing_reason(comment)
        if reason == "not_reached" and outcome["unit"] not in ("days", "weeks", "months", "years"):
            reason = "other"  # only a time can be not reached; the comment stays
        value["missing"] = reason
        value["missing_text"] = (comment or raw or "no value given")[:500]
        value["raw"] = raw[:500]
        if raw != NOT_AVAILABLE:
            mapper.warn(where, f"value {raw!r} is no number and not NA: kept in words")
    if kind in ("standard_deviation", "standard_error"):
        spread = measurement.get("spread")
        if spread is not None and number(spread) is not None and number(spread) >= 0:
            value["spread"] = number(spread)
        elif spread is not None:
            notes.append(f"The registry gives the {kind.replace('_', ' ')} as {spread!r}.")
    elif kind is not None:
        _bounds(value, measurement, comment, notes)
    elif raw_dispersion:
        given = [
            f"{name} {measurement[field]}"
            for field, name in (
                ("spread", "spread"),
                ("lowerLimit", "lower"),
                ("upperLimit", "upper"),
            )
            if measurement.get(field) is not None
        ]
        if given:
            notes.append(f"{raw_dispersion}: {', '.join(given)}.")
    if comment and value.get("missing_text") != comment:
        notes.append(f"Registry comment: {comment}")
    low, high = value.get("low"), value.get("high")
    number_value = value.get("value")
    if None not in (low, high, number_value) and not low <= number_value <= high:
        value["estimate_outside_interval"] = True
        notes.append("The registry gives an interval that does not contain the value.")
    if notes:
        value["note"] = " ".join(notes)
    return value


def _bounds(value, measurement, comment, notes) -> None:
    """The interval's bounds; an NA bound's reason as its comment says, by the same rule."""
    low_raw, high_raw = measurement.get("lowerLimit"), measurement.get("upperLimit")
    low, high = number(low_raw), number(high_raw)
    if low is None and high is None:
        if low_raw is not None or high_raw is not None:
            notes.append(f"The registry gives the bounds as {low_raw!r} and {high_raw!r}.")
        return
    if low is not None:
        value["low"] = low
    if high is not None:
        value["high"] = high
    if low is None or high is None:
        side = "lower" if low is None else "upper"
        reason = bound_missing_reason(comment, side)
        value["bound_missing"] = reason
        if reason == "other":
            given = low_raw if low is None else high_raw
            notes.append(f"The {side} bound is given as {given!r}.")
