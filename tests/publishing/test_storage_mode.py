"""Snapshots in a Django storage (SNAPSHOT_STORAGE): content-addressed uploads, the manifest
last, visible only once the database records it complete, nothing read from local disk."""

import hashlib
import io
import shutil
from unittest import mock

import orjson
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from publishing import services, storage
from publishing.models import Snapshot
from tests.factories import revise_approved
from tests.publishing.published import fhir_files, published_manifest
from tests.publishing.test_incremental import forget_everything_built

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("snapshot_mode", ["storage"], indirect=True),
]


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def count_saves(store):
    return mock.patch.object(store.backend, "save", wraps=store.backend.save)


def stored_manifest(seq):
    return published_manifest(seq)


def stored_objects(seq):
    """The sha256 of every body a snapshot names: its files' and its manifest parts'."""
    manifest = storage.snapshot_store().manifest(seq)
    bodies = {part["sha256"] for part in manifest.data["parts"]}
    for entry in manifest.files.values():
        if "parts" in entry:  # a whole-corpus file, stored in parts
            bodies.update(sha for sha, _ in entry["parts"])
        else:
            bodies.add(entry["sha256"])
    return bodies


def test_an_incremental_publish_uploads_only_the_changed_bodies(small_corpus, editor, reviewer):
    store = storage.snapshot_store()
    with count_saves(store) as save:
        first = services.publish_latest()
    first_objects = stored_objects(first.seq)
    assert [call.args[0] for call in save.call_args_list] == [
        *sorted(store.object_name(sha) for sha in first_objects),
        store.manifest_name(first.seq),  # last: its presence says every body is there
    ]

    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    with (
        count_saves(store) as save,
        mock.patch.object(store.backend, "exists", wraps=store.backend.exists) as exists,
    ):
        second = services.publish_latest()
    second_manifest = stored_manifest(second.seq)
    new_objects = stored_objects(second.seq) - first_objects
    # Bodies the previous manifest lists are not even asked about (one request each on S3).
    checked = {call.args[0] for call in exists.call_args_list}
    assert checked == {store.object_name(sha) for sha in new_objects} | {
        store.manifest_name(second.seq)
    }
    saved = [call.args[0] for call in save.call_args_list]
    assert saved[-1] == store.manifest_name(second.seq)
    assert sorted(saved[:-1]) == sorted(store.object_name(sha) for sha in new_objects)
    # The untouched trial's files and the schema are not uploaded again.
    unchanged = {"trials/trial-two.json", "trials/trial-two.html", "schema.json"}
    for entry in second_manifest["files"]:
        if entry["path"] in unchanged:
            assert store.object_name(entry["sha256"]) not in saved
    assert 0 < len(new_objects) < len(stored_objects(second.seq))


def test_a_fresh_worker_builds_incrementally_from_the_stored_manifest(
    small_corpus, editor, reviewer
):
    first = services.publish_latest()
    forget_everything_built()  # another machine, or a fresh container
    shutil.rmtree(storage.work_root())
    revise_approved(editor, reviewer, "trial", "trial-two", lambda d: d.update(enrollment=501))
    store = storage.snapshot_store()
    with count_saves(store) as save:
        second = services.publish_latest()
    # The untouched trial's 2 pages and FHIR files are kept from the stored manifest.
    changed_fhir = fhir_files(stored_manifest(second.seq), "trial-two")
    assert second.files_rendered == 6 + 3 + len(changed_fhir)
    new_objects = stored_objects(second.seq) - stored_objects(first.seq)
    assert save.call_count == len(new_objects) + 1  # + the manifest
    assert list(storage.work_root().iterdir()) == []  # nothing staged is left behind


def test_serving_and_rebuilding_read_only_the_storage(client, small_corpus, snapshot_root):
    snapshot = services.publish_latest()
    shutil.rmtree(storage.work_root())
    for entry in stored_manifest(snapshot.seq)["files"]:
        response = client.get(f"/published/{snapshot.seq}/{entry['path']}")
        assert response.status_code == 200, entry["path"]
        if "parts" in entry:  # a whole-corpus file, stored in parts, tagged by them
            assert len(body(response)) == entry["size"]
            assert response["ETag"] == f'"{entry["etag"]}"'
            continue
        assert hashlib.sha256(body(response)).hexdigest() == entry["sha256"]
        assert response["ETag"] == f'"{entry["sha256"]}"'
    latest = client.get("/published/latest/index.html")
    assert latest.status_code == 200 and latest["X-Snapshot"] == str(snapshot.seq)
    out = io.StringIO()
    call_command("rebuild_snapshot", str(snapshot.seq), stdout=out)
    assert "identical" in out.getvalue()
    assert not snapshot_root.exists()


