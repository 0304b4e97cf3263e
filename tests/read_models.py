"""What the database holds: every read-model row by natural key (to compare two projections),
and the rows the curation workflow writes (to check that a refusal wrote nothing)."""

from __future__ import annotations

import orjson

from curation.models import ChangeRequest, Event, Review
from evidence import models as ev


def written() -> tuple[int, ...]:
    """How many change requests, their history rows, reviews and events there are."""
    return (
        ChangeRequest.objects.count(),
        ChangeRequest.history.count(),
        Review.objects.count(),
        Event.objects.count(),
    )


def own_columns(model, *references: str) -> list[str]:
    """A model's columns but its surrogate id and the foreign keys given (read by natural key)."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in references
    ]


def read_model_state() -> dict[str, list[tuple]]:
    """Every read-model row by natural key (no surrogate ids), for comparing two projections."""
    state: dict[str, list[tuple]] = {}
    for record_type, model in ev.RECORD_MODELS.items():
        fields = [f.attname for f in model._meta.concrete_fields]
        state[record_type] = sorted(
            tuple(
                orjson.dumps(v, option=orjson.OPT_SORT_KEYS) if isinstance(v, dict | list) else v
                for v in row
            )
            for row in model.objects.values_list(*fields)
        )
    state["arms"] = sorted(
        ev.Arm.objects.values_list("trial__slug", "key", "order", "label", "role", "n")
    )
    state["outcomes"] = sorted(
        ev.Outcome.objects.values_list("trial__slug", *own_columns(ev.Outcome, "trial_id"))
    )
    state["values"] = sorted(
        ev.OutcomeValue.objects.values_list(
            "outcome__trial__slug",
            "outcome__key",
            "arm__key",
            "value",
            "missing",
            "qualifier",
            "spread",
            "low",
            "high",
        )
    )
    state["comparisons"] = sorted(
        ev.Comparison.objects.values_list(
            "outcome__trial__slug",
            "outcome__key",
            "key",
            "kind",
            "arm__key",
            "reference_arm__key",
            "estimate",
            "unit",
            "ci_low",
            "ci_high",
            "p_value",
            "p_value_comparator",
            "significant",
        )
    )
    state["findings"] = sorted(
        (t or "", p or "", k, o, kind, s)
        for t, p, k, o, kind, s in ev.Finding.objects.values_list(
            "trial__slug", "topic__slug", "key", "order", "kind", "statement"
        )
    )
    state["trial_interventions"] = sorted(
        ev.Trial.interventions.through.objects.values_list("trial__slug", "intervention__slug")
    )
    state["trial_citations"] = sorted(
        ev.Trial.citations.through.objects.values_list("trial__slug", "citation__slug")
    )
    state["topic_trials"] = sorted(
        ev.TopicTrial.objects.values_list("topic__slug", "section_key", "trial__slug", "order")
    )
    return state
