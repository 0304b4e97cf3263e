"""The FHIR API's routes. Each view checks its input, asks ``reads`` and answers through
``responses``; ``fhir_endpoint`` gives them all the same rules: read-only (405), JSON only
(406), the latest snapshot (503 before the first), and every error as an OperationOutcome.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from . import reads, search
from .bundles import history_bundle, searchset_bundle
from .capability import capability_statement
from .responses import FhirError, error_response, fhir_response, format_problem, json_response

RESOURCE_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
RESOURCE_ID = re.compile(r"^[A-Za-z0-9.\-]{1,64}$")
READ_METHODS = ("GET", "HEAD")


def fhir_endpoint(view):
    # CSRF-exempt: nothing here changes state, and a POST must get its 405 OperationOutcome,
    # not Django's HTML 403 page.
    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, **kwargs):
        try:
            if request.method not in READ_METHODS:
                response = error_response(
                    FhirError(
                        405,
                        "not-supported",
                        f"{request.method} is not supported: this API is read-only",
                    )
                )
                response["Allow"] = ", ".join(READ_METHODS)
                return response
            problem = format_problem(request)
            if problem:
                raise FhirError(406, "not-supported", problem)
            snapshot = reads.latest_snapshot()
            if snapshot is None:
                raise FhirError(503, "transient", "nothing has been published yet")
            return view(request, snapshot, **kwargs)
        except FhirError as error:
            return error_response(error)

    return wrapper


def _base_url(request) -> str:
    return request.build_absolute_uri("/fhir/R5")


def _resource_type(snapshot: reads.ServedSnapshot, resource_type: str) -> str:
    if not RESOURCE_TYPE.match(resource_type):
        raise FhirError(400, "invalid", f"{resource_type!r} is not a resource type name")
    if resource_type not in snapshot.resource_types():
        raise FhirError(
            404,
            "not-supported",
            f"resource type {resource_type} is not served "
            f"(served: {', '.join(snapshot.resource_types())})",
        )
    return resource_type


def _resource_id(resource_id: str) -> str:
    if not RESOURCE_ID.match(resource_id):
        raise FhirError(
            400, "invalid", f"{resource_id!r} is not a FHIR id (1-64 of A-Z a-z 0-9 - .)"
        )
    return resource_id


def _no_parameters(request) -> None:
    """Read, vread, history and metadata take no parameters but _format: refuse the rest
    (e.g. _summary, _elements) rather than answer as if they had been applied."""
    unsupported = sorted({name for name in request.GET if name != search.FORMAT_PARAMETER})
    if unsupported:
        raise FhirError(
            400, "not-supported", f"parameters not supported here: {', '.join(unsupported)}"
        )


def _not_found(snapshot, resource_type: str, resource_id: str) -> FhirError:
    """410 Gone for a resource of a retracted record (FHIR's answer for a deleted resource),
    404 for an id that was never published."""
    if reads.retracted_resource(snapshot, resource_type, resource_id):
        return FhirError(
            410, "deleted", f"{resource_type}/{resource_id} was deleted: its record was retracted"
        )
    return FhirError(404, "not-found", f"no {resource_type} with id {resource_id}")


@fhir_endpoint
def metadata(request, snapshot):
    _no_parameters(request)
    statement = capability_statement(
        snapshot.resource_types(), snapshot.published_at, _base_url(request)
    )
    return json_response(request, statement, snapshot.seq)


@fhir_endpoint
def read(request, snapshot, resource_type, resource_id):
    _no_parameters(request)
    resource_type = _resource_type(snapshot, resource_type)
    entry = snapshot.entry(resource_type, _resource_id(resource_id))
    if entry is None:
        raise _not_found(snapshot, resource_type, resource_id)
    path = f"fhir/{resource_type}/{resource_id}.json"
    # The published file's bytes and hash: the same strong ETag as /published/latest/<path>.
    return fhir_response(
        request,
        snapshot.read_bytes(path),
        f'"{entry["sha256"]}"',
        snapshot.seq,
        Content_Location=f"/published/{snapshot.seq}/{path}",
    )


@fhir_endpoint
def history(request, snapshot, resource_type, resource_id):
    _no_parameters(request)
    resource_type = _resource_type(snapshot, resource_type)
    versions = reads.resource_history(snapshot, resource_type, _resource_id(resource_id))
    if not versions:
        raise _not_found(snapshot, resource_type, resource_id)
    bundle = history_bundle(_base_url(request), request.build_absolute_uri(), versions)
    return json_response(request, bundle, snapshot.seq)


@fhir_endpoint
def vread(request, snapshot, resource_type, resource_id, version_id):
    _no_parameters(request)
    resource_type = _resource_type(snapshot, resource_type)
    _resource_id(resource_id)
    if not RESOURCE_ID.match(version_id):
        raise FhirError(400, "invalid", f"{version_id!r} is not a version id")
    versions = reads.resource_history(snapshot, resource_type, resource_id)
    if not versions:
        raise _not_found(snapshot, resource_type, resource_id)
    found = next((r for r in versions if r["meta"]["versionId"] == version_id), None)
    if found is None:
        raise FhirError(
            404, "not-found", f"{resource_type}/{resource_id} has no version {version_id}"
        )
    updated = found["meta"].get("lastUpdated")  # none on our CodeSystems
    headers = {"Last_Modified": _http_date(updated)} if updated else {}
    return json_response(request, found, snapshot.seq, **headers)


def _http_date(instant: str) -> str:
    return http_date(datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp())


@fhir_endpoint
def search_type(request, snapshot, resource_type):
    resource_type = _resource_type(snapshot, resource_type)
    wanted = search.parse(resource_type, request.GET)
    matches = [r for r in reads.resources_of_type(snapshot, resource_type) if wanted.matches(r)]
    bundle = searchset_bundle(_base_url(request), resource_type, wanted, matches)
    return json_response(request, bundle, snapshot.seq)


@fhir_endpoint
def unknown_route(request, snapshot, path=""):
    raise FhirError(404, "not-found", f"no FHIR endpoint at {request.path}")
