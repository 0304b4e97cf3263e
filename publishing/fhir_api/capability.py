"""The CapabilityStatement: exactly what this server does, from the tables the views obey."""

from __future__ import annotations

from typing import Any

from . import search
from .responses import FHIR_JSON

INTERACTIONS = ("read", "vread", "history-instance", "search-type")


def capability_statement(resource_types: list[str], published_at: str, base_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "id": "evidence-curation",
        "status": "active",
        "date": published_at,
        "kind": "instance",
        "software": {"name": "evidence-curation"},
        "implementation": {
            "description": "Read-only FHIR R5 API over the latest published evidence snapshot",
            "url": base_url,
        },
        "fhirVersion": "5.0.0",
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. Search results page with _count (0 to "
                    f"{search.MAX_COUNT}, default {search.DEFAULT_COUNT}) and _offset; any "
                    "other parameter, modifier or prefix is refused with 400. A resource of a "
                    "retracted record answers 410 Gone; an id never published 404."
                ),
                "resource": [_resource(t) for t in resource_types],
            }
        ],
    }


def _resource(resource_type: str) -> dict[str, Any]:
    return {
        "type": resource_type,
        "interaction": [{"code": code} for code in INTERACTIONS],
        "versioning": "versioned",
        "readHistory": True,
        "updateCreate": False,
        "conditionalRead": "not-match",
        "searchParam": [
            {
                "name": parameter.name,
                **({"definition": parameter.definition} if parameter.definition else {}),
                "type": parameter.type,
                "documentation": parameter.documentation,
            }
            for parameter in search.parameters_for(resource_type)
        ],
    }
