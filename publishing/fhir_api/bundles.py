"""The Bundles the API answers with: ``history`` (a resource's versions) and ``searchset`` (a
page of matches, with ``self``, ``next`` and ``previous`` links that repeat the criteria)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .search import Search


def history_bundle(base: str, self_url: str, versions: list[dict[str, Any]]) -> dict[str, Any]:
    """``versions`` newest first; the oldest is the one that created the resource."""
    return {
        "resourceType": "Bundle",
        "type": "history",
        "total": len(versions),
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            _history_entry(base, resource, created=index == len(versions) - 1)
            for index, resource in enumerate(versions)
        ],
    }


def _history_entry(base: str, resource: dict[str, Any], *, created: bool) -> dict[str, Any]:
    location = f"{resource['resourceType']}/{resource['id']}"
    version = resource["meta"]["versionId"]
    return {
        "fullUrl": f"{base}/{location}",
        "resource": resource,
        "request": {
            "method": "POST" if created else "PUT",
            "url": resource["resourceType"] if created else location,
        },
        "response": {
            "status": "201 Created" if created else "200 OK",
            "location": f"{location}/_history/{version}",
            "etag": f'W/"{version}"',
            # A CodeSystem of ours has no lastUpdated (it is not made from a record).
            **(
                {"lastModified": resource["meta"]["lastUpdated"]}
                if "lastUpdated" in resource["meta"]
                else {}
            ),
        },
    }


def searchset_bundle(
    base: str, resource_type: str, search: Search, matches: list[dict[str, Any]]
) -> dict[str, Any]:
    """The page of ``matches`` that ``search`` asks for (``_count`` from ``_offset``)."""

    def link(relation: str, offset: int) -> dict[str, str]:
        query = urlencode([*search.criteria, ("_count", search.count), ("_offset", offset)])
        return {"relation": relation, "url": f"{base}/{resource_type}?{query}"}

    links = [link("self", search.offset)]
    if search.count and search.offset + search.count < len(matches):
        links.append(link("next", search.offset + search.count))
    if search.count and search.offset > 0:
        links.append(link("previous", max(0, search.offset - search.count)))
    page = matches[search.offset : search.offset + search.count]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "link": links,
    }
    if page:  # FHIR forbids an empty list
        bundle["entry"] = [
            {
                "fullUrl": f"{base}/{resource_type}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in page
        ]
    return bundle
