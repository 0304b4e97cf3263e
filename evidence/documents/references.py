"""Which other records a (canonical) document refers to, read from the document itself.

The same references that ``validation`` checks exist, read back from a valid document: which
records refer to a record (``curation.selectors.referrers``) and which other records a
published page shows (``publishing.build.fingerprints``).
"""

from __future__ import annotations

from typing import Any

from . import record_types


def referenced_slugs(record_type: str, document: dict[str, Any]) -> dict[str, set[str]]:
    """Every other record a document refers to, by record type (for integrity checks)."""
    refs: dict[str, set[str]] = {t: set() for t in record_types.names()}
    refs["citation"].update(document.get("citations", []))
    for finding in document.get("findings", []):
        refs["citation"].update(finding.get("citations", []))
        refs["trial"].update(finding.get("trials", []))
    if record_type == "trial":
        refs["intervention"].update(document.get("interventions", []))
        for arm in document.get("arms", []):
            refs["intervention"].update(
                part["intervention"] for part in arm.get("regimen", []) if part.get("intervention")
            )
        for outcome in document.get("outcomes", []):
            refs["citation"].update(outcome.get("citations", []))
            # Where the numbers come from: a value's, a comparison's or the outcome's source.
            for item in (outcome, *outcome.get("values", []), *outcome.get("comparisons", [])):
                cited = (item.get("source") or {}).get("citation")
                if cited:
                    refs["citation"].add(cited)
    if record_type == "topic":
        for section in document.get("sections", []):
            refs["intervention"].update(section.get("interventions", []))
            refs["trial"].update(section.get("trials", []))
    return refs
