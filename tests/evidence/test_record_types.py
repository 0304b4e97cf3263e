"""The record-type registry, and a fifth record type added through it alone.

``test_a_fifth_record_type_needs_only_its_registry_entry_and_models`` registers a ``guideline``
type (a pydantic document model and a read model defined here, its table created for the test)
and takes it through the services, the projection, the rebuild and a snapshot build without
touching any other module. The API's routes and serializers are built from the registry at
import time, so a type registered later has no routes: that part is not exercised here.
"""

from __future__ import annotations

import jsonschema
import orjson
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from curation import selectors, services
from curation.models import Event
from curation.projection.rebuild import all_read_models
from curation.seed import SEED_DIR, seed_records
from evidence import models as ev
from evidence.documents import (
    DOCUMENT_MODELS,
    RECORD_TYPES,
    RecordDocument,
    ShortText,
    Slug,
    record_types,
    validate_document,
)
from evidence.documents.record_types import RecordType
from publishing import services as publishing
from tests.factories import seed_corpus
from tests.publishing.published import published_bytes, published_manifest
from tests.read_models import read_model_state


def test_the_registry_keeps_both_orders_of_the_built_in_types():
    assert record_types.names() == RECORD_TYPES == ("topic", "intervention", "citation", "trial")
    assert [e.name for e in record_types.in_creation_order()] == [
        "citation",
        "intervention",
        "trial",
        "topic",
    ]
    assert [e.plural for e in record_types.REGISTRY] == [
        "topics",
        "interventions",
        "citations",
        "trials",
    ]


def test_every_entry_names_its_models_and_labels():
    for entry in record_types.REGISTRY:
        assert DOCUMENT_MODELS[entry.name] is entry.document_model
        assert ev.RECORD_MODELS[entry.name] is entry.model
        assert entry.model.record_type == entry.name
        assert entry.label == entry.model._meta.verbose_name
        assert entry.label_plural == entry.model._meta.verbose_name_plural


def test_every_seed_file_has_its_record_type():
    manifest = orjson.loads((SEED_DIR / "manifest.json").read_bytes())
    types = [record_types.REGISTRY.for_seed_file(name).name for name in manifest["load_order"]]
    assert types == ["citation", "intervention", *["trial"] * 10, "topic"]
    assert {t for t, _ in seed_records()} == set(RECORD_TYPES)
    with pytest.raises(ValueError, match="notes.json"):
        record_types.REGISTRY.for_seed_file("notes.json")


def test_a_type_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="registered already"):
        record_types.REGISTRY.register(record_types.get("trial"))


# A fifth record type ---------------------------------------------------------------------------


class GuidelineDocument(RecordDocument):
    """A practice guideline (the test's fifth record type)."""

    slug: Slug
    title: ShortText
    issuer: ShortText


def _guideline_columns(document: dict) -> dict:
    return {"title": document["title"], "issuer": document["issuer"]}


@pytest.fixture
def guideline_type(transactional_db):
    """The ``guideline`` record type, registered with its read model and table for one test."""

    class Guideline(ev.Record):
        record_type = "guideline"
        title = models.CharField(max_length=200)
        issuer = models.CharField(max_length=200)

        class Meta(ev.Record.Meta):
            app_label = "evidence"

    entry = RecordType(
        name="guideline",
        document_model=GuidelineDocument,
        read_model="evidence.Guideline",
        columns=_guideline_columns,
        creation_rank=4,  # may refer to anything; nothing refers to it
    )
    with connection.schema_editor() as editor:
        editor.create_model(Guideline)
    try:
        with record_types.REGISTRY.registered(entry):
            yield entry
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Guideline)
        del apps.all_models["evidence"]["guideline"]
        apps.clear_cache()
    assert record_types.names() == RECORD_TYPES


def _guideline(slug: str, title: str) -> dict:
    return {"schema_version": 2, "slug": slug, "title": title, "issuer": "IMWG"}


def test_a_fifth_record_type_needs_only_its_registry_entry_and_models(
    guideline_type, editor, reviewer, settings, tmp_path
):
    settings.SNAPSHOT_ROOT = tmp_path / "snapshots"
    settings.VAR_DIR = tmp_path / "var"
    Guideline = guideline_type.model
    seed_corpus(editor, reviewer, trials=("trial-one",))

    # Validation and the workflow: propose, approve -> an event and a projected row.
    assert validate_document("guideline", _guideline("imwg", "IMWG")) == _guideline("imwg", "IMWG")
    cr = services.propose(
        user=editor,
        record_type="guideline",
        action="create",
        document=_guideline("imwg-2023", "Maintenance after transplant"),
        rationale="A guideline of its own type.",
    )
    services.approve(cr, user=reviewer)
    event = Event.objects.get(change_request=cr)
    assert (event.stream_type, event.slug, event.version) == ("guideline", "imwg-2023", 1)
    row = Guideline.objects.get()
    assert (row.slug, row.title, row.issuer, row.version) == (
        "imwg-2023",
        "Maintenance after transplant",
        "IMWG",
        1,
    )
    assert selectors.live_record("guideline", "imwg-2023") == row

    # A revision through the services, then the rebuild reproduces the read models.
    cr = services.propose(
        user=editor,
        record_type="guideline",
        action="revise",
        record="imwg-2023",
        base_version=1,
        document=_guideline("imwg-2023", "Maintenance after ASCT"),
        rationale="Title as published.",
    )
    services.approve(cr, user=reviewer)
    live = read_model_state()
    assert live["guideline"] == [
        tuple(
            orjson.dumps(v, option=orjson.OPT_SORT_KEYS) if isinstance(v, dict) else v
            for v in Guideline.objects.values_list(
                *[f.attname for f in Guideline._meta.concrete_fields]
            ).get()
        )
    ]
    assert Guideline in all_read_models()
    Guideline.objects.all().delete()
    call_command("rebuild_projections")
    assert read_model_state() == live
    assert Guideline.objects.get().title == "Maintenance after ASCT"

    # A snapshot publishes it in evidence.json, valid against its schema.json.
    snapshot = publishing.publish_latest(force=True)
    published = orjson.loads(published_bytes(snapshot.seq, "evidence.json"))
    assert set(published) == {
        "snapshot",
        "topics",
        "interventions",
        "citations",
        "trials",
        "guidelines",
        "findings",
    }
    (guideline,) = published["guidelines"]
    assert guideline["record_type"] == "guideline"
    assert guideline["document"] == _guideline("imwg-2023", "Maintenance after ASCT")
    assert [v["version"] for v in guideline["history"]] == [1, 2]
    schema = orjson.loads(published_bytes(snapshot.seq, "schema.json"))
    assert schema["required"][-2:] == ["guidelines", "findings"]
    jsonschema.validate(published, schema)
    manifest = published_manifest(snapshot.seq)
    assert manifest["counts"]["guidelines"] == 1
    changes = orjson.loads(published_bytes(snapshot.seq, "changes.json"))
    assert [r["record_type"] for r in changes["records"]][-1] == "guideline"
    assert not any(f["path"].startswith("guidelines/") for f in manifest["files"])
    # No FHIR mapping for the new type: its records are left out of the FHIR files.
    assert not any("imwg-2023" in f["path"] for f in manifest["files"] if "fhir/" in f["path"])

    # Retracting it removes the row.
    cr = services.propose(
        user=editor,
        record_type="guideline",
        action="retract",
        record="imwg-2023",
        base_version=2,
        rationale="Superseded.",
    )
    services.approve(cr, user=reviewer)
    assert not Guideline.objects.exists()
