"""``resources_for``: one record version as FHIR R5 resources, a plain function of the
record's document and history (no database, no snapshot), for the snapshot build and for
anyone else who needs a record in FHIR (e.g. a FHIR API).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import provenance, records, results, study, terminology
from .common import RecordContext, canonical_base

# The record types with a FHIR mapping, and the resource that stands for the whole record
# (Provenance targets it). A record type added to the registry without an entry here is not
# published as FHIR until it gets a mapping.
MAIN_RESOURCE = {
    "trial": "ResearchStudy",
    "citation": "Citation",
    "intervention": "MedicinalProductDefinition",
    "topic": "Composition",
}


def resources_for(
    record_type: str,
    document: dict[str, Any],
    history: Sequence[Any],
    *,
    base: str | None = None,
) -> list[dict[str, Any]]:
    """Every FHIR resource of a record as of its last version in ``history``.

    ``document`` is the record's current (upcast) document; ``history`` its versions, oldest
    first, as ``publishing.selectors.Version`` objects or their ``as_dict()`` (each needs
    version, type, change_request, proposer, approver, approved_at, rationale). ``base`` is
    the canonical base (default: the ``FHIR_CANONICAL_BASE`` setting). Returns plain JSON
    dicts, main resource first, then the record's other resources, then one Provenance per
    version. Raises KeyError for a record type without a mapping.
    """
    base = (base or canonical_base()).rstrip("/")
    versions = [v if isinstance(v, dict) else v.as_dict() for v in history]
    current = versions[-1]
    slug = document["slug"]
    ctx = RecordContext(record_type, slug, current["version"], current["approved_at"], base)
    main_type = MAIN_RESOURCE[record_type]
    if record_type == "trial":
        found = [
            study.research_study(document, ctx),
            *study.arm_groups(document, ctx),
            *study.outcome_variables(document, ctx),
            *results.evidence_of(document, ctx),
        ]
    elif record_type == "citation":
        found = [records.citation(document, ctx)]
    elif record_type == "intervention":
        found = [records.medicinal_product(document, ctx)]
    else:
        found = [records.composition(document, ctx)]
    return found + provenance.provenances(record_type, slug, main_type, versions, base)


def code_systems(base: str | None = None) -> list[dict[str, Any]]:
    """Our own code systems (not made from records): published with every snapshot."""
    return [terminology.endpoint_code_system((base or canonical_base()).rstrip("/"))]


def resource_path(resource: dict[str, Any]) -> str:
    """Where a resource is published in a snapshot: ``fhir/<ResourceType>/<id>.json``."""
    return f"fhir/{resource['resourceType']}/{resource['id']}.json"
