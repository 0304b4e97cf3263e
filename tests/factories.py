"""Evidence created the only way evidence is created: proposed by one person, approved by another.

The one set of propose-and-approve helpers, and the composite seeders built on them. The
documents come from ``tests.documents``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from curation import selectors, services
from curation.models import Event
from tests import documents


def create_approved(editor, reviewer, record_type: str, document: dict, why: str = "") -> Event:
    """Propose ``document`` as a new record and approve it; returns the event."""
    cr = services.propose(
        user=editor,
        record_type=record_type,
        action="create",
        document=document,
        rationale=why or f"add {record_type} {document['slug']}",
    )
    return services.approve(cr, user=reviewer)


def revise_approved(
    editor, reviewer, record_type: str, slug: str, change: Callable[[dict], None], why: str = ""
) -> Event:
    """Apply ``change(document)`` to a copy of the live document, propose it (based on the live
    version) and approve it; returns the event."""
    live = selectors.live_record(record_type, slug)
    document = copy.deepcopy(live.document)
    change(document)
    cr = services.propose(
        user=editor,
        record_type=record_type,
        action="revise",
        record=slug,
        base_version=live.version,
        document=document,
        rationale=why or f"correct {slug}",
    )
    return services.approve(cr, user=reviewer)


def retract_approved(
    editor, reviewer, record_type: str, slug: str, base_version: int, why: str = ""
) -> Event:
    """Propose retracting a record at ``base_version`` and approve it; returns the event."""
    cr = services.propose(
        user=editor,
        record_type=record_type,
        action="retract",
        record=slug,
        base_version=base_version,
        rationale=why or f"retract {slug}",
    )
    return services.approve(cr, user=reviewer)


# --- Composite seeders --------------------------------------------------------------------------


def seed_trial_references(editor, reviewer) -> None:
    """The citation and intervention ``documents.ifm_trial()`` refers to, approved."""
    create_approved(editor, reviewer, "citation", documents.ifm_citation())
    create_approved(editor, reviewer, "intervention", documents.ifm_intervention())


def seed_trial(editor, reviewer, **trial_overrides) -> Event:
    """IFM 2005-02 with its citation and intervention: three requests, three events."""
    seed_trial_references(editor, reviewer)
    return create_approved(editor, reviewer, "trial", documents.ifm_trial(**trial_overrides))


def seed_corpus(editor, reviewer, trials: tuple[str, ...] = ("trial-one",)) -> Event:
    """A Drugex citation and intervention, a trial per slug in ``trials`` (named TRIAL 1, 2...)
    and a topic listing them; returns the topic's event (the newest position)."""
    create_approved(editor, reviewer, "citation", documents.drugex_citation())
    create_approved(editor, reviewer, "intervention", documents.drugex_intervention())
    for i, slug in enumerate(trials):
        create_approved(editor, reviewer, "trial", documents.drugex_trial(slug, f"TRIAL {i + 1}"))
    return create_approved(editor, reviewer, "topic", documents.drugex_topic(trials=trials))


def seed_article_trials(editor, reviewer) -> dict:
    """The seed article's citations, interventions and two trials; returns the trials' live
    records as ``{"calgb": ..., "myeloma_xi": ...}``."""
    why = "Initial curation from the source article."
    for citation in documents.article_citations():
        create_approved(editor, reviewer, "citation", citation, why)
    for intervention in documents.article_interventions():
        create_approved(editor, reviewer, "intervention", intervention, why)
    trials = {"calgb": documents.calgb_100104(), "myeloma_xi": documents.myeloma_xi()}
    for document in trials.values():
        create_approved(editor, reviewer, "trial", document, why)
    return {name: selectors.live_record("trial", d["slug"]) for name, d in trials.items()}


def seed_synthetic(editor, reviewer) -> dict[str, Event]:
    """The synthetic intervention, citation, two trials and topic (positions 1-5); returns
    their events by name."""
    created = (
        ("intervention", "intervention", documents.synthetic_intervention()),
        ("citation", "citation", documents.synthetic_citation()),
        ("trial", "trial", documents.synthetic_trial()),
        ("other_trial", "trial", documents.synthetic_other_trial()),
        ("topic", "topic", documents.synthetic_topic()),
    )
    return {
        name: create_approved(editor, reviewer, record_type, document, "test data")
        for name, record_type, document in created
    }


def propose_seed_revision(editor, summary: str, live=None, **extra):
    """The editor's revision of the seed trial ifm-2005-02 with a new summary, based on
    ``live`` (the live record when not given)."""
    live = live or selectors.live_record("trial", "ifm-2005-02")
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record="ifm-2005-02",
        base_version=live.version,
        document=documents.revised(live.document, summary=summary),
        rationale="clearer",
        **extra,
    )