def test_storage_names_are_not_reachable_as_paths(client, small_corpus):
    snapshot = services.publish_latest()
    store = storage.snapshot_store()
    sha = stored_manifest(snapshot.seq)["parts"][0]["sha256"]
    assert store.backend.exists(store.object_name(sha))
    for url in (
        f"/published/{snapshot.seq}/objects/{sha}",
        f"/published/{snapshot.seq}/../objects/{sha}",
        f"/published/{snapshot.seq}/%2e%2e/%2e%2e/objects/{sha}",
        f"/published/{snapshot.seq}/snapshots/{snapshot.seq}/manifest.json",
        f"/published/{snapshot.seq}/..%2f..%2fsnapshots/{snapshot.seq}/manifest.json",
        "/published/latest/../objects/" + sha,
    ):
        assert client.get(url).status_code == 404, url


def test_a_crash_after_some_uploads_leaves_latest_and_the_next_publish_completes(
    client, small_corpus, editor, reviewer
):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    store = storage.snapshot_store()
    real_save = store.backend.save
    uploads = []

    def save_then_die(name, content):
        if len(uploads) == 2:
            raise ConnectionError("storage went away")
        uploads.append(name)
        return real_save(name, content)

    with (
        mock.patch.object(store.backend, "save", side_effect=save_then_die),
        pytest.raises(ConnectionError),
    ):
        services.publish_latest()
    assert all(name.startswith("objects/") for name in uploads)
    failed = Snapshot.objects.get(seq=first.seq + 1)
    assert failed.status == Snapshot.Status.FAILED and "storage went away" in failed.error
    assert not store.backend.exists(store.manifest_name(failed.seq))
    assert storage.latest_seq() == first.seq
    assert client.get("/published/latest/index.html")["X-Snapshot"] == str(first.seq)
    assert client.get(f"/published/{failed.seq}/index.html").status_code == 404

    third = services.publish_latest()
    assert third.status == Snapshot.Status.COMPLETE and third.previous == first
    response = client.get("/published/latest/evidence.json")
    assert response["X-Snapshot"] == str(third.seq)
    trial = next(t for t in orjson.loads(body(response))["trials"] if t["slug"] == "trial-one")
    assert trial["document"]["enrollment"] == 410


def test_a_manifest_the_database_never_recorded_complete_is_not_served(
    client, small_corpus, editor, reviewer
):
    first = services.publish_latest()
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    with (
        mock.patch.object(services, "_record_complete", side_effect=RuntimeError("db gone")),
        pytest.raises(RuntimeError),
    ):
        services.publish_latest()
    store = storage.snapshot_store()
    unrecorded = first.seq + 1
    assert store.backend.exists(store.manifest_name(unrecorded))  # uploaded, then it died
    assert Snapshot.objects.get(seq=unrecorded).status == Snapshot.Status.BUILDING
    assert client.get(f"/published/{unrecorded}/index.html").status_code == 404
    assert client.get("/published/latest/index.html")["X-Snapshot"] == str(first.seq)
    third = services.publish_latest()  # marks the interrupted one failed, publishes anew
    assert Snapshot.objects.get(seq=unrecorded).status == Snapshot.Status.FAILED
    assert client.get("/published/latest/index.html")["X-Snapshot"] == str(third.seq)


def test_a_manifest_changed_in_storage_is_not_served(client, small_corpus):
    from django.core.files.base import ContentFile

    snapshot = services.publish_latest()
    store = storage.snapshot_store()
    name = store.manifest_name(snapshot.seq)
    with store.backend.open(name, "rb") as handle:  # not through serving: nothing cached
        forged = orjson.loads(handle.read())
    forged["parts"].append({"path": "manifest/zzz.json", "sha256": "0" * 64, "size": 1})
    store.backend.delete(name)
    store.backend.save(name, ContentFile(orjson.dumps(forged)))
    assert client.get(f"/published/{snapshot.seq}/manifest/zzz.json").status_code == 404
    assert client.get(f"/published/{snapshot.seq}/index.html").status_code == 404


def test_an_alias_missing_from_storages_is_a_clear_configuration_error(settings, snapshot_mode):
    settings.SNAPSHOT_STORAGE = "snapshot-bucket"
    with pytest.raises(ImproperlyConfigured, match="SNAPSHOT_STORAGE is 'snapshot-bucket'.*"):
        storage.snapshot_store()
    with pytest.raises(ImproperlyConfigured, match="no alias 'snapshot-bucket'"):
        services.publish_latest(force=True)
    from publishing.apps import check_snapshot_storage

    [error] = check_snapshot_storage()
    assert error.id == "publishing.E001" and "'snapshot-bucket'" in error.msg
    settings.SNAPSHOT_STORAGE = ""
    assert check_snapshot_storage() == []
