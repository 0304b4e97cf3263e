"""Serving published snapshots: ``/published/<seq>/<path>`` and ``/published/latest/<path>``.

Only files listed in the snapshot's manifest are served (plus the manifest itself), so no
request can reach anything else: ``..``, encoded dots, absolute paths and symlinks planted in
the directory all miss the manifest and get 404. Reads go through Django's storage API, whose
``safe_join`` would refuse a path outside ``SNAPSHOT_ROOT`` as a second line of defence.

ETags are the files' sha256 from the manifest (strong validators: same bytes, same tag).
Numbered snapshots never change and are cached for a year; ``latest`` moves, so it is cached
briefly and says which numbered snapshot it currently is.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

import orjson
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from . import storage

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
SEQ = re.compile(r"^[1-9][0-9]{0,9}$")


@lru_cache(maxsize=64)
def _manifest(seq: int, mtime_ns: int) -> tuple[dict[str, dict], str]:
    """Files of snapshot ``seq`` by path, and the manifest's own sha256 (cached: immutable)."""
    data = (storage.root() / str(seq) / "manifest.json").read_bytes()
    files = {entry["path"]: entry for entry in orjson.loads(data)["files"]}
    return files, hashlib.sha256(data).hexdigest()


def manifest_files(seq: int) -> tuple[dict[str, dict], str]:
    path = storage.root() / str(seq) / "manifest.json"
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise Http404("no such snapshot") from None
    return _manifest(seq, mtime_ns)


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in tags


@require_safe
def serve(request, ref: str, path: str = ""):
    if ref == storage.LATEST:
        seq = storage.latest_seq()
        if seq is None:
            raise Http404("nothing has been published yet")
        cache_control = f"public, max-age={settings.PUBLISH_LATEST_MAX_AGE}"
    elif SEQ.match(ref):
        seq = int(ref)
        cache_control = IMMUTABLE
    else:
        raise Http404("no such snapshot")
    path = path or "index.html"
    files, manifest_sha = manifest_files(seq)
    is_manifest = path == "manifest.json"
    entry = {"path": path, "sha256": manifest_sha} if is_manifest else files.get(path)
    if entry is None:
        raise Http404("no such file in this snapshot")
    etag = f'"{entry["sha256"]}"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if ref == storage.LATEST:
        headers["Content-Location"] = f"/published/{seq}/{path}"
        headers["X-Snapshot"] = str(seq)
    content_type = CONTENT_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")
    if content_type.startswith("text/html"):
        headers["Content-Security-Policy"] = HTML_CSP
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
    else:
        response = _open(seq, path, content_type, request.method == "HEAD")
    for name, value in headers.items():
        response[name] = value
    return response


def _open(seq: int, path: str, content_type: str, head: bool) -> HttpResponse:
    file_storage = storage.file_storage()
    name = f"{seq}/{path}"
    # The manifest lists only regular files written by the builder; refuse anything that
    # became a symlink or points outside the snapshot directory since.
    full = Path(file_storage.path(name))
    snapshot_root = (storage.root() / str(seq)).resolve()
    if full.is_symlink() or not full.resolve().is_relative_to(snapshot_root):
        raise Http404("no such file in this snapshot")
    try:
        handle = file_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("no such file in this snapshot") from None
    if head:
        handle.close()
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(full.stat().st_size)
        return response
    return FileResponse(handle, content_type=content_type)
