"""Publishing under faults, with real Redis, PostgreSQL and Celery worker processes.

(a) Redis stopped while reviewers approve: approvals succeed; once Redis is back the beat
    sweep publishes everything; the snapshot's position is the last event's.
(b) A worker SIGKILLed in the middle of a build: ``latest`` still serves the previous
    complete snapshot, no partial snapshot directory is visible, the next run completes.
(c) Two workers and a burst of 200 approvals: snapshots in increasing position order, no two
    builds overlapping, the final snapshot holding all 200 changes.
"""

from __future__ import annotations

import time

import orjson
import pytest

from curation.models import Event
from publishing import storage
from publishing.models import Snapshot
from tests import documents, factories
from tests.integration.conftest import wait_for
from tests.publishing.published import published_bytes, published_manifest

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]


def last_position() -> int:
    return Event.objects.order_by("-position").values_list("position", flat=True).first()


def latest_complete() -> Snapshot | None:
    return Snapshot.objects.filter(status="complete").order_by("-seq").first()


def published_at(position: int):
    def check():
        snapshot = latest_complete()
        return snapshot if snapshot and snapshot.position >= position else None

    return check


def visible_snapshot_dirs() -> set[str]:
    """Snapshots (``<seq>/``) and ``latest`` (not the shared ``objects/`` they name)."""
    return {
        p.name
        for p in storage.root().iterdir()
        if not p.name.startswith(".") and p.name != storage.OBJECTS_DIR
    }


def stored_objects() -> set[str]:
    return {p.name for p in storage.objects_root().rglob("*") if p.is_file()}


def served_seq(client) -> int:
    response = client.get("/published/latest/manifest.json")
    assert response.status_code == 200
    return orjson.loads(b"".join(response.streaming_content))["seq"]


def test_approvals_survive_a_redis_outage_and_the_sweep_publishes_them(
    live_postgres, editor, reviewer, send_tasks_to, workers, client
):
    redis = send_tasks_to
    # This worker renders the first (full) snapshot in forked processes, as large builds do.
    workers.start("w1", beat=True, PUBLISH_PARALLEL_THRESHOLD="2", PUBLISH_RENDER_GROUP_SIZE="1")
    factories.seed_corpus(editor, reviewer)
    for n in (2, 3, 4):  # trials outside the topic: groups of their own
        factories.create_approved(
            editor, reviewer, "trial", documents.drugex_trial(f"trial-{n}", f"TRIAL {n}")
        )
    first = wait_for(published_at(last_position()), 60, "the first snapshot")
    assert "forked" in workers.log("w1")
    assert client.get(f"/published/{first.seq}/manifest.json").status_code == 200
    manifest = published_manifest(first.seq)
    fhir_files = [f for f in manifest["files"] if f["path"].startswith("fhir/")]
    assert first.files_rendered == 5 + 2 * 4 + 1 + len(fhir_files)

    redis.stop()
    durations = []
    for n in range(5):
        started = time.monotonic()
        factories.revise_approved(
            editor, reviewer, "trial", "trial-one", lambda d, n=n: d.update(enrollment=401 + n)
        )
        durations.append(time.monotonic() - started)
    assert max(durations) < 5, f"approvals blocked on the dead broker: {durations}"
    assert last_position() == 12  # 7 records + 5 revisions, all committed
    time.sleep(2)
    assert latest_complete().position == 7  # nothing could reach the worker meanwhile

    redis.start()
    snapshot = wait_for(published_at(last_position()), 90, "the sweep to publish the backlog")
    assert snapshot.position == last_position()
    evidence = orjson.loads(published_bytes(snapshot.seq, "evidence.json"))
    trial = next(t for t in evidence["trials"] if t["slug"] == "trial-one")
    assert trial["document"]["enrollment"] == 405
    assert [v["version"] for v in trial["history"]] == [1, 2, 3, 4, 5, 6]
    assert served_seq(client) == snapshot.seq


def test_a_worker_killed_mid_build_leaves_the_previous_snapshot_served(
    live_postgres, editor, reviewer, send_tasks_to, workers, client
):
    from publishing import services

    trials = tuple(f"trial-{i:02d}" for i in range(12))
    factories.seed_corpus(editor, reviewer, trials=trials)
    first = services.publish_latest()  # in this process, at full speed
    assert first.status == "complete"
    objects_of_first = stored_objects()

    workers.start("slow", app="tests.integration.slow_worker", SLOW_RENDER_SECONDS="1.0")
    factories.revise_approved(
        editor, reviewer, "trial", "trial-00", lambda d: d.update(enrollment=401)
    )
    building = wait_for(
        lambda: Snapshot.objects.filter(status="building").first(), 30, "a build to start"
    )
    wait_for(
        lambda: stored_objects() - objects_of_first,
        30,
        "the build to store bodies",
    )
    workers.kill("slow")

    assert storage.latest_seq() == first.seq
    assert served_seq(client) == first.seq
    assert visible_snapshot_dirs() == {str(first.seq), "latest"}
    assert client.get(f"/published/{building.seq}/index.html").status_code == 404

    workers.start("fresh", beat=True)
    snapshot = wait_for(published_at(last_position()), 90, "the next run to complete")
    assert snapshot.seq > building.seq
    assert Snapshot.objects.get(seq=building.seq).status == "failed"
    assert served_seq(client) == snapshot.seq
    assert visible_snapshot_dirs() == {str(first.seq), str(snapshot.seq), "latest"}
    assert not any((storage.root() / storage.BUILDING_DIR).iterdir())


def test_two_workers_and_a_burst_of_200_approvals(
    live_postgres, editor, reviewer, reviewer2, send_tasks_to, workers
):
    factories.seed_corpus(editor, reviewer, trials=("trial-one", "trial-two"))
    workers.start("w1", beat=True)
    workers.start("w2")
    for n in range(200):
        factories.revise_approved(
            editor,
            reviewer if n % 2 else reviewer2,
            "trial",
            "trial-one" if n % 2 else "trial-two",
            lambda d, n=n: d.update(enrollment=500 + n),
            f"burst change {n}",
        )
    final_position = last_position()
    final = wait_for(published_at(final_position), 120, "the burst to be published")
    assert final.position == final_position

    snapshots = list(Snapshot.objects.filter(status="complete").order_by("seq"))
    positions = [s.position for s in snapshots]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert len(snapshots) < 200  # coalesced
    builds = list(Snapshot.objects.exclude(finished_at=None).order_by("created_at"))
    for earlier, later in zip(builds, builds[1:], strict=False):
        assert earlier.finished_at <= later.created_at, f"{earlier} overlaps {later}"

    evidence = orjson.loads(published_bytes(final.seq, "evidence.json"))
    trials = {t["slug"]: t for t in evidence["trials"]}
    rationales = [
        v["rationale"] for t in trials.values() for v in t["history"] if v["type"] == "revised"
    ]
    assert sorted(rationales) == sorted(f"burst change {n}" for n in range(200))
    assert trials["trial-one"]["document"]["enrollment"] == 699
    assert trials["trial-two"]["document"]["enrollment"] == 698
