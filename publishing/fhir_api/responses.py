"""FHIR answers: ``application/fhir+json`` bodies, content negotiation, ETags and 304, and
every error as an ``OperationOutcome`` (a FHIR client reads errors from it, so none is HTML).
"""

from __future__ import annotations

import hashlib

import orjson
from django.conf import settings
from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "5.0"
CONTENT_TYPE = f"{FHIR_JSON}; charset=utf-8"
# What ``_format`` may say (FHIR's short form "json" too) and which Accept ranges we satisfy.
ACCEPTED_FORMATS = {"json", "application/json", FHIR_JSON}
ACCEPTED_RANGES = {"*/*", "application/*", "application/json", FHIR_JSON}
# JSON is never rendered by a browser as a page; nothing in it may load or frame anything.
CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class FhirError(Exception):
    """An error answered as an OperationOutcome: HTTP status, FHIR issue code, diagnostics."""

    def __init__(self, status: int, code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics


def operation_outcome(code: str, diagnostics: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


def error_response(error: FhirError, request=None) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(operation_outcome(error.code, error.diagnostics)),
        status=error.status,
        content_type=CONTENT_TYPE,
    )
    response["Content-Security-Policy"] = CSP
    response["Cache-Control"] = "no-store"
    return response


def format_problem(request) -> str | None:
    """Why we cannot answer in a format the client takes (None: we can)."""
    requested = request.GET.get("_format")
    if requested is not None:
        # A "+" in a query string decodes to a space ("application/fhir json").
        media = requested.replace(" ", "+").split(";")[0].strip().lower()
        if media not in ACCEPTED_FORMATS:
            return (
                f"_format={requested} is not supported: this server answers {FHIR_JSON} only "
                "(_format=json, application/json or application/fhir+json)"
            )
        return None
    accept = request.headers.get("Accept", "").strip()
    if not accept:
        return None
    for media_range in accept.split(","):
        media, *parameters = [part.strip() for part in media_range.split(";")]
        values = dict(p.replace(" ", "").partition("=")[::2] for p in parameters)
        refused = values.get("q", "1").rstrip("0").rstrip(".") in ("0", "")
        # Another FHIR version (fhirVersion=4.0) is not what we serve: R5 only.
        other_version = not values.get("fhirVersion", FHIR_VERSION).startswith(FHIR_VERSION)
        if media.lower() in ACCEPTED_RANGES and not refused and not other_version:
            return None
    return f"Accept: {accept} is not supported: this server answers {FHIR_JSON} only"


def _etag_matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 for If-None-Match): W/"x" and "x" are the same tag.
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag.removeprefix("W/") in [tag.strip().removeprefix("W/") for tag in header.split(",")]


def fhir_response(request, body: bytes, etag: str, seq: int, **headers: str) -> HttpResponse:
    """A 200 (or 304 when If-None-Match has ``etag``) with the API's headers; HEAD has no body."""
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
    elif request.method == "HEAD":
        response = HttpResponse(content_type=CONTENT_TYPE)
        response["Content-Length"] = str(len(body))
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    # Like /published/latest/: it moves with every snapshot, so cached briefly.
    response["Cache-Control"] = f"public, max-age={settings.PUBLISH_LATEST_MAX_AGE}"
    response["Vary"] = "Accept"
    response["X-Snapshot"] = str(seq)
    response["Content-Security-Policy"] = CSP
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def json_response(request, resource: dict, seq: int, **headers: str) -> HttpResponse:
    """A generated resource (bundle, older version, capability): its ETag is its bytes' hash."""
    body = orjson.dumps(resource)
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    return fhir_response(request, body, etag, seq, **headers)
