"""Small valid documents for tests, built the way an editor would fill them in."""

from __future__ import annotations

import copy


def citation(slug: str = "attal-2012", **overrides) -> dict:
    doc = {
        "slug": slug,
        "kind": "article",
        "title": "Lenalidomide Maintenance after Stem-Cell Transplantation for Multiple Myeloma",
        "authors": ["Attal M", "Lauwers-Cances V", "Marit G"],
        "authors_et_al": True,
        "journal": "New England Journal of Medicine",
        "year": 2012,
        "volume": "366",
        "pages": "1782-1791",
    }
    doc.update(overrides)
    return doc


def intervention(slug: str = "lenalidomide", **overrides) -> dict:
    doc = {
        "slug": slug,
        "name": "Revlimid (lenalidomide)",
        "generic_name": "lenalidomide",
        "brand_names": ["Revlimid"],
    }
    doc.update(overrides)
    return doc


def trial(slug: str = "ifm-2005-02", **overrides) -> dict:
    doc = {
        "slug": slug,
        "name": "IFM 2005-02",
        "registry_ids": [{"registry": "NCT", "id": "NCT00430365"}],
        "setting": "post_autologous_transplant",
        "population": "614 patients under age 65 after transplantation",
        "enrollment": 614,
        "interventions": ["lenalidomide"],
        "arms": [
            {
                "key": "len",
                "label": "Revlimid maintenance",
                "role": "experimental",
                "regimen": [
                    {
                        "intervention": "lenalidomide",
                        "description": "Revlimid",
                        "phase": "maintenance",
                    }
                ],
            },
            {"key": "pbo", "label": "Placebo", "role": "placebo"},
        ],
        "outcomes": [
            {
                "key": "pfs",
                "endpoint": "pfs",
                "label": "Average survival without myeloma progression",
                "measure": "duration_unspecified",
                "unit": "months",
                "values": [{"arm": "len", "value": 41}, {"arm": "pbo", "value": 23}],
            },
            {
                "key": "spm",
                "endpoint": "second_primary_malignancy",
                "label": "New cancers",
                "measure": "event_count",
                "unit": "count",
                "values": [{"arm": "len", "value": 32}, {"arm": "pbo", "value": 12}],
            },
        ],
        "findings": [
            {
                "key": "pfs-benefit",
                "statement": "Revlimid maintenance improved progression-free survival.",
                "kind": "efficacy",
                "outcomes": ["pfs"],
            }
        ],
        "summary": "Revlimid after transplant delayed progression.",
        "citations": ["attal-2012"],
    }
    doc.update(overrides)
    return doc


def revised(document: dict, **changes) -> dict:
    new = copy.deepcopy(document)
    new.update(changes)
    return new


def create_approved(editor, reviewer, record_type: str, document: dict):
    from curation import services

    cr = services.propose(
        user=editor, record_type=record_type, action="create", document=document, rationale="test"
    )
    return services.approve(cr, user=reviewer)


def seed_trial(editor, reviewer, **trial_overrides):
    """A citation, an intervention and a trial referring to both, all approved."""
    create_approved(editor, reviewer, "citation", citation())
    create_approved(editor, reviewer, "intervention", intervention())
    return create_approved(editor, reviewer, "trial", trial(**trial_overrides))


def revise_approved(editor, reviewer, record_type: str, slug: str, change, why: str = ""):
    """Apply ``change(document)`` to the live document, propose it and approve it."""
    from curation import selectors, services

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
