"""The content-addressed layout: snapshots published before it stay served and are built on,
a build that dies leaves nothing visible, and the split manifest reads like one list."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from unittest import mock

import orjson
import pytest
from django.core.management import call_command

from publishing import services, storage
from publishing.build import SnapshotBuilder
from publishing.build import manifest as split_manifest
from publishing.models import Snapshot
from tests.factories import revise_approved
from tests.publishing.published import published_bytes

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def publish_in_format_1(seq: int, position: int) -> Snapshot:
    """A snapshot as the code before the content-addressed layout wrote it: every file under
    ``<seq>/`` and one ``manifest.json`` (format 1) listing them all with their sha256."""
    directory = storage.snapshot_dir(seq)
    result = SnapshotBuilder(seq, position).build(directory)
    shutil.rmtree(directory / split_manifest.PART_DIR)
    files = []
    for path, entry in sorted(result.files.items()):
        data = (directory / path).read_bytes()
        plain = {k: v for k, v in entry.items() if k not in ("parts", "etag")}
        files.append({**plain, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    meta = {k: v for k, v in result.meta.items() if k != "parts"}
    manifest = orjson.dumps({**meta, "format": 1, "files": files}, option=orjson.OPT_SORT_KEYS)
    (directory / "manifest.json").write_bytes(manifest)
    snapshot = Snapshot.objects.create(
        seq=seq,
        position=position,
        status=Snapshot.Status.COMPLETE,
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        counts=meta["counts"],
    )
    storage.snapshot_store().make_latest(seq)
    return snapshot


@pytest.mark.parametrize("snapshot_mode", ["filesystem"], indirect=True)
def test_a_snapshot_of_the_old_layout_stays_served_and_the_next_build_starts_from_it(
    client, small_corpus, editor, reviewer
):
    old = publish_in_format_1(1, small_corpus.position)
    old_manifest = json.loads((storage.snapshot_dir(1) / "manifest.json").read_bytes())
    for entry in old_manifest["files"]:
        response = client.get(f"/published/1/{entry['path']}")
        assert response.status_code == 200, entry["path"]
        assert hashlib.sha256(body(response)).hexdigest() == entry["sha256"]
        assert response["ETag"] == f'"{entry["sha256"]}"'

    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    assert second.previous == old
    # Incremental from the old snapshot: the untouched trial's files are kept, their bodies
    # taken into objects/ by hard link (the same inode as the old snapshot's file).
    assert second.files_rendered < len(old_manifest["files"])
    entry = storage.snapshot_store().manifest(second.seq).entry("trials/trial-two.html")
    stored = storage.root() / storage.object_name(entry["sha256"])
    old_file = storage.snapshot_dir(1) / "trials" / "trial-two.html"
    assert stored.stat().st_ino == old_file.stat().st_ino
    assert client.get("/published/latest/index.html")["X-Snapshot"] == str(second.seq)
    assert client.get("/published/1/trials/trial-one.json").status_code == 200
    served = orjson.loads(body(client.get(f"/published/{second.seq}/trials/trial-one.json")))
    assert served["document"]["enrollment"] == 410
    for seq in (1, second.seq):  # both rebuild to the same bytes
        out = io.StringIO()
        call_command("rebuild_snapshot", str(seq), stdout=out)
        assert "identical" in out.getvalue()


def test_a_build_that_dies_after_storing_bodies_leaves_nothing_visible(
    client, small_corpus, editor, reviewer, snapshot_mode
):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    store = storage.snapshot_store()
    with (
        mock.patch.object(type(store), "put_in_place", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        services.publish_latest()  # every body and part stored, the manifest never
    failed = Snapshot.objects.get(seq=first.seq + 1)
    assert failed.status == Snapshot.Status.FAILED
    for path in ("index.html", "manifest.json", "evidence.json", "trials/trial-one.json"):
        assert client.get(f"/published/{failed.seq}/{path}").status_code == 404
    assert client.get("/published/latest/index.html")["X-Snapshot"] == str(first.seq)
    assert store.build_leftovers(failed.seq) == []
    third = services.publish_latest()  # and the next build is whole, with the same bodies
    assert orjson.loads(published_bytes(third.seq, "trials/trial-one.json"))["version"] == 2
    out = io.StringIO()
    call_command("rebuild_snapshot", str(third.seq), stdout=out)
    assert "identical" in out.getvalue()


def test_an_approval_rewrites_only_the_manifest_parts_that_list_what_changed(
    small_corpus, editor, reviewer, snapshot_mode
):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=501))
    second = services.publish_latest()
    store = storage.snapshot_store()
    before, after = store.manifest(first.seq), store.manifest(second.seq)
    changed = {path for path, entry in after.files.items() if before.files.get(path) != entry} | (
        before.files.keys() - after.files.keys()
    )
    rewritten = {part["path"] for part in after.data["parts"] if part not in before.data["parts"]}
    assert rewritten == {split_manifest.part_path(split_manifest.shard_of(p)) for p in changed}
    assert len(rewritten) < len(after.data["parts"])
    # Each part lists exactly the files whose path belongs to it.
    for part in after.data["parts"]:
        listed = after.part_files(part)
        assert {split_manifest.part_path(split_manifest.shard_of(p)) for p in listed} == {
            part["path"]
        }
        assert part["files"] == len(listed)
