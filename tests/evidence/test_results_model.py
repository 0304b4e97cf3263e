"""The general results model (schema version 2): what it holds, and what it refuses, by path."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from evidence.documents import DocumentInvalid, validate_document
from tests.documents import (
    general_trial,
    mean_with_sd_outcome,
    median_with_iqr_outcome,
    one_sided_hazard_ratio_outcome,
)


def test_the_three_shapes_of_the_issue_validate_and_keep_what_the_source_said():
    document = validate_document(
        "trial",
        general_trial(
            [mean_with_sd_outcome(), median_with_iqr_outcome(), one_sided_hazard_ratio_outcome()]
        ),
    )
    mean, median, hazard = document["outcomes"]
    assert mean["values"][0]["spread"] == 3.1 and mean["unit_text"] == "score on a scale"
    assert median["values"][1]["missing"] == "not_reached" and median["values"][1]["raw"] == "NA"
    comparison = hazard["comparisons"][0]
    assert (comparison["ci_low"], comparison["ci_high"], comparison["ci_sides"]) == (None, 0.8, 1)
    assert (comparison["p_value"], comparison["p_value_comparator"]) == (0.001, "<")
    assert comparison["p_value_text"] == "<0.001"


def test_a_trial_of_any_field_states_its_conditions_design_and_dates():
    document = validate_document(
        "trial",
        general_trial(
            [],
            conditions=[{"text": "Axial spondyloarthritis", "code": "D025242", "system": "MeSH"}],
            phases=["2", "3"],
            design={
                "allocation": "randomised",
                "masking": "quadruple",
                "masked_roles": ["participant", "investigator"],
                "model": "parallel",
            },
            enrollment=238,
            enrollment_type="actual",
            dates={"start": {"date": "2019-03", "type": "actual"}},
        ),
    )
    assert document["phases"] == ["2", "3"] and document["setting"] is None
    assert document["dates"]["start"] == {"date": "2019-03", "type": "actual"}


def refused(document: dict) -> dict[str, str]:
    with pytest.raises(DocumentInvalid) as caught:
        validate_document("trial", document)
    return {error["path"]: error["message"] for error in caught.value.errors}


def edit(outcome: Callable[[], dict], change: Callable[[dict], None]) -> dict:
    item = copy.deepcopy(outcome())
    change(item)
    return general_trial([item])


BAD_INPUT = [
    (
        "a value and a missing reason together",
        edit(mean_with_sd_outcome, lambda o: o["values"][0].update(missing="not_estimable")),
        "outcomes[0].values[0].missing",
        "not both",
    ),
    (
        "neither a value nor a missing reason",
        edit(mean_with_sd_outcome, lambda o: o["values"][0].pop("value")),
        "outcomes[0].values[0].value",
        "reason it is missing",
    ),
    (
        "an interval that excludes its estimate",
        edit(median_with_iqr_outcome, lambda o: o["values"][0].update(low=15)),
        "outcomes[0].values[0].low",
        "does not contain the estimate",
    ),
    (
        "the override without the note that explains it",
        edit(
            median_with_iqr_outcome,
            lambda o: o["values"][0].update(low=15, estimate_outside_interval=True),
        ),
        "outcomes[0].values[0].note",
        "excludes the estimate",
    ),
    (
        "a dispersion without its kind",
        edit(mean_with_sd_outcome, lambda o: o.update(dispersion={"level": 95})),
        "outcomes[0].dispersion.kind",
        "required",
    ),
    (
        "a spread with no dispersion kind",
        edit(mean_with_sd_outcome, lambda o: o.pop("dispersion")),
        "outcomes[0].values[0].spread",
        "dispersion kind",
    ),
    (
        "bounds given for a standard deviation",
        edit(mean_with_sd_outcome, lambda o: o["values"][0].update(low=1, high=20)),
        "outcomes[0].values[0].low",
        "dispersion kind",
    ),
    (
        "a time unit that is not a time",
        edit(mean_with_sd_outcome, lambda o: o.update(timepoint={"value": 16, "unit": "percent"})),
        "outcomes[0].timepoint.unit",
        "days",
    ),
    (
        "a sidedness that is not one or two",
        edit(one_sided_hazard_ratio_outcome, lambda o: o["comparisons"][0].update(ci_sides=3)),
        "outcomes[0].comparisons[0].ci_sides",
        "1 or 2",
    ),
    (
        "a p-value above 1",
        edit(one_sided_hazard_ratio_outcome, lambda o: o["comparisons"][0].update(p_value=1.5)),
        "outcomes[0].comparisons[0].p_value",
        "at most 1",
    ),
    (
        "a p-value of 0",
        edit(one_sided_hazard_ratio_outcome, lambda o: o["comparisons"][0].update(p_value=0)),
        "outcomes[0].comparisons[0].p_value",
        "greater than 0",
    ),
    (
        "a comparator that is not one of < <= = > >=",
        edit(
            one_sided_hazard_ratio_outcome,
            lambda o: o["comparisons"][0].update(p_value_comparator="~"),
        ),
        "outcomes[0].comparisons[0].p_value_comparator",
        "'<'",
    ),
    (
        "one bound without the reason the other is missing",
        edit(one_sided_hazard_ratio_outcome, lambda o: o["comparisons"][0].pop("ci_bound_missing")),
        "outcomes[0].comparisons[0].ci_low",
        "both bounds",
    ),
    (
        "a level on a standard deviation",
        edit(mean_with_sd_outcome, lambda o: o["dispersion"].update(level=95)),
        "outcomes[0].dispersion.level",
        "only a confidence interval",
    ),
    (
        "an 'other' endpoint without its label",
        edit(mean_with_sd_outcome, lambda o: o.pop("endpoint_label")),
        "outcomes[0].endpoint_label",
        "needs its label",
    ),
    (
        "an 'other' unit without the source's unit",
        edit(mean_with_sd_outcome, lambda o: o.pop("unit_text")),
        "outcomes[0].unit_text",
        "as the source gives it",
    ),
    (
        "'other' missing reason without the source's words",
        edit(
            median_with_iqr_outcome,
            lambda o: o["values"][1].update(missing="other", missing_text=""),
        ),
        "outcomes[0].values[1].missing_text",
        "source's words",
    ),
    (
        "a median of a percentage 'not reached'",
        edit(
            mean_with_sd_outcome,
            lambda o: (
                o.update(unit="percent", dispersion=None)
                or o["values"][0].update(value=None, spread=None, missing="not_reached")
            ),
        ),
        "outcomes[0].values[0].missing",
        "only a time",
    ),
    (
        "an estimate for a comparison whose measure is not stated",
        edit(
            one_sided_hazard_ratio_outcome, lambda o: o["comparisons"][0].update(kind="not_stated")
        ),
        "outcomes[0].comparisons[0].estimate",
        "not stated",
    ),
    (
        "a unit for a comparison whose measure is not stated",
        edit(
            one_sided_hazard_ratio_outcome,
            lambda o: o["comparisons"][0].update(
                kind="not_stated",
                estimate=None,
                ci_high=None,
                ci_level=None,
                ci_sides=None,
                ci_bound_missing=None,
            ),
        ),
        "outcomes[0].comparisons[0].unit",
        "has no unit",
    ),
    (
        "a source that names nothing",
        edit(
            one_sided_hazard_ratio_outcome,
            lambda o: o["comparisons"][0].update(source={"page": "4"}),
        ),
        "outcomes[0].comparisons[0].source",
        "name the citation or the registry record",
    ),
    (
        "a JSON pointer that is not one",
        edit(
            one_sided_hazard_ratio_outcome,
            lambda o: o["comparisons"][0]["source"].update(pointer="results/0"),
        ),
        "outcomes[0].comparisons[0].source.pointer",
        "pattern",
    ),
]


@pytest.mark.parametrize(
    "document,path,message", [case[1:] for case in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_results_are_refused_with_their_path(document, path, message):
    errors = refused(document)
    assert path in errors, errors
    assert message in errors[path]


@pytest.mark.parametrize(
    "fields,path",
    [
        ({"setting_text": None}, "setting"),
        ({"phases": ["3", "3"]}, "phases"),
        ({"phases": ["phase 3"]}, "phases[0]"),
        ({"design": {"masking": "none", "masked_roles": ["participant"]}}, "design.masked_roles"),
        ({"conditions": [{"text": "Gout", "code": "M10"}]}, "conditions[0].system"),
        ({"dates": {"start": {"date": "2019-02-30"}}}, "dates.start.date"),
        ({"dates": {"start": {"date": "March 2019"}}}, "dates.start.date"),
        ({"enrollment_type": "actual"}, "enrollment_type"),
        ({"schema_version": 3}, "schema_version"),
    ],
)
def test_bad_trial_fields_are_refused_with_their_path(fields, path):
    assert path in refused(general_trial([], **fields))


def test_an_interval_the_source_gives_outside_its_estimate_is_kept_with_its_note():
    outcome = median_with_iqr_outcome()
    outcome["values"][0].update(
        low=15, estimate_outside_interval=True, note="As printed in table 2 of the source."
    )
    document = validate_document("trial", general_trial([outcome]))
    assert document["outcomes"][0]["values"][0]["low"] == 15


def test_a_source_citation_must_exist():
    outcome = mean_with_sd_outcome()
    outcome["values"][0]["source"] = {"citation": "no-such-paper", "quote": "12.4 (3.1)"}
    with pytest.raises(DocumentInvalid) as caught:
        validate_document("trial", general_trial([outcome]), exists=lambda record_type, slug: False)
    assert {e["path"] for e in caught.value.errors} == {"outcomes[0].values[0].source.citation"}
