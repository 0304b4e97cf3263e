"""A trial's results as Evidence: one per arm value, one (comparative) per comparison.

Shaped after HL7's examples (``r5-core/Evidence-*``, ``ebm-ig-r5/*comparativeevidence*`` and
``*comparatoronlyevidence*``):

- ``variableDefinition``: the arm's Group as ``population`` and the outcome's EvidenceVariable
  as ``measuredVariable``; a comparison has the compared arm as ``exposure`` (with the EBM
  guide's comparator-category extension naming the reference arm) and the reference arm as
  ``referenceExposure``, so the direction of a ratio or difference is explicit;
- one ``statistic``: ``statisticType`` from HL7's statistic-type code system, ``quantity``
  with exactly the document's number (a qualifier as its comparator) and its UCUM unit,
  ``attributeEstimate`` for the spread (SD, SE, IQR, range, CI with ``level`` and ``range``)
  and the p-value (C44185, ``quantity`` with its comparator), ``sampleSize`` for the
  participants analysed, ``modelCharacteristic`` for the method;
- ``description``: the result in the words the published pages use ("median not reached",
  "0.62 (97.5% one-sided CI up to 0.8)"). A value without a number has no ``quantity`` and says
  why in the description ("not reached", "not reported", the source's words); R5 has no code
  for "not reached", and HL7's examples say it in words the same way.

Profiles (``meta.profile``, the EBM guide's R5 ballot as in ``ebm-ig-r5/``): an arm value
claims ``non-comparative-evidence``, a comparison ``comparative-evidence``. What they require
is filled: ``variableDefinition`` with a ``population`` and an ``outcome`` slice (the guide's
variable-role-code extension and ``note.text`` naming the role; a comparison's population is
the trial's population). The guide's ``exposure`` slice is optional, and not claimed: see
``_ebm_role``.

Percentages stay percentages (``%``), confidence levels become fractions (95 -> 0.95) because
FHIR's ``level`` is one; no other number is converted or computed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from evidence.documents import vocabulary

from .. import formatting
from . import codes
from .common import RecordContext, compact, fhir_id, notes, record_reference, reference
from .study import arm_group_id, outcome_variable_id


def arm_value_id(slug: str, outcome_key: str, arm_key: str) -> str:
    return fhir_id(slug, outcome_key, "arm", arm_key)


def comparison_id(slug: str, outcome_key: str, comparison_key: str) -> str:
    return fhir_id(slug, outcome_key, "vs", comparison_key)


def evidence_of(trial: dict[str, Any], ctx: RecordContext) -> list[dict[str, Any]]:
    arms = {arm["key"]: arm for arm in trial["arms"]}
    found = []
    for outcome in trial["outcomes"]:
        for value in outcome.get("values", []):
            found.append(_arm_evidence(trial, outcome, value, arms, ctx))
        for comparison in outcome.get("comparisons", []):
            found.append(_comparison_evidence(trial, outcome, comparison, arms, ctx))
    return found


def _arm_evidence(trial, outcome, value, arms, ctx: RecordContext) -> dict[str, Any]:
    slug, arm = trial["slug"], arms[value["arm"]]
    evidence_id = arm_value_id(slug, outcome["key"], value["arm"])
    result = formatting.arm_result(value, outcome)
    has_number = value.get("value") is not None and not value.get("missing")
    statistic = {
        "description": result,
        "statisticType": _measure_type(outcome),
        "quantity": (
            codes.ucum_quantity(
                value["value"],
                outcome["unit"],
                outcome.get("unit_text"),
                codes.QUALIFIER_COMPARATOR.get(value.get("qualifier") or ""),
            )
            if has_number
            else None
        ),
        "sampleSize": (
            {
                "description": formatting.participants(value),
                "numberOfParticipants": value["participants"],
            }
            if value.get("participants") is not None
            else None
        ),
        "attributeEstimate": _spread_estimates(value, outcome),
        "note": notes(
            _source_words(value),
            f"As printed in the source: {value['raw']}" if value.get("raw") else None,
            _outside_interval(value),
            _source_note(value.get("source")),
            value.get("note"),
        ),
    }
    return compact(
        {
            **ctx.head("Evidence", evidence_id, profile=codes.NON_COMPARATIVE_EVIDENCE),
            "identifier": [ctx.identifier(slug, outcome["key"], value["arm"])],
            "title": f"{outcome['title']}: {arm['label']} ({trial['name']})",
            "status": "active",
            "description": f"{outcome['title']}, {arm['label']}: {result}",
            "relatedArtifact": _citations(outcome, value.get("source")),
            "variableDefinition": [
                {
                    "description": arm["label"],
                    "variableRole": codes.variable_role("population"),
                    "observed": reference("Group", arm_group_id(slug, arm["key"]), arm["label"]),
                    **_ebm_role("population"),
                },
                _measured(slug, outcome),
            ],
            "statistic": [statistic],
        }
    )


def _comparison_evidence(trial, outcome, comparison, arms, ctx: RecordContext) -> dict:
    slug = trial["slug"]
    arm, reference_arm = arms[comparison["arm"]], arms[comparison["reference_arm"]]
    evidence_id = comparison_id(slug, outcome["key"], comparison["key"])
    name = formatting.comparison_name(comparison)
    result = formatting.comparison_result(comparison)
    p_value = formatting.p_value(comparison)
    significance = formatting.significance(comparison)
    if formatting.unquantified(comparison):  # "statistically significant difference (...)"
        summary = result
    else:
        summary = ", ".join(part for part in (f"{name} {result}", p_value, significance) if part)
    kind = comparison["kind"]
    statistic = {
        "description": summary,
        "statisticType": codes.statistic_type(
            codes.COMPARISON_STATISTIC.get(kind),
            "measure not stated" if kind == "not_stated" else name,
        ),
        "quantity": (
            codes.ucum_quantity(
                comparison["estimate"],
                comparison.get("unit") if comparison.get("unit") != "ratio" else None,
                comparison.get("unit_text"),
                codes.QUALIFIER_COMPARATOR.get(comparison.get("qualifier") or ""),
            )
            if comparison.get("estimate") is not None
            else None
        ),
        "attributeEstimate": [*_comparison_interval(comparison), *_p_value(comparison, p_value)],
        "modelCharacteristic": (
            [
                {
                    "code": {
                        "coding": [codes.coding(*codes.DEFINED_IN_TEXT, "Defined in text")],
                        "text": comparison["method"],
                    }
                }
            ]
            if comparison.get("method")
            else None
        ),
        "note": notes(
            _significance_note(comparison),
            _outside_interval(comparison),
            _source_note(comparison.get("source")),
            comparison.get("note"),
        ),
    }
    return compact(
        {
            **ctx.head("Evidence", evidence_id, profile=codes.COMPARATIVE_EVIDENCE),
            "identifier": [ctx.identifier(slug, outcome["key"], comparison["key"])],
            "title": (
                f"{outcome['title']}: {arm['label']} vs {reference_arm['label']} ({trial['name']})"
            ),
            "status": "active",
            "description": f"{outcome['title']}, {arm['label']} vs {reference_arm['label']}: "
            f"{summary}",
            "assertion": significance or None,
            "relatedArtifact": _citations(outcome, comparison.get("source")),
            "variableDefinition": [
                {
                    "description": trial["population"],
                    "variableRole": codes.variable_role("population"),
                    **_ebm_role("population"),
                },
                {
                    "description": arm["label"],
                    "variableRole": codes.variable_role("exposure"),
                    "observed": reference("Group", arm_group_id(slug, arm["key"]), arm["label"]),
                    "extension": [
                        {"url": codes.COMPARATOR_CATEGORY, "valueString": reference_arm["label"]}
                    ],
                },
                {
                    "description": reference_arm["label"],
                    "variableRole": codes.variable_role("referenceExposure"),
                    "observed": reference(
                        "Group", arm_group_id(slug, reference_arm["key"]), reference_arm["label"]
                    ),
                },
                _measured(slug, outcome),
            ],
            "statistic": [statistic],
        }
    )


def _measure_type(outcome: dict[str, Any]) -> dict[str, Any]:
    measure = outcome["measure"]
    return codes.statistic_type(
        codes.MEASURE_STATISTIC.get(measure), vocabulary.MEASURE_LABELS[measure]
    )


def _measured(slug: str, outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": outcome["title"],
        "variableRole": codes.variable_role("measuredVariable"),
        "observed": reference(
            "EvidenceVariable", outcome_variable_id(slug, outcome["key"]), outcome["title"]
        ),
        **_ebm_role("outcome"),
    }


def _ebm_role(role: str) -> dict[str, Any]:
    """What puts a variable definition in the EBM guide's ``population`` or ``outcome`` slice:
    the role-code extension and ``note.text`` (the slices' discriminator) naming the role.
    The compared arms (exposure and reference exposure) stay outside the guide's exposure
    slice: it wants an exposure variable with categories, ours are the arms' Groups."""
    return {
        "extension": [{"url": codes.VARIABLE_ROLE_CODE, "valueCode": role}],
        "note": [{"text": role}],
    }


def _level(percent: Any) -> float | None:
    """A confidence level in percent as FHIR's fraction: 95 -> 0.95, 97.5 -> 0.975 (decimal
    arithmetic, so the fraction is the shortest one, never 0.9750000000000001)."""
    if percent is None:
        return None
    return float(Decimal(str(percent)) / 100)


def _bounds(low: Any, high: Any, unit: str | None, unit_text: str | None) -> dict[str, Any]:
    return {
        "low": codes.ucum_quantity(low, unit, unit_text) if low is not None else None,
        "high": codes.ucum_quantity(high, unit, unit_text) if high is not None else None,
    }


def _spread_estimates(value: dict[str, Any], outcome: dict[str, Any]) -> list[dict[str, Any]]:
    dispersion = outcome.get("dispersion") or {}
    kind = dispersion.get("kind")
    if kind is None:
        return []
    words = formatting.value_spread(value, outcome)
    unit, unit_text = outcome["unit"], outcome.get("unit_text")
    code = codes.DISPERSION_ESTIMATE[kind]
    if kind == "standard_error" and outcome["measure"] not in codes.MEAN_MEASURES:
        code = None  # HL7's code is the standard error *of the mean*
    if kind in ("standard_deviation", "standard_error"):
        if value.get("spread") is None:
            return []
        estimate = {"quantity": codes.ucum_quantity(value["spread"], unit, unit_text)}
    else:
        if value.get("low") is None and value.get("high") is None:
            return []
        estimate = {"range": _bounds(value.get("low"), value.get("high"), unit, unit_text)}
        if kind == "confidence_interval":
            estimate["level"] = _level(dispersion.get("level"))
    label = vocabulary.DISPERSION_LABELS[kind]
    return [
        {
            "description": words or label,
            "type": codes.estimate_type(code, label),
            **estimate,
            "note": notes(_sides_note(dispersion.get("sides")), _bound_note(value, "bound")),
        }
    ]


def _comparison_interval(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    if comparison.get("ci_low") is None and comparison.get("ci_high") is None:
        return []
    unit = comparison.get("unit") if comparison.get("unit") != "ratio" else None
    return [
        {
            "description": formatting.comparison_interval(comparison) or "confidence interval",
            "type": codes.estimate_type(codes.CONFIDENCE_INTERVAL, "CI"),
            "level": _level(comparison.get("ci_level")),
            "range": _bounds(
                comparison.get("ci_low"),
                comparison.get("ci_high"),
                unit,
                comparison.get("unit_text"),
            ),
            "note": notes(
                _sides_note(comparison.get("ci_sides")), _bound_note(comparison, "ci_bound")
            ),
        }
    ]


def _p_value(comparison: dict[str, Any], words: str) -> list[dict[str, Any]]:
    """The p-value as HL7's examples write it: ``quantity`` with the comparator ("<"), and the
    source's printed text in the description. "=" is no comparator in FHIR: left out."""
    if comparison.get("p_value") is None and not words:
        return []
    comparator = comparison.get("p_value_comparator")
    quantity = None
    if comparison.get("p_value") is not None:
        quantity = codes.ucum_quantity(
            comparison["p_value"], None, comparator=comparator if comparator != "=" else None
        )
    return [
        {
            "description": words,
            "type": codes.estimate_type(codes.P_VALUE, "p-value"),
            "quantity": quantity,
        }
    ]


def _source_words(value: dict[str, Any]) -> str | None:
    words = formatting.source_wording(value)
    return f"In the source's words: {words}" if words else None


def _sides_note(sides: Any) -> str | None:
    return f"{vocabulary.SIDES_LABELS[str(sides)]} interval" if sides else None


def _bound_note(item: dict[str, Any], prefix: str) -> str | None:
    reason = item.get(f"{prefix}_missing")
    if not reason:
        return None
    return f"One bound is {vocabulary.MISSING_REASON_LABELS[reason]}."


def _outside_interval(item: dict[str, Any]) -> str | None:
    if not item.get("estimate_outside_interval"):
        return None
    return "The source gives an interval that does not contain the estimate."


def _significance_note(comparison: dict[str, Any]) -> str | None:
    if comparison.get("significant") is None:
        return None
    words = "statistically significant" if comparison["significant"] else "not significant"
    return f"The source calls the difference {words}."


def _source_note(source: dict[str, Any] | None) -> str | None:
    if not source:
        return None
    parts = [formatting.source_text(source)]
    if source.get("pointer"):
        parts.append(f"at {source['pointer']}")
    if source.get("quote"):
        parts.append(f"\u201c{source['quote']}\u201d")
    text = ", ".join(part for part in parts if part)
    return f"Source: {text}" if text else None


def _citations(outcome: dict[str, Any], source: dict[str, Any] | None) -> list[dict]:
    """The citations the result rests on: its own source's, then the outcome's."""
    slugs = [(source or {}).get("citation"), (outcome.get("source") or {}).get("citation")]
    slugs += outcome.get("citations", [])
    unique = list(dict.fromkeys(slug for slug in slugs if slug))
    return [
        {"type": "citation", "resourceReference": record_reference("Citation", s)} for s in unique
    ]
