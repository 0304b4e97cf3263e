"""Small evidence documents for publishing tests, created through the curation services."""

from __future__ import annotations

from typing import Any

from curation import services
from curation.models import Event
from publishing import storage
from tests.factories import revise_approved


def citation(slug: str = "smith-2020", **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "kind": "article",
        "title": f"Maintenance study reported by {slug}",
        "authors": ["Smith A", "Jones B"],
        "authors_et_al": True,
        "journal": "Journal of Examples",
        "year": 2020,
        "volume": "12",
        "pages": "100-110",
        "doi": "10.1000/example.1",
        "url": "https://example.org/paper",
        **extra,
    }


def intervention(slug: str = "drug-a", name: str = "Drugex (drug-a)") -> dict[str, Any]:
    return {"slug": slug, "name": name, "generic_name": slug, "brand_names": ["Drugex"]}


def trial(slug: str = "trial-one", name: str = "TRIAL ONE", **extra: Any) -> dict[str, Any]:
    document = {
        "slug": slug,
        "name": name,
        "full_title": f"A randomised study called {name}",
        "registry_ids": [{"registry": "NCT", "id": "NCT00000001"}],
        "phase": "3",
        "design": {"randomised": True, "blinding": "double_blind", "placebo_controlled": True},
        "setting": "post_autologous_transplant",
        "population": "Adults with myeloma after transplant.",
        "enrollment": 400,
        "median_follow_up_months": 30,
        "conduct_notes": [{"key": "unblinding", "kind": "unblinding", "text": "Unblinded early."}],
        "interventions": ["drug-a"],
        "arms": [
            {
                "key": "drug",
                "label": "Drugex",
                "role": "experimental",
                "regimen": [
                    {
                        "intervention": "drug-a",
                        "description": "Drugex daily",
                        "phase": "maintenance",
                    }
                ],
                "n": 200,
                "description": "Daily tablets.",
            },
            {"key": "placebo", "label": "Placebo", "role": "placebo", "n": 200},
        ],
        "outcomes": [
            {
                "key": "pfs",
                "endpoint": "pfs",
                "label": "median progression-free survival",
                "measure": "median",
                "unit": "months",
                "values": [
                    {"arm": "drug", "value": 46},
                    {"arm": "placebo", "value": 24, "note": "as reported"},
                ],
                "comparisons": [
                    {
                        "key": "hr",
                        "kind": "hazard_ratio",
                        "arm": "drug",
                        "reference_arm": "placebo",
                        "estimate": 0.48,
                        "ci_low": 0.36,
                        "ci_high": 0.63,
                        "ci_level": 95,
                        "p_value": 0.001,
                        "p_value_qualifier": "less_than",
                        "significant": True,
                        "note": "stratified",
                    }
                ],
                "citations": ["smith-2020"],
            },
            {
                "key": "os",
                "endpoint": "os",
                "label": "median overall survival",
                "measure": "median",
                "unit": "months",
                "subgroup": "all patients",
                "values": [
                    {"arm": "drug", "not_reached": True},
                    {"arm": "placebo", "value": 76, "qualifier": "about"},
                ],
                "note": "After 30 months.",
            },
        ],
        "findings": [
            {
                "key": "longer_pfs",
                "statement": "Drugex lengthened progression-free survival.",
                "kind": "efficacy",
                "outcomes": ["pfs"],
                "citations": ["smith-2020"],
                "note": "primary endpoint",
            }
        ],
        "summary": "Drugex after transplant delayed progression.",
        "citations": ["smith-2020"],
        "notes": "Editors checked the abstract.",
    }
    document.update(extra)
    return document


def topic(slug: str = "maintenance", trials: tuple[str, ...] = ("trial-one",)) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "What is maintenance therapy?",
        "condition": "Multiple myeloma",
        "summary": "Maintenance therapy keeps a remission.\n\nIt may delay progression.",
        "byline": "Dr. Example",
        "source_updated": "2023-02",
        "sections": [
            {
                "key": "after-transplant",
                "heading": "Drugex after transplant",
                "body": ["Drugex was studied after transplant."],
                "interventions": ["drug-a"],
                "setting": "post_autologous_transplant",
                "trials": list(trials),
            }
        ],
        "findings": [
            {
                "key": "overall",
                "statement": "Maintenance delays progression.",
                "kind": "conclusion",
                "trials": list(trials),
                "citations": ["smith-2020"],
            }
        ],
        "citations": ["smith-2020"],
        "notes": "Topic note.",
    }


def create(editor, reviewer, record_type: str, document: dict[str, Any], why: str = "") -> Event:
    cr = services.propose(
        user=editor,
        record_type=record_type,
        action="create",
        document=document,
        rationale=why or f"add {record_type} {document['slug']}",
    )
    return services.approve(cr, user=reviewer)


def revise(editor, reviewer, record_type: str, slug: str, change, why: str = "") -> Event:
    """Apply ``change(document)`` to the live document and approve it."""
    return revise_approved(editor, reviewer, record_type, slug, change, why)


def seed_small(editor, reviewer, trials: tuple[str, ...] = ("trial-one",)) -> Event:
    create(editor, reviewer, "citation", citation())
    create(editor, reviewer, "intervention", intervention())
    for i, slug in enumerate(trials):
        create(editor, reviewer, "trial", trial(slug, f"TRIAL {i + 1}"))
    return create(editor, reviewer, "topic", topic(trials=trials))


def published_bytes(seq: int, path: str) -> bytes:
    """A published file's bytes, read the way serving reads them (in either mode)."""
    store = storage.snapshot_store()
    entry = store.manifest(seq).files.get(path, {})
    with store.open(seq, path, entry) as handle:
        return handle.read()
