"""Our own code systems as FHIR CodeSystem resources, published in every snapshot and served
by the FHIR API, so a code of ours in a resource can be looked up where its ``system`` points.

- ``endpoint``: the controlled endpoints an outcome may name (``evidence.documents`` choices,
  with their labels from ``vocabulary``). No HL7 code system names these endpoints, so an
  EvidenceVariable codes its endpoint in this one (``<base>/CodeSystem/endpoint``).

A code system is not a record: it has no record version or history in the event log. Its
``version`` (and ``meta.versionId``) is a hash of its concepts, so it is the same in every
snapshot until the codes or their labels change, and the file's bytes stay stable.
"""

from __future__ import annotations

import hashlib
from typing import Any

from evidence.documents import choices, vocabulary

ENDPOINT_CODE_SYSTEM_ID = "endpoint"
# Read once, at import: ``literal_values`` leaves a reference cycle behind, and builds run
# with the cyclic collector paused (``curation.runtime.cyclic_gc_paused``).
ENDPOINT_CODES = tuple(choices.literal_values(choices.Endpoint))


def endpoint_system(base: str) -> str:
    """The canonical url of the endpoint code system: the ``system`` of endpoint codings."""
    return f"{base}/CodeSystem/{ENDPOINT_CODE_SYSTEM_ID}"


def endpoint_display(code: str) -> str:
    return vocabulary.ENDPOINT_LABELS[code]


def endpoint_code_system(base: str) -> dict[str, Any]:
    """Every endpoint code, in the order the document schema declares them."""
    concepts = [{"code": code, "display": endpoint_display(code)} for code in ENDPOINT_CODES]
    digest = hashlib.sha256(repr(concepts).encode()).hexdigest()[:16]
    return {
        "resourceType": "CodeSystem",
        "id": ENDPOINT_CODE_SYSTEM_ID,
        "meta": {"versionId": digest},
        "url": endpoint_system(base),
        "version": digest,
        "name": "TrialEndpoint",
        "title": "Trial endpoints",
        "status": "active",
        "experimental": False,
        "description": (
            "The endpoints an outcome of a curated trial may name. An outcome keeps the "
            "source's own title; the endpoint code says which of these it measures, and "
            '"other" one that none of them names.'
        ),
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }
