"""One Provenance per record version, from the event log.

Every resource made from a record carries the record's version as ``meta.versionId``, so a
record version is one version of each of its resources. Its Provenance:

- ``target``: the version of the record's main resource (``ResearchStudy/<id>/_history/3``;
  Citation, MedicinalProductDefinition or Composition for the other record types);
- ``recorded``: when the version was approved; ``activity``: CREATE or UPDATE
  (v3-DataOperation);
- ``agent``: the proposer (type ``author``, role "proposer") and the approver (type
  ``verifier``, role "approver"), each as our user name under the canonical base;
- ``basedOn``: the change request, as a logical reference (its number under the base);
- ``authorization``: the rationale, as words (R5 moved Provenance.reason there);
- ``entity``: the previous version of the same resource, role ``revision`` (none for
  version 1).

Ids: ``<record type>.<slug>.v<version>``, so a version's Provenance keeps its id forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import codes
from .common import compact, fhir_id


def provenance_id(record_type: str, slug: str, version: int) -> str:
    return fhir_id(record_type, slug, f"v{version}")


def provenances(
    record_type: str,
    slug: str,
    resource_type: str,
    history: Sequence[Any],
    base: str,
) -> list[dict[str, Any]]:
    """The Provenance of every version in ``history`` (``publishing.selectors.Version``
    objects or their ``as_dict()``), oldest first."""
    found = []
    for version in map(_as_dict, history):
        number = version["version"]
        target = f"{resource_type}/{fhir_id(slug)}/_history/{number}"
        previous = f"{resource_type}/{fhir_id(slug)}/_history/{number - 1}"
        operation = "CREATE" if number == 1 else "UPDATE"
        change_request = version.get("change_request")
        found.append(
            compact(
                {
                    "resourceType": "Provenance",
                    "id": provenance_id(record_type, slug, number),
                    "meta": {"versionId": "1", "lastUpdated": version["approved_at"]},
                    "target": [{"reference": target, "type": resource_type}],
                    "recorded": version["approved_at"],
                    "activity": codes.concept(
                        codes.DATA_OPERATION, operation, operation.lower(), version["type"]
                    ),
                    "agent": [
                        _agent(version["proposer"], "author", "Author", "proposer", base),
                        _agent(version["approver"], "verifier", "Verifier", "approver", base),
                    ],
                    "basedOn": (
                        [
                            {
                                "type": "Task",
                                "identifier": {
                                    "system": f"{base}/change-request",
                                    "value": str(change_request),
                                },
                                "display": f"change request {change_request}",
                            }
                        ]
                        if change_request is not None
                        else []
                    ),
                    "authorization": [{"concept": {"text": version.get("rationale")}}],
                    "entity": (
                        [{"role": "revision", "what": {"reference": previous}}]
                        if number > 1
                        else []
                    ),
                }
            )
        )
    return found


def _agent(user: str, kind: str, display: str, role: str, base: str) -> dict[str, Any]:
    return {
        "type": codes.concept(codes.PARTICIPANT_TYPE, kind, display),
        "role": [{"text": role}],
        "who": {"identifier": {"system": f"{base}/user", "value": user}, "display": user},
    }


def _as_dict(version: Any) -> dict[str, Any]:
    return version if isinstance(version, dict) else version.as_dict()
