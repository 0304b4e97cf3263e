"""A first publication's FHIR files mapped in forked children (``build.fhir_forked``): the
same bytes, the same warm table and the same failure as in the build process."""

from unittest import mock

import pytest

from publishing import fhir, services
from publishing.build import SnapshotBuilder, compare_directories, fhir_files, rendering
from publishing.fhir import InvalidResource
from tests.factories import revise_approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(snapshot_root):
    from bench.generator import load_dataset
    from curation.eventstore import last_position

    load_dataset(120, seed=5)  # 120 trials, their citations, interventions and 3 topics
    return last_position()


def fork_fhir(settings, processes=2):
    settings.PUBLISH_BUILD_PROCESSES = processes
    settings.PUBLISH_PARALLEL_THRESHOLD = 100_000  # the pages in the build process
    settings.PUBLISH_FHIR_PARALLEL_THRESHOLD = 10
    settings.PUBLISH_FHIR_BATCH_SIZE = 40


def bundle_entries():
    items = fhir_files.warm_fhir.items
    return {path: fhir_files._bundle_item_bytes(handle) for path, handle in items.in_order()}


def test_forked_fhir_writes_the_same_bytes_and_table_as_in_process(corpus, settings, tmp_path):
    fork_fhir(settings, processes=1)
    single = SnapshotBuilder(1, corpus).build(tmp_path / "single")
    single_entries = bundle_entries()
    fork_fhir(settings)
    with mock.patch.object(rendering.os, "fork", wraps=rendering.os.fork) as fork:
        forked = SnapshotBuilder(1, corpus).build(tmp_path / "forked")
    assert fork.call_count == 2  # the FHIR files' children (the pages stayed here)
    assert forked.files_rendered == single.files_rendered
    assert compare_directories(tmp_path / "single", tmp_path / "forked") == []
    assert bundle_entries() == single_entries


def test_a_warm_build_after_a_forked_one_writes_only_the_changed_record(
    corpus, settings, editor, reviewer
):
    from evidence.models import Trial

    fork_fhir(settings)
    first = services.publish_latest()
    slug = Trial.objects.order_by("slug").values_list("slug", flat=True)[7]
    revise_approved(editor, reviewer, "trial", slug, lambda d: d.update(summary="New."))
    with mock.patch.object(
        fhir_files, "record_resources", wraps=fhir_files.record_resources
    ) as made:
        second = services.publish_latest()
    assert [call.args[0].slug for call in made.call_args_list] == [slug]
    assert second.seq == first.seq + 1
    assert second.files_rendered < 100  # the trial's pages and files, the snapshot-wide files


def test_an_invalid_resource_in_a_child_fails_the_build_naming_the_first_as_in_process(
    corpus, settings, tmp_path
):
    def broken(document, ctx):
        return {"resourceType": "Citation", "id": document["slug"], "title": "no status"}

    failures = []
    for processes in (1, 2):
        fork_fhir(settings, processes)
        with (
            mock.patch("publishing.fhir.records.citation", side_effect=broken),
            pytest.raises(InvalidResource) as failed,
        ):
            SnapshotBuilder(1, corpus).build(tmp_path / str(processes))
        failures.append((failed.value.path, failed.value.problems))
    assert failures[0] == failures[1]
    assert failures[0][0].startswith("fhir/Citation/")
    assert fhir.InvalidResource(*failures[0]).path == failures[0][0]
