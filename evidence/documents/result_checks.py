"""The semantic checks of a trial's results (``SemanticChecker`` inherits them): an outcome's
measure, unit and dispersion; each arm's value (a number or its missing reason, its spread or
bounds); each comparison (kind, unit, interval, p-value); where a number comes from.

Every problem is reported with its path; ``validation.SemanticChecker`` supplies ``error``,
``references`` and ``unique_keys``.
"""

from __future__ import annotations

from .choices import TIME_UNITS
from .trial import ArmValue, Comparison, Dispersion, Outcome, Source


class ResultChecks:
    """The results part of the semantic checks, mixed into ``SemanticChecker``."""

    def error(self, path: str, message: str) -> None:  # supplied by SemanticChecker
        raise NotImplementedError

    def references(self, record_type: str, path: str, slugs: list[str]) -> None:
        raise NotImplementedError

    def unique_keys(self, path: str, items: list) -> None:
        raise NotImplementedError

    def check_outcome(self, path: str, outcome: Outcome, arm_keys: set[str]) -> None:
        self.references("citation", f"{path}.citations", outcome.citations)
        self.source(f"{path}.source", outcome.source)
        if outcome.endpoint == "other" and not (outcome.endpoint_label or "").strip():
            self.error(f"{path}.endpoint_label", "an 'other' endpoint needs its label")
        if outcome.endpoint_label and outcome.endpoint != "other":
            self.error(f"{path}.endpoint_label", "only an 'other' endpoint takes a label")
        if outcome.timepoint is not None and outcome.timepoint.value <= 0:
            self.error(f"{path}.timepoint.value", "must be greater than 0")
        if outcome.measure == "rate_at_timepoint" and outcome.timepoint is None:
            self.error(f"{path}.timepoint", "a rate at a timepoint needs the timepoint")
        if outcome.measure in ("rate_at_timepoint", "proportion") and outcome.unit != "percent":
            self.error(f"{path}.unit", f"a {outcome.measure} is given in percent")
        if outcome.measure in ("event_count", "count_of_participants") and outcome.unit != "count":
            self.error(f"{path}.unit", "a count is given as a count")
        if outcome.unit == "other" and not (outcome.unit_text or "").strip():
            self.error(f"{path}.unit_text", "an 'other' unit needs the unit as the source gives it")
        self.dispersion(f"{path}.dispersion", outcome.dispersion)
        seen_arms: set[str] = set()
        for j, value in enumerate(outcome.values):
            vpath = f"{path}.values[{j}]"
            if value.arm not in arm_keys:
                self.error(f"{vpath}.arm", f"no arm with key {value.arm!r} in this trial")
            elif value.arm in seen_arms:
                self.error(
                    f"{vpath}.arm", f"arm {value.arm!r} already has a value for this outcome"
                )
            seen_arms.add(value.arm)
            self.check_value(vpath, value, outcome)
        self.unique_keys(f"{path}.comparisons", outcome.comparisons)
        for j, comparison in enumerate(outcome.comparisons):
            self.check_comparison(f"{path}.comparisons[{j}]", comparison, arm_keys)

    def dispersion(self, path: str, dispersion: Dispersion | None) -> None:
        if dispersion is None:
            return
        interval = dispersion.kind == "confidence_interval"
        if dispersion.level is not None and not interval:
            self.error(f"{path}.level", "only a confidence interval has a level")
        if dispersion.sides is not None and not interval:
            self.error(f"{path}.sides", "only a confidence interval has sides")
        if dispersion.level is not None and not 0 < dispersion.level < 100:
            self.error(f"{path}.level", "a confidence level is a percentage between 0 and 100")

    def check_value(self, path: str, value: ArmValue, outcome: Outcome) -> None:
        if value.missing is not None and value.value is not None:
            self.error(f"{path}.missing", "give a value or a missing reason, not both")
        if value.missing is None and value.value is None:
            self.error(f"{path}.value", "give a value, or the reason it is missing")
        if value.missing == "not_reached" and outcome.unit not in TIME_UNITS:
            self.error(f"{path}.missing", "only a time can be not reached")
        if value.missing == "other" and not (value.missing_text or "").strip():
            self.error(f"{path}.missing_text", "say in the source's words why it is missing")
        if value.value is not None:
            self.in_unit_range(f"{path}.value", value.value, outcome.unit)
        self.source(f"{path}.source", value.source)
        kind = outcome.dispersion.kind if outcome.dispersion else None
        if value.spread is not None:
            if kind not in ("standard_deviation", "standard_error"):
                self.error(
                    f"{path}.spread",
                    "a spread needs the outcome's dispersion kind (standard deviation or "
                    "standard error)",
                )
            elif value.spread < 0:
                self.error(f"{path}.spread", "must not be negative")
        has_bounds = value.low is not None or value.high is not None
        if has_bounds and kind in (None, "standard_deviation", "standard_error"):
            self.error(
                f"{path}.low",
                "bounds need the outcome's dispersion kind (interquartile range, full range or "
                "confidence interval)",
            )
        self.interval(
            path,
            value.value,
            (value.low, value.high),
            ("low", "high"),
            bound_missing=value.bound_missing,
            outside=value.estimate_outside_interval,
            note=value.note,
        )

    def check_comparison(self, path: str, comparison: Comparison, arm_keys: set[str]) -> None:
        for field in ("arm", "reference_arm"):
            key = getattr(comparison, field)
            if key not in arm_keys:
                self.error(f"{path}.{field}", f"no arm with key {key!r} in this trial")
        if comparison.arm == comparison.reference_arm:
            self.error(f"{path}.reference_arm", "an arm cannot be compared with itself")
        self.source(f"{path}.source", comparison.source)
        kind, unit, estimate = comparison.kind, comparison.unit, comparison.estimate
        if kind == "other" and not (comparison.kind_label or "").strip():
            self.error(f"{path}.kind_label", "an 'other' measure needs its name")
        if kind == "not_stated":
            if estimate is not None or comparison.ci_low is not None:
                self.error(
                    f"{path}.estimate",
                    "a comparison whose measure is not stated has no estimate or interval",
                )
            if unit is not None:
                self.error(f"{path}.unit", "a comparison whose measure is not stated has no unit")
        elif estimate is not None and unit is None:
            self.error(f"{path}.unit", "an estimate needs its unit")
        if unit == "other" and not (comparison.unit_text or "").strip():
            self.error(f"{path}.unit_text", "an 'other' unit needs the unit as the source gives it")
        ratio = kind in ("hazard_ratio", "odds_ratio", "risk_ratio")
        if ratio and unit not in (None, "ratio"):
            self.error(f"{path}.unit", f"a {kind} is a ratio")
        if ratio and estimate is not None and estimate <= 0:
            self.error(f"{path}.estimate", "a ratio must be greater than 0")
        if kind == "relative_risk_reduction" and unit not in (None, "percent"):
            self.error(f"{path}.unit", "a relative risk reduction is given in percent")
        if unit == "percent" and estimate is not None and not -100 <= estimate <= 100:
            self.error(f"{path}.estimate", "a percentage must be between -100 and 100")
        if comparison.p_value is not None and not 0 < comparison.p_value <= 1:
            self.error(f"{path}.p_value", "a p-value must be greater than 0 and at most 1")
        if comparison.p_value_comparator and comparison.p_value is None:
            self.error(f"{path}.p_value_comparator", "a comparator needs a p-value")
        if estimate is None and comparison.significant is None and comparison.p_value is None:
            self.error(f"{path}.estimate", "give an estimate, a p-value or the significance")
        interval = comparison.ci_low is not None or comparison.ci_high is not None
        if comparison.ci_level is not None and not 0 < comparison.ci_level < 100:
            self.error(f"{path}.ci_level", "a confidence level is a percentage between 0 and 100")
        for field in ("ci_level", "ci_sides"):
            if getattr(comparison, field) is not None and not interval:
                self.error(f"{path}.{field}", "needs a confidence interval")
        self.interval(
            path,
            estimate,
            (comparison.ci_low, comparison.ci_high),
            ("ci_low", "ci_high"),
            bound_missing=comparison.ci_bound_missing,
            outside=comparison.estimate_outside_interval,
            note=comparison.note,
        )

    def in_unit_range(self, path: str, number: float, unit: str) -> None:
        if unit == "percent" and not 0 <= number <= 100:
            self.error(path, "a percentage must be between 0 and 100")
        elif unit == "count" and (number < 0 or number != int(number)):
            self.error(path, "a count must be a whole number, not negative")
        elif unit == "months" and number < 0:
            self.error(path, "a duration must not be negative")

    def interval(
        self,
        path: str,
        estimate: float | None,
        bounds: tuple[float | None, float | None],
        names: tuple[str, str],
        *,
        bound_missing: str | None,
        outside: bool,
        note: str | None,
    ) -> None:
        """An interval's bounds: both, or one with the reason the other is missing; in order;
        containing the estimate unless the source says otherwise (``outside``, with a note)."""
        low, high = bounds
        if (low is None) != (high is None) and bound_missing is None:
            missing = names[1] if high is None else names[0]
            self.error(
                f"{path}.{missing}",
                "an interval needs both bounds, or the reason one is missing",
            )
        if bound_missing is not None and (low is None) == (high is None):
            self.error(f"{path}.{names[0]}", "a missing bound needs the other bound")
        if outside and not (note or "").strip():
            self.error(
                f"{path}.note",
                "say in the note where the source gives an interval that excludes the estimate",
            )
        if low is None or high is None:
            return
        if low > high:
            self.error(f"{path}.{names[0]}", f"lower bound {low} is above the upper bound {high}")
        elif estimate is not None and not low <= estimate <= high and not outside:
            self.error(
                f"{path}.{names[0]}",
                f"the interval {low} to {high} does not contain the estimate {estimate}; if "
                "the source says so, mark estimate_outside_interval and explain in the note",
            )

    def source(self, path: str, source: Source | None) -> None:
        if source is None:
            return
        if source.citation is None and source.registry_id is None:
            self.error(path, "name the citation or the registry record the value comes from")
        if source.registry_id is not None and source.registry is None:
            self.error(f"{path}.registry", "a registry id needs its registry")
        if source.pointer is not None and source.registry_id is None:
            self.error(f"{path}.pointer", "a JSON pointer points into a registry record")
        if source.citation is not None:
            self.references("citation", f"{path}.citation", [source.citation])
