"""Serving snapshots: ETags, 304, cache headers, CSP, content types, no way out."""

import os

import orjson
import pytest

from publishing import services, storage
from tests.factories import revise_approved
from tests.publishing.published import published_bytes, published_object

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_snapshot(small_corpus):
    """The small corpus published: snapshot 1."""
    return services.publish_latest()


def manifest_entry(seq, path):
    return storage.snapshot_store().manifest(seq).files[path]


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_numbered_file_is_immutable_with_a_strong_etag(client, first_snapshot):
    response = client.get(f"/published/{first_snapshot.seq}/schema.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"] == f'"{manifest_entry(first_snapshot.seq, "schema.json")["sha256"]}"'
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Security-Policy" not in response
    assert body(response) == published_bytes(first_snapshot.seq, "schema.json")


def test_a_whole_corpus_file_is_served_from_its_parts_with_their_etag(
    client, first_snapshot, editor, reviewer
):
    entry = manifest_entry(first_snapshot.seq, "evidence.json")
    url = f"/published/{first_snapshot.seq}/evidence.json"
    response = client.get(url)
    assert response.status_code == 200 and response["ETag"] == f'"{entry["etag"]}"'
    data = body(response)
    assert response["Content-Length"] == str(len(data)) == str(entry["size"])
    parts = [published_object(first_snapshot.seq, sha) for sha, _ in entry["parts"]]
    assert len(parts) > 1 and b"".join(parts) == data
    assert orjson.loads(data)["snapshot"]["seq"] == first_snapshot.seq
    assert client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304
    head = client.head(url)
    assert head["Content-Length"] == str(entry["size"]) and head.content == b""
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    newer = client.get(f"/published/{second.seq}/evidence.json")
    assert newer["ETag"] != response["ETag"]
    assert newer["ETag"] == f'"{manifest_entry(second.seq, "evidence.json")["etag"]}"'


def test_if_none_match_gives_304_without_a_body(client, first_snapshot):
    url = f"/published/{first_snapshot.seq}/trials/trial-one.html"
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response.content == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304


def test_html_gets_a_content_security_policy(client, first_snapshot):
    response = client.get(f"/published/{first_snapshot.seq}/topics/maintenance.html")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_latest_follows_the_newest_snapshot_with_a_short_max_age(
    client, first_snapshot, editor, reviewer, settings
):
    response = client.get("/published/latest/evidence.json")
    assert response["Cache-Control"] == f"public, max-age={settings.PUBLISH_LATEST_MAX_AGE}"
    assert response["X-Snapshot"] == str(first_snapshot.seq)
    assert response["Content-Location"] == f"/published/{first_snapshot.seq}/evidence.json"
    old_etag = response["ETag"]
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    response = client.get("/published/latest/evidence.json", headers={"If-None-Match": old_etag})
    assert response.status_code == 200
    assert response["X-Snapshot"] == str(second.seq)
    assert orjson.loads(body(response))["snapshot"]["seq"] == second.seq


def test_manifest_and_index_are_served(client, first_snapshot):
    manifest = client.get(f"/published/{first_snapshot.seq}/manifest.json")
    assert manifest.status_code == 200
    assert manifest["ETag"] == f'"{first_snapshot.manifest_sha256}"'
    index = client.get(f"/published/{first_snapshot.seq}/")
    assert index.status_code == 200 and b"Published evidence" in body(index)


def test_head_gives_headers_only(client, first_snapshot):
    response = client.head(f"/published/{first_snapshot.seq}/index.html")
    assert response.status_code == 200
    assert response.content == b""
    assert (
        int(response["Content-Length"]) == manifest_entry(first_snapshot.seq, "index.html")["size"]
    )


def test_writes_are_refused(client, first_snapshot):
    assert client.post(f"/published/{first_snapshot.seq}/index.html").status_code == 405
    assert client.delete("/published/latest/index.html").status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/published/1/../../../etc/passwd",
        "/published/1/%2e%2e/%2e%2e/etc/passwd",
        "/published/1/trials/%2e%2e/%2e%2e/manifest.json",
        "/published/1/..%2f..%2fetc/passwd",
        "/published/1//etc/passwd",
        "/published/1/%2fetc%2fpasswd",
        "/published/..%2f..%2fetc/passwd",
        "/published/%2e%2e/index.html",
        "/published/01/index.html",
        "/published/.building/index.html",
        "/published/1/trials/",
        "/published/1/nothing-here.html",
        "/published/99/index.html",
        "/published/-1/index.html",
    ],
)
def test_nothing_outside_the_snapshot_is_reachable(client, first_snapshot, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("snapshot_mode", ["filesystem"], indirect=True)
def test_a_symlink_planted_in_a_snapshot_is_not_followed(client, first_snapshot, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    entry = storage.snapshot_store().manifest(first_snapshot.seq).entry("trials/trial-one.html")
    body = storage.root() / storage.object_name(entry["sha256"])
    body.unlink()
    os.symlink(secret, body)
    response = client.get(f"/published/{first_snapshot.seq}/trials/trial-one.html")
    assert response.status_code == 404
    os.symlink(secret, storage.snapshot_dir(first_snapshot.seq) / "planted.txt")
    assert client.get(f"/published/{first_snapshot.seq}/planted.txt").status_code == 404
    os.symlink(secret, storage.objects_root() / "planted.txt")
    assert client.get(f"/published/{first_snapshot.seq}/objects/planted.txt").status_code == 404


def test_latest_before_anything_is_published_is_404(client, snapshot_mode):
    assert client.get("/published/latest/index.html").status_code == 404


def test_api_lists_complete_snapshots_with_links(client, first_snapshot, editor, reviewer):
    revise_approved(editor, reviewer, "trial", "trial-one", lambda d: d.update(enrollment=410))
    second = services.publish_latest()
    data = client.get("/api/v1/snapshots/").json()
    assert [s["seq"] for s in data["results"]] == [second.seq, first_snapshot.seq]
    latest = client.get("/api/v1/snapshots/latest/").json()
    assert latest["seq"] == second.seq
    assert latest["previous"] == first_snapshot.seq
    assert latest["position"] == second.position
    assert latest["counts"]["trials"] == 2
    assert latest["links"]["evidence"].endswith(f"/published/{second.seq}/evidence.json")
    assert client.get(latest["links"]["manifest"]).status_code == 200


def test_api_latest_is_404_before_the_first_snapshot(client, snapshot_mode):
    assert client.get("/api/v1/snapshots/latest/").status_code == 404
    assert client.get("/api/v1/snapshots/").json()["results"] == []


def test_a_snapshot_number_that_cannot_exist_is_404(client, first_snapshot):
    from urllib.parse import quote

    # "²" is a digit to str.isdigit() but not to int(); 5,000 digits are beyond int(); the
    # seq column holds at most 2**31 - 1; "01" and "1\n" would be second URLs of snapshot 1.
    for ref in ["²", "١", "３", "9" * 5000, str(2**31), "01", "1\n", "-1", "0", " 1"]:
        for url in (f"/published/{quote(ref)}/", f"/published/{quote(ref)}/index.html"):
            assert client.get(url).status_code == 404, url
    assert client.get(f"/published/{first_snapshot.seq}/").status_code == 200
