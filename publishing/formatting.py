"""Words and numbers for readers: how published pages say what a document holds.

Only what the document says is shown; a missing number is "not reported", never guessed.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from evidence.documents import vocabulary

# What pages call controlled values: the vocabulary's tables, shared with the admin.
QUALIFIERS = vocabulary.QUALIFIER_LABELS
SETTINGS = vocabulary.SETTING_LABELS
ROLES = vocabulary.ARM_ROLE_LABELS
BLINDING = vocabulary.BLINDING_LABELS
MEASURES = vocabulary.MEASURE_LABELS
COMPARISONS = vocabulary.COMPARISON_LABELS
PHASES = vocabulary.TREATMENT_PHASE_LABELS
CONDUCT = vocabulary.CONDUCT_NOTE_LABELS


def number(value: Any) -> str:
    """A number as the source gave it: 53, 0.48, 0.00001 (never 1e-05, never 53.0)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = repr(value)  # the shortest form that reads back as the same float
    if "e" in text or "n" in text:  # 1e-05, inf, nan: written out in full by Decimal
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text  # a negative zero is no reading a source prints


def with_unit(value: Any, unit: str) -> str:
    if unit == "percent":
        return f"{number(value)}%"
    if unit == "months":
        return f"{number(value)} {plural_unit(value, 'month')}"
    if unit == "percentage_points":
        return f"{number(value)} {plural_unit(value, 'percentage point')}"
    return number(value)


def plural_unit(value: Any, unit: str) -> str:
    """'1 month', '1.5 months', '0 months': only exactly one is singular."""
    return unit if number(value) == "1" else f"{unit}s"


def interval(item: dict[str, Any], unit: str) -> str:
    if item.get("ci_low") is None or item.get("ci_high") is None:
        return ""
    level = f"{number(item['ci_level'])}% " if item.get("ci_level") is not None else ""
    low, high = with_unit(item["ci_low"], unit), with_unit(item["ci_high"], unit)
    return f"{level}CI {low} to {high}"


def arm_value(value: dict[str, Any], unit: str) -> str:
    if value.get("not_reached"):
        return "not reached"  # a qualifier ("more than not reached") would be nonsense
    text = "not reported" if value.get("value") is None else with_unit(value["value"], unit)
    if value.get("qualifier"):
        text = f"{QUALIFIERS[value['qualifier']]} {text}"
    return text


def p_value(comparison: dict[str, Any]) -> str:
    if comparison.get("p_value") is None:
        return ""
    sign = vocabulary.P_VALUE_QUALIFIER_LABELS[comparison.get("p_value_qualifier") or "equal"]
    return f"p {sign} {number(comparison['p_value'])}"


def significance(comparison: dict[str, Any]) -> str:
    return {True: "statistically significant", False: "not statistically significant"}.get(
        comparison.get("significant"), ""
    )


def comparison_estimate(comparison: dict[str, Any]) -> str:
    if comparison.get("estimate") is None:
        return "not reported"
    text = with_unit(comparison["estimate"], comparison.get("unit") or "ratio")
    if comparison.get("qualifier"):
        text = f"{QUALIFIERS[comparison['qualifier']]} {text}"
    return text


def outcome_heading(outcome: dict[str, Any]) -> str:
    parts = [vocabulary.ENDPOINT_LABELS.get(outcome["endpoint"], outcome["endpoint"])]
    if outcome.get("timepoint_months") is not None:
        parts.append(f"at {with_unit(outcome['timepoint_months'], 'months')}")
    if outcome.get("treatment_phase"):
        parts.append(f"({PHASES[outcome['treatment_phase']]})")
    return " ".join(parts)


def design_summary(trial: dict[str, Any]) -> str:
    design = trial.get("design") or {}
    words = []
    if trial.get("phase"):
        words.append(vocabulary.TRIAL_PHASE_LABELS[trial["phase"]])
    if design.get("randomised") is True:
        words.append("randomised")
    elif design.get("randomised") is False:
        words.append("not randomised")
    if design.get("blinding"):
        words.append(BLINDING[design["blinding"]])
    if design.get("placebo_controlled"):
        words.append("placebo-controlled")
    if design.get("multicentre"):
        words.append("multicentre")
    if design.get("international"):
        words.append("international")
    if not words:
        return "Design not stated in the source"
    return vocabulary.capitalised(", ".join(words))


def enrollment(trial: dict[str, Any]) -> str:
    if trial.get("enrollment") is None:
        return ""
    text = f"{trial['enrollment']} patients"
    if trial.get("enrollment_qualifier"):
        text = f"{QUALIFIERS[trial['enrollment_qualifier']]} {text}"
    return text


def scalar_text(value: Any) -> str:
    """A changed field's old or new value, for the changelog."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list):
        return ", ".join(scalar_text(v) for v in value) if value else "(none)"
    return str(value)


def safe_href(url: str | None) -> str | None:
    """Only http(s) links leave a page (validation already insists; this is belt and braces)."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


@lru_cache(maxsize=65536)  # one per version shown; a page shows the same ones many times
def readable_time(timestamp: str | None) -> str:
    """'2026-11-23T19:47:45.459809Z' -> '23 Nov 2026, 19:47 UTC' (times come from events)."""
    if not timestamp:
        return ""
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
