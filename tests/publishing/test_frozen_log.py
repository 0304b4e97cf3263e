"""A frozen event log, recorded by an earlier version of the code, still verifies, rebuilds
and publishes to the same bytes.

``tests/data/event_log_v1.json`` is the seed plus a few revisions and a retraction, recorded
once (users, change requests, reviews, events) and never regenerated: it stands for a
database that already exists in production. ``snapshot_v1_files.json`` lists the sha256 of
every file a snapshot of it contained when it was recorded. A refactoring must publish the
same bytes; a deliberate change to the published output updates that list in the same commit
and says why.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from curation import eventstore, projection
from curation.models import Event
from evidence.models import Citation, Trial
from publishing.build import SnapshotBuilder

DATA = Path(__file__).resolve().parent.parent / "data"
LOG = DATA / "event_log_v1.json"
EXPECTED = DATA / "snapshot_v1_files.json"


def published_files(directory: Path) -> dict[str, str]:
    """sha256 of every file of a snapshot; the manifest without its per-file ``inputs``
    fingerprints, which hash the rendering code itself so that stale pages are re-rendered.

    The list was recorded before the manifest was split into parts (``manifest/<shard>.json``,
    format 2), and before whole-corpus files were stored in parts (``build.composite``): the
    manifest is compared joined again into its recorded shape (format 1, one list of every
    file, each with the sha256 of its bytes), so the metadata and every file's path, sha256 and
    size must match."""
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = str(path.relative_to(directory))
        if name.startswith("manifest/"):
            continue  # compared through manifest.json, below
        data = path.read_bytes()
        if name == "manifest.json":
            manifest = json.loads(data)
            listed = []
            for part in manifest.pop("parts"):
                listed.extend(json.loads((directory / part["path"]).read_bytes())["files"])
            for entry in listed:
                entry.pop("inputs", None)
                if "parts" in entry:  # stored in parts: recorded as the whole file's sha256
                    whole = (directory / entry["path"]).read_bytes()
                    entry.pop("parts"), entry.pop("etag")
                    entry["sha256"] = hashlib.sha256(whole).hexdigest()
            manifest["files"] = sorted(listed, key=lambda entry: entry["path"])
            manifest["format"] = 1
            data = json.dumps(manifest, sort_keys=True).encode()
        files[name] = hashlib.sha256(data).hexdigest()
    return files


@pytest.fixture
def frozen_log(db):
    call_command("loaddata", str(LOG), verbosity=0)
    return Event.objects.order_by("-position").values_list("position", flat=True).first()


def test_frozen_log_verifies_and_rebuilds(frozen_log):
    report = eventstore.verify_chain()
    assert report.ok, report
    assert report.events == report.head_position == frozen_log == 40
    projection.rebuild()
    atlas = Trial.objects.get(slug="atlas")
    last = Event.objects.filter(stream_type="trial", slug="atlas").order_by("-version").first()
    # The event keeps the version 1 document it was recorded with; the read model holds it
    # upcast to the current schema.
    assert "schema_version" not in last.document
    assert (atlas.version, atlas.document) == (2, last.upcast_document)
    assert "Revised for the log fixture." in atlas.document["summary"]
    assert Trial.objects.count() == 10
    assert not Citation.objects.filter(slug="fixture-retracted").exists()


def test_frozen_log_publishes_the_recorded_bytes(frozen_log, tmp_path, settings):
    # The FHIR files' urls are under the canonical base: the one they were recorded with.
    settings.FHIR_CANONICAL_BASE = "http://127.0.0.1:8000/fhir/R5"
    projection.rebuild()
    SnapshotBuilder(seq=1, position=frozen_log).build(tmp_path)
    actual = published_files(tmp_path)
    if os.environ.get("RECORD_FROZEN_SNAPSHOT") == "1":  # only when the output should change
        EXPECTED.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    expected = json.loads(EXPECTED.read_text())
    assert sorted(actual) == sorted(expected)
    differing = [name for name in expected if actual[name] != expected[name]]
    assert differing == []
