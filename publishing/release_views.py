"""The published pages of releases: ``/published/`` (and ``/published/releases/``) lists the
releases and links the latest snapshot; ``/published/releases/<name>/notes.json`` and
``notes.html`` are a release's notes. Rendered from the stored notes, which never change, so
they are cached like a numbered snapshot's files."""

from __future__ import annotations

import hashlib
import json

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from curation.errors import NotFound

from . import releases
from .selectors import latest_complete_snapshot
from .templating import render
from .views import HTML_CSP, IMMUTABLE


def _response(body: bytes, content_type: str, request, cache: str) -> HttpResponse:
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    if request.headers.get("If-None-Match", "") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    if content_type.startswith("text/html"):
        response["Content-Security-Policy"] = HTML_CSP
    return response


@require_safe
def index(request):
    body = render(
        "releases.html",
        {
            "title": "Releases",
            "latest": latest_complete_snapshot(),
            "releases": list(releases.releases()),
        },
    )
    return _response(body, "text/html; charset=utf-8", request, "public, max-age=60")


@require_safe
def notes(request, name: str, fmt: str):
    try:
        release = releases.release_named(name)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if fmt == "json":
        body = json.dumps(release.notes, ensure_ascii=False, indent=2, sort_keys=True).encode()
        return _response(body, "application/json", request, IMMUTABLE)
    body = render(
        "release_notes.html", {"title": f"Release {release.name}", "notes": release.notes}
    )
    return _response(body, "text/html; charset=utf-8", request, IMMUTABLE)
