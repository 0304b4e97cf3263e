"""Serving published snapshots: ``/published/<seq>/<path>`` and ``/published/latest/<path>``.

Only files listed in the snapshot's manifest are served (plus the manifest and its parts,
``manifest/<shard>.json``), found through the one part that lists the path, so no
request can reach anything else: ``..``, encoded dots, absolute paths and symlinks planted in
the directory all miss the manifest and get 404. Reads go through the snapshot store
(``publishing.storage``): the object named by the file's sha256, never by a path from the
request (on the filesystem through Django's ``FileSystemStorage``, whose ``safe_join`` would
refuse a path outside ``SNAPSHOT_ROOT`` as a second line of defence; snapshots published
before objects existed are read from their own directories).

ETags are the files' sha256 from the manifest (strong validators: same bytes, same tag).
Numbered snapshots never change and are cached for a year; ``latest`` moves, so it is cached
briefly and says which numbered snapshot it currently is.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from evidence.api.params import column_max, path_number

from . import storage
from .models import Snapshot

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
SEQ_MAX = column_max(Snapshot, "seq")


def manifest_of(store: storage.SnapshotStore, seq: int) -> storage.PublishedManifest:
    try:
        return store.manifest(seq)
    except storage.SnapshotNotFound:
        raise Http404("no such snapshot") from None


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in tags


@require_safe
def serve(request, ref: str, path: str = ""):
    store = storage.snapshot_store()
    if ref == storage.LATEST:
        seq = store.latest_seq()
        if seq is None:
            raise Http404("nothing has been published yet")
        cache_control = f"public, max-age={settings.PUBLISH_LATEST_MAX_AGE}"
    else:
        seq = path_number(ref, maximum=SEQ_MAX)
        # One URL per snapshot ("7", not "007"): numbered files are cached for a year.
        if seq is None or str(seq) != ref:
            raise Http404("no such snapshot")
        cache_control = IMMUTABLE
    path = path or "index.html"
    manifest = manifest_of(store, seq)
    try:
        entry = manifest.entry(path)
    except storage.SnapshotNotFound:
        entry = None
    if entry is None:
        raise Http404("no such file in this snapshot")
    # A whole-corpus file stored in parts has the parts' etag (``build.composite``).
    etag = f'"{entry.get("sha256") or entry["etag"]}"'
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
        response = _open(store, seq, path, entry, content_type, request.method == "HEAD")
    for name, value in headers.items():
        response[name] = value
    return response


def _open(
    store: storage.SnapshotStore,
    seq: int,
    path: str,
    entry: dict,
    content_type: str,
    head: bool,
) -> HttpResponse:
    try:
        handle = store.open(seq, path, entry)
    except storage.SnapshotNotFound:
        raise Http404("no such file in this snapshot") from None
    if head:
        handle.close()
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(entry["size"])
        return response
    response = FileResponse(handle, content_type=content_type)
    response["Content-Length"] = str(entry["size"])
    return response
