"""The synthetic generator: deterministic, valid documents, loads through the event store."""

from collections import Counter

import pytest

from bench.generator import generate_dataset, load_dataset
from evidence.documents import validate_document


def test_same_arguments_give_the_same_documents_and_other_seeds_differ():
    assert list(generate_dataset(30, seed=1)) == list(generate_dataset(30, seed=1))
    assert list(generate_dataset(30, seed=1)) != list(generate_dataset(30, seed=2))


def test_documents_are_valid_and_come_in_load_order():
    seen: dict[str, set[str]] = {}
    order = []

    def exists(record_type, slug):
        return slug in seen.get(record_type, set())

    for record_type, document in generate_dataset(120, seed=3):
        assert validate_document(record_type, document, exists=exists) == document
        seen.setdefault(record_type, set()).add(document["slug"])
        if not order or order[-1] != record_type:
            order.append(record_type)
    counts = {t: len(s) for t, s in seen.items()}
    assert counts == {"citation": 60, "intervention": 13, "trial": 120, "topic": 3}
    assert order[:3] == ["citation", "intervention", "trial"]


@pytest.mark.django_db
def test_load_dataset_goes_through_the_event_store_and_projector():
    from curation.eventstore import verify_chain
    from evidence.models import Topic, Trial

    counts = load_dataset(20, seed=0, batch_size=7)
    assert counts == dict(Counter(t for t, _ in generate_dataset(20, seed=0)))
    assert Trial.objects.count() == 20 and Topic.objects.count() == 1
    report = verify_chain()
    assert report.ok and report.events == sum(counts.values())
