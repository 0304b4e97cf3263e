"""Races between real, concurrent database connections (PostgreSQL)."""

import copy
import threading

import pytest
from django.db import connection, connections

from curation import eventstore, services
from curation.errors import VersionConflict
from curation.models import Event
from evidence.models import Trial
from tests import documents, factories

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(functions):
    """Run each function in its own thread (own DB connection), released together."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn())
        except Exception as exc:  # the outcome is what the test checks
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_approvals_racing_for_the_same_field_one_wins(
    postgres, editor, editor2, reviewer, reviewer2
):
    factories.seed_trial(editor, reviewer)
    trial = Trial.objects.get()
    requests = []
    for author, value in ((editor, 40), (editor2, 39)):
        doc = copy.deepcopy(trial.document)
        doc["outcomes"][0]["values"][0]["value"] = value
        requests.append(
            services.propose(
                user=author,
                record_type="trial",
                action="revise",
                record=trial.slug,
                base_version=1,
                document=doc,
                rationale="race",
            )
        )
    results = run_concurrently(
        [
            lambda: services.approve(requests[0].pk, user=reviewer),
            lambda: services.approve(requests[1].pk, user=reviewer2),
        ]
    )
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, VersionConflict)
    assert error.fields == ["outcomes[key=pfs].values[arm=len].value"]
    trial.refresh_from_db()
    assert trial.version == 2 and Event.objects.filter(stream_type="trial").count() == 2
    assert eventstore.verify_chain().ok


def test_concurrent_appends_keep_positions_gapless(postgres, editor, reviewer):
    requests = [
        services.propose(
            user=editor,
            record_type="intervention",
            action="create",
            document=documents.ifm_intervention(slug=f"drug-{i}"),
            rationale="race",
        )
        for i in range(8)
    ]
    results = run_concurrently(
        [lambda pk=cr.pk: services.approve(pk, user=reviewer) for cr in requests]
    )
    assert all(kind == "ok" for kind, _ in results), results
    positions = list(Event.objects.values_list("position", flat=True))
    assert positions == list(range(1, 9))
    report = eventstore.verify_chain()
    assert report.ok and report.events == 8
    assert connection.vendor == "postgresql"


def test_concurrent_raw_appends_serialise_on_the_append_lock(postgres, editor):
    """``eventstore.append`` alone (its lock and read in one prepared statement): appends to
    different streams all land, gapless and chained; appends racing on one stream's version
    leave one winner and conflicts."""
    import uuid

    from django.db import transaction

    def append(stream_id, expected: int, n: int):
        new = eventstore.NewEvent(
            stream_type="intervention",
            stream_id=stream_id,
            slug=f"drug-{n}",
            type="created" if expected == 0 else "revised",
            document={"slug": f"drug-{n}", "n": n},
            changes=[],
            proposer_id=editor.pk,
            approver_id=editor.pk,
        )
        with transaction.atomic():
            return eventstore.append(new, expected_version=expected).position

    streams = [uuid.uuid4() for _ in range(6)]
    results = run_concurrently([lambda n=n, s=s: append(s, 0, n) for n, s in enumerate(streams)])
    assert all(kind == "ok" for kind, _ in results), results
    assert sorted(position for _, position in results) == list(range(1, 7))
    raced = run_concurrently([lambda n=n: append(streams[0], 1, 10 + n) for n in range(4)])
    kinds = sorted(kind for kind, _ in raced)
    assert kinds == ["error", "error", "error", "ok"], raced
    assert all(
        isinstance(outcome, eventstore.ConcurrencyConflict)
        for kind, outcome in raced
        if kind == "error"
    )
    report = eventstore.verify_chain()
    assert report.ok and report.events == 7
