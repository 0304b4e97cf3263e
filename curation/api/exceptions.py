"""One error shape for the whole API, whatever raised the error.

Every error response body is::

    {"error": {"code": "invalid", "message": "...",
               "errors": [{"path": "document.outcomes[0].values[1].ci_low", "message": "..."}],
               "fields": ["outcomes[key=pfs].values[arm=len].value"]}}

``errors`` lists every problem with its path (request fields, or paths inside a document);
``fields`` names the colliding document fields of a version conflict (409), which also carries
``current_version``. Installed as REST_FRAMEWORK["EXCEPTION_HANDLER"].
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from curation.errors import CurationError, ValidationFailed, VersionConflict


class MalformedRequest(exceptions.ParseError):
    """A body that cannot be taken as a request, with where in it the problem is."""

    def __init__(self, message: str, errors: list[dict[str, str]]):
        super().__init__(message)
        self.errors = errors


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "the request body is too large"


# DRF exception class -> our stable error code (DRF's own codes vary per instance); other
# exceptions use their default_code.
_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ParseError, "malformed_request"),
    (exceptions.ValidationError, "invalid"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


def error_body(
    code: str,
    message: str,
    errors: list[dict[str, str]] | None = None,
    fields: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": errors or [],
            "fields": fields or [],
            **extra,
        }
    }


def join_path(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key in ("non_field_errors", "__all__"):
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def flatten_detail(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail -> [{path, message}] with paths like ``citations[2]``."""
    if isinstance(detail, dict):
        return [
            item
            for key, value in detail.items()
            for item in flatten_detail(value, join_path(prefix, key))
        ]
    if isinstance(detail, list):
        # A list of messages for one field, or a list of per-item errors (ListField, nested).
        if all(isinstance(item, str) for item in detail):
            return [{"path": prefix, "message": str(item)} for item in detail]
        return [
            entry
            for index, item in enumerate(detail)
            if item
            for entry in flatten_detail(item, join_path(prefix, index))
        ]
    return [{"path": prefix, "message": str(detail)}]


def _curation_response(exc: CurationError) -> Response:
    errors = exc.errors if isinstance(exc, ValidationFailed) else []
    extra: dict[str, Any] = {}
    fields: list[str] = []
    message = exc.message
    if isinstance(exc, VersionConflict):
        fields = exc.fields
        extra["current_version"] = exc.current_version
    if isinstance(exc, ValidationFailed) and errors:
        message = f"{len(errors)} problem(s) in the request; see errors"
    return Response(error_body(exc.code, message, errors, fields, **extra), status=exc.http_status)


def _drf_response(exc: exceptions.APIException) -> Response:
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), exc.default_code)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_detail(exc.detail)
        message = f"{len(errors)} problem(s) in the request; see errors"
    else:
        errors = getattr(exc, "errors", [])
        message = str(exc.detail)
    return Response(error_body(code, message, errors), status=exc.status_code, headers=headers)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Translate service errors, DRF errors and Django's 404/403/too-large into one shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()

    if isinstance(exc, CurationError):
        set_rollback()
        return _curation_response(exc)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _drf_response(exc)
    return None
