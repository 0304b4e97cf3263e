"""Words and numbers for readers: how published pages say results (a trial's own facts, its
design, setting and dates, are worded by ``trial_facts``).

Only what the document says is shown; a number the source does not give is never guessed.
Results are written the way a journal prints them:

- a number with the digits the source printed when the document keeps them (``raw`` "8.0"
  for the value 8 prints "8.0"), otherwise in its shortest form ("8");
- a value, then its spread in parentheses: "12.4 (SD 3.1)", "8.0 (SE 0.4)",
  "median 27 months (95% CI 22 to 31)", "median 14 days (IQR 10 to 21)", "6 (range 2 to 30)".
  The unit is said once, after the value; the bounds are bare numbers in the same unit (they
  carry the unit only when the value itself is missing, so the unit is still said once);
- a missing value in words: "not reached", "not estimable", "below the limit of
  quantification", "not reported", or for ``other`` the source's own wording;
- a missing bound in words too: "95% CI 22 to not reached";
- a one-sided interval names its side and the one limit it has: "97.5% one-sided CI up to
  0.85" (an upper limit) or "97.5% one-sided CI down to 1.2" (a lower limit), whatever reason
  the document gives for the other bound (a one-sided interval has only one); with both
  limits given, "97.5% one-sided CI 0.5 to 0.85";
- a unit the source gives in words ("score on a scale", as registries write it) heads the
  results column instead of following every number; a unit symbol ("mg/dL") follows the
  number;
- a two-sided interval with one bound and no reason for the other is not shown at all (never
  half of one, which would read as a point);
- a p-value as the source printed it when the document keeps that text ("p < 0.001"),
  otherwise from its number and comparator;
- a comparison whose measure the source does not state says only whether the difference
  was significant, never a number or a measure.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from evidence.documents import vocabulary

# What pages call controlled values: the vocabulary's tables, shared with the admin.
QUALIFIERS = vocabulary.QUALIFIER_LABELS
SETTINGS = vocabulary.SETTING_LABELS
ROLES = vocabulary.ARM_ROLE_LABELS
MASKING = vocabulary.MASKING_LABELS
MASKED_ROLES = vocabulary.MASKED_ROLE_LABELS
MEASURES = vocabulary.MEASURE_LABELS
COMPARISONS = vocabulary.COMPARISON_LABELS
PHASES = vocabulary.TREATMENT_PHASE_LABELS
CONDUCT = vocabulary.CONDUCT_NOTE_LABELS
MISSING = vocabulary.MISSING_REASON_LABELS
DISPERSIONS = vocabulary.DISPERSION_LABELS
OUTCOME_TYPES = vocabulary.OUTCOME_TYPE_LABELS

# Measures a reader must be told, because the number means something else under another:
# "median 27 months", "mean 12.4". A proportion, count or rate says what it is by its unit.
NAMED_MEASURES = ("median", "mean", "least_squares_mean", "geometric_mean")
# Units written after the number, with their singular ("1 month", "1.5 months").
COUNTED_UNITS = {
    "days": "day",
    "weeks": "week",
    "months": "month",
    "years": "year",
    "percentage_points": "percentage point",
}


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


# A plain decimal as a source prints a number: what ``raw`` must be for it to be shown.
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def printed_number(value: Any, raw: str | None) -> str:
    """The number with the source's digits ("8.0", "12.40") when ``raw`` is that same number
    written as a plain decimal; anything else in ``raw`` ("NA", "<0.001") is not the number."""
    text = (raw or "").strip()
    if (
        value is not None
        and PLAIN_DECIMAL.fullmatch(text)
        and Decimal(text) == Decimal(number(value))
    ):
        return text
    return number(value)


def with_unit(
    value: Any, unit: str | None, unit_text: str | None = None, raw: str | None = None
) -> str:
    """'45%', '53 months', '1 day', '5.2 mg/dL' (``other``: the source's unit), '0.48'."""
    digits = printed_number(value, raw)
    if unit == "percent":
        return f"{digits}%"
    if unit in COUNTED_UNITS:
        return f"{digits} {plural_unit(value, COUNTED_UNITS[unit])}"
    if unit == "other" and unit_text:
        return f"{digits} {unit_text}"
    return digits  # count, ratio, or a unit the source did not name


def plural_unit(value: Any, unit: str) -> str:
    """'1 month', '1.5 months', '0 months': only exactly one is singular."""
    return unit if number(value) == "1" else f"{unit}s"


def interval_text(
    low: Any,
    high: Any,
    *,
    name: str = "CI",
    level: Any = None,
    sides: Any = None,
    bound_missing: str | None = None,
    unit: str | None = None,
    unit_text: str | None = None,
) -> str:
    """An interval as journals print it: '95% CI 22 to 31', 'IQR 10 to 21', '97.5% one-sided
    CI up to 0.85', '95% CI 22 to not reached'; '' when there is nothing to show.

    ``unit`` goes on the bounds only when given: callers pass it when the value before the
    interval does not already say it.
    """

    def bound(value: Any) -> str:
        return with_unit(value, unit, unit_text) if unit else number(value)

    one_sided = sides == 1 and name == "CI"
    prefix = f"{number(level)}% " if level is not None and name == "CI" else ""
    label = f"{prefix}one-sided {name}" if one_sided else f"{prefix}{name}"
    if low is not None and high is not None:
        return f"{label} {bound(low)} to {bound(high)}"
    if low is None and high is None:
        return ""
    if one_sided:  # its only limit; the other bound does not exist, whatever the reason given
        return f"{label} up to {bound(high)}" if low is None else f"{label} down to {bound(low)}"
    if bound_missing:  # the source says why one bound is missing: say it in words
        missing = MISSING[bound_missing]
        if low is None:
            return f"{label} {missing} to {bound(high)}"
        return f"{label} {bound(low)} to {missing}"
    return ""  # half an interval would read as a point


def comparison_interval(comparison: dict[str, Any]) -> str:
    """A comparison's confidence interval: '95% CI 0.36 to 0.63'."""
    return interval_text(
        comparison.get("ci_low"),
        comparison.get("ci_high"),
        level=comparison.get("ci_level"),
        sides=comparison.get("ci_sides"),
        bound_missing=comparison.get("ci_bound_missing"),
    )


def unit_symbol(outcome: dict[str, Any]) -> str | None:
    """The source's unit when it is a symbol that can follow each number ("mg/dL"); a unit
    in words ("score on a scale") heads the column instead (``results_unit``)."""
    text = (outcome.get("unit_text") or "").strip()
    return text if text and not any(c.isspace() for c in text) else None


def results_unit(outcome: dict[str, Any]) -> str:
    """The unit a results column is headed with: a unit the source gives in words."""
    if outcome.get("unit") != "other" or unit_symbol(outcome):
        return ""
    return (outcome.get("unit_text") or "").strip()


def missing_words(value: dict[str, Any]) -> str:
    """Why an arm has no number, in words; for ``other``, the source's own wording."""
    reason = value.get("missing")
    if reason == "other":
        return value.get("missing_text") or value.get("raw") or MISSING["other"]
    return MISSING[reason]


def arm_value(value: dict[str, Any], unit: str | None, unit_text: str | None = None) -> str:
    """One arm's number with its unit ('46 months', 'about 76 months'), or why there is none
    ('not reached'); 'not reported' when the document holds neither."""
    if value.get("missing"):
        return missing_words(value)  # a qualifier ("more than not reached") would be nonsense
    if value.get("value") is None:
        return "not reported"
    text = with_unit(value["value"], unit, unit_text, value.get("raw"))
    if value.get("qualifier"):
        text = f"{QUALIFIERS[value['qualifier']]} {text}"
    return text


def value_spread(value: dict[str, Any], outcome: dict[str, Any]) -> str:
    """The spread of one arm's value, as the outcome's dispersion says: 'SD 3.1', 'IQR 10 to
    21', '95% CI 22 to 31'; '' when the outcome has no dispersion or the value gives none."""
    dispersion = outcome.get("dispersion") or {}
    kind = dispersion.get("kind")
    if kind is None:
        return ""
    if kind in ("standard_deviation", "standard_error"):
        spread = value.get("spread")
        return f"{DISPERSIONS[kind]} {number(spread)}" if spread is not None else ""
    has_number = value.get("value") is not None and not value.get("missing")
    return interval_text(
        value.get("low"),
        value.get("high"),
        name=DISPERSIONS[kind],
        level=dispersion.get("level"),
        sides=dispersion.get("sides"),
        bound_missing=value.get("bound_missing"),
        unit=None if has_number else outcome.get("unit"),
        unit_text=unit_symbol(outcome),
    )


def arm_result(value: dict[str, Any], outcome: dict[str, Any]) -> str:
    """One arm's result as a journal prints it: 'median 14 days (IQR 10 to 21)',
    'mean 12.4 (SD 3.1)', 'median not reached', '45%'."""
    text = arm_value(value, outcome.get("unit"), unit_symbol(outcome))
    if outcome.get("measure") in NAMED_MEASURES:
        text = f"{MEASURES[outcome['measure']]} {text}"
    spread = value_spread(value, outcome)
    return f"{text} ({spread})" if spread else text


def source_wording(value: dict[str, Any]) -> str:
    """The source's own words for a missing value, when the reason's words did not already
    use them (for ``other`` they are the value's text)."""
    if value.get("missing") in (None, "other"):
        return ""
    return value.get("missing_text") or ""


def participants(value: dict[str, Any]) -> str:
    count = value.get("participants")
    if count is None:
        return ""
    return f"{count} {'participant' if count == 1 else 'participants'} analysed"


def p_value(comparison: dict[str, Any]) -> str:
    """'p < 0.001'. The source's own text wins over the parsed number: it is what the reader
    can find in the source. Only its spacing is evened out ('<0.001' -> 'p < 0.001'); text
    that is not a comparator and a number (e.g. 'NS') is shown as printed."""
    text = (comparison.get("p_value_text") or "").strip()
    if text:
        if text[:1] in ("p", "P"):
            return text
        for comparator in ("<=", ">=", "≤", "≥", "<", ">", "="):
            if text.startswith(comparator):
                return f"p {comparator} {text[len(comparator) :].strip()}"
        return f"p = {text}" if text[:1].isdigit() or text[:1] == "." else text
    if comparison.get("p_value") is None:
        return ""
    comparator = comparison.get("p_value_comparator") or "="
    sign = vocabulary.P_VALUE_COMPARATOR_LABELS[comparator]
    return f"p {sign} {number(comparison['p_value'])}"


def significance(comparison: dict[str, Any]) -> str:
    if unquantified(comparison):
        return ""  # comparison_estimate already says it
    return {True: "statistically significant", False: "not statistically significant"}.get(
        comparison.get("significant"), ""
    )


def unquantified(comparison: dict[str, Any]) -> bool:
    """A comparison the source makes without a number: 'significantly longer'."""
    return comparison.get("kind") == "not_stated" and comparison.get("estimate") is None


def comparison_name(comparison: dict[str, Any]) -> str:
    """'Hazard ratio'; for ``other``, the measure as the source names it."""
    if comparison.get("kind") == "other" and comparison.get("kind_label"):
        return vocabulary.capitalised(comparison["kind_label"])
    return COMPARISONS[comparison["kind"]]


def comparison_estimate(comparison: dict[str, Any]) -> str:
    if unquantified(comparison):
        return {
            True: "statistically significant difference (the source gives no number)",
            False: "no statistically significant difference",
        }.get(comparison.get("significant"), "no number given")
    if comparison.get("estimate") is None:
        return "not reported"
    text = with_unit(comparison["estimate"], comparison.get("unit"), comparison.get("unit_text"))
    if comparison.get("qualifier"):
        text = f"{QUALIFIERS[comparison['qualifier']]} {text}"
    return text


def comparison_result(comparison: dict[str, Any]) -> str:
    """'0.48 (95% CI 0.36 to 0.63)', or the words for a comparison without a number."""
    text = comparison_estimate(comparison)
    ci = comparison_interval(comparison)
    return f"{text} ({ci})" if ci else text


def timepoint_text(timepoint: dict[str, Any] | None) -> str:
    """'36 months', '1 year', '2 weeks'."""
    if not timepoint or timepoint.get("value") is None:
        return ""
    return with_unit(timepoint["value"], timepoint.get("unit") or "months")


def endpoint_name(outcome: dict[str, Any]) -> str:
    """What was measured: the controlled endpoint's name, the editors' label of an ``other``
    endpoint, or (no endpoint code) the source's own title."""
    endpoint = outcome.get("endpoint")
    if endpoint == "other" and outcome.get("endpoint_label"):
        return vocabulary.capitalised(outcome["endpoint_label"])
    if endpoint:
        return vocabulary.ENDPOINT_LABELS.get(endpoint, endpoint)
    return outcome.get("title") or ""


def outcome_heading(outcome: dict[str, Any]) -> str:
    """'Overall survival at 36 months (maintenance)'."""
    parts = [endpoint_name(outcome)]
    when = timepoint_text(outcome.get("timepoint"))
    if when:
        parts.append(f"at {when}")
    if outcome.get("treatment_phase"):
        parts.append(f"({PHASES[outcome['treatment_phase']]})")
    return " ".join(part for part in parts if part)


def outcome_title(outcome: dict[str, Any]) -> str:
    """The source's own title, unless the heading already says it (no endpoint code, or a
    title that is the endpoint's name)."""
    title = outcome.get("title") or ""
    if not outcome.get("endpoint") or title.casefold() == endpoint_name(outcome).casefold():
        return ""
    return title


def outcome_type(outcome: dict[str, Any]) -> str:
    kind = outcome.get("type")
    return f"{vocabulary.capitalised(OUTCOME_TYPES[kind])} outcome" if kind else ""


def source_text(source: dict[str, Any] | None) -> str:
    """Where a number comes from, beside its reference marker: 'NCT00430365, p. 1785'. The
    citation itself is a numbered reference on the page, not repeated here."""
    if not source:
        return ""
    parts = []
    if source.get("registry_id"):
        parts.append(source["registry_id"])
    if source.get("page"):
        parts.append(f"p. {source['page']}")
    return ", ".join(parts)


# A ClinicalTrials.gov study's posted results; only a well-formed NCT id is put into the URL.
CTGOV_RESULTS_URL = "https://clinicaltrials.gov/study/{}?tab=results"
NCT_ID = re.compile(r"^NCT[0-9]{8}$")


def source_url(source: dict[str, Any] | None) -> str:
    """Where a reader checks a number imported from a registry: its results on
    ClinicalTrials.gov ('' for any other source)."""
    if not source or source.get("registry") != "NCT":
        return ""
    registry_id = source.get("registry_id")
    if not isinstance(registry_id, str) or not NCT_ID.match(registry_id):
        return ""
    return CTGOV_RESULTS_URL.format(registry_id)


def source_refs(source: dict[str, Any] | None) -> list[str]:
    return [source["citation"]] if source and source.get("citation") else []


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


@lru_cache(maxsize=4096)  # pages show the same ones many times; not one per event (22 MB)
def readable_time(timestamp: str | None) -> str:
    """'2026-11-23T19:47:45.459809Z' -> '23 Nov 2026, 19:47 UTC' (times come from events)."""
    if not timestamp:
        return ""
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
