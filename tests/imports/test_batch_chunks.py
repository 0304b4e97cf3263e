"""Batches imported a chunk at a time (curation.imports.batch_chunks, study_writes,
curation.bulk): the same change requests, history, reviews and source links as importing each
study or reference on its own; a chunk's reads made once for it; a crash in the middle of a
chunk leaves none of it, and a rerun adds only what is missing."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection

from curation import bulk, services
from curation.errors import CurationError
from curation.imports import batches
from curation.imports import services as imports
from curation.models import (
    ChangeRequest,
    ImportedSource,
    Review,
    ReviewWarnings,
    SourceDocument,
)
from curation.permissions import EDITORS
from tests import documents
from tests.factories import create_approved

from .studies import (
    CERTOLIZUMAB,
    CERTOLIZUMAB_MAP,
    REMDESIVIR,
    REMDESIVIR_MAP,
    real,
    small_study,
    with_changes,
)
from .test_batches import start

pytestmark = pytest.mark.django_db


def entries() -> list[dict]:
    """Studies of every kind a batch meets: the real ones with their group maps, one without
    results, one whose groups need a map it does not give (refused), one that revises an
    approved trial, and one twice (a repeat)."""
    revised = with_changes(
        small_study(nct_id="NCT30000009", last_update="2025-02-01"),
        lambda s: s["protocolSection"]["identificationModule"].update(briefTitle="Renamed"),
    )
    return [
        {"study": real(REMDESIVIR), "group_map": REMDESIVIR_MAP},
        {"study": small_study(nct_id="NCT30000001"), "group_map": {}},
        {"study": real(CERTOLIZUMAB), "group_map": CERTOLIZUMAB_MAP},
        {"study": small_study(nct_id="NCT30000002", results=False), "group_map": {}},
        {"study": real(CERTOLIZUMAB), "group_map": {}},  # groups to map: refused
        {"study": revised, "group_map": {}},
        {"study": small_study(nct_id="NCT30000001"), "group_map": {}},  # a repeat
    ]


def approved_trial(editor, reviewer) -> None:
    """NCT30000009 as an approved trial, for a later version of it to revise; and a citation
    record that a reference of CERTOLIZUMAB names by its PMID."""
    create_approved(
        editor,
        reviewer,
        "citation",
        documents.drugex_citation("van-der-heijde-2022", pmid="35296532"),
    )
    first = imports.import_ctgov_study(
        user=editor, study=small_study(nct_id="NCT30000009"), submit=True
    )
    services.approve(first.change_request, user=reviewer)


def outcome(cr: ChangeRequest) -> dict:
    """All that a change request made by an import says, without ids and times."""
    link = getattr(cr, "imported_source", None)
    history = list(cr.history.values("history_type", "history_user", "status", "document"))
    return {
        "fields": {
            f: getattr(cr, f)
            for f in (
                "record_type",
                "record_id",
                "record_slug",
                "action",
                "base_version",
                "base_document",
                "document",
                "rationale",
                "reviewer_note",
                "citations",
                "author_id",
                "status",
                "needs_rebase",
            )
        },  # fmt: skip
        "submitted": cr.submitted_at is not None,
        "reviews": list(cr.reviews.values_list("kind", "author", "comment")),
        "history": history,
        "source": link and (link.source.sha256, link.source.registry_id, link.source.last_updated),
        "source_content": link and json.loads(link.source.content),
        "group_map": link and link.group_map,
        "warnings": link and link.warnings,
    }


@pytest.mark.parametrize("submit", [False, True])
def test_a_chunk_writes_what_importing_each_study_alone_writes(editor, reviewer, settings, submit):
    settings.IMPORT_BATCH_CHUNK = 4  # chunks of several studies, and a last one of three
    approved_trial(editor, reviewer)
    raw = json.dumps(entries()).encode()
    batch = batches.run_batch(start(editor, raw, submit=submit).pk)
    assert (batch.made, batch.skipped, batch.failed) == (5, 1, 1)
    items = list(batch.items.order_by("position"))
    assert items[2].change_request.document["citations"] == ["van-der-heijde-2022"]
    assert items[5].change_request.action == "revise"
    chunked = {i.position: outcome(i.change_request) for i in items if i.status == "made"}
    assert items[6].change_request_id == items[1].change_request_id  # the repeat
    assert items[4].status == "failed" and "group" in items[4].message

    stored = SourceDocument.objects.count()
    for item, entry in zip(items, entries(), strict=True):
        if item.status == "skipped":
            continue
        kwargs = dict(study=entry["study"], group_map=entry["group_map"], submit=submit)
        if item.status == "failed":
            with pytest.raises(CurationError) as raised:
                imports.import_ctgov_study(user=editor, label=item.where, **kwargs)
            assert (raised.value.message, raised.value.errors[0].get("path", "")) == (
                item.message, item.path
            )  # fmt: skip
            continue
        alone = imports.import_ctgov_study(user=editor, label=item.where, **kwargs)
        expected = outcome(alone.change_request)
        got = chunked[item.position]
        if expected["fields"]["action"] == "create":  # a new record's stream id is its own
            expected["fields"].pop("record_id"), got["fields"].pop("record_id")
        assert got == expected
    # Each source document stored once: importing the same studies again stored none.
    assert SourceDocument.objects.count() == stored


def test_a_crash_in_the_middle_of_a_chunk_leaves_none_of_it_and_a_rerun_adds_the_rest(
    editor, settings, monkeypatch
):
    settings.IMPORT_BATCH_CHUNK = 3
    raw = json.dumps([small_study(nct_id=f"NCT4000000{i}") for i in range(7)]).encode()
    batch = start(editor, raw)
    real_insert, calls = bulk.insert, []

    def lost_after_the_change_requests(model, objs, *given):
        calls.append(model)
        if model is ImportedSource and calls.count(ImportedSource) == 2:
            raise DatabaseError("server closed the connection unexpectedly")
        return real_insert(model, objs, *given)

    monkeypatch.setattr(bulk, "insert", lost_after_the_change_requests)
    with pytest.raises(DatabaseError):
        batches.run_batch(batch.pk)
    # The second chunk had written its sources, change requests and history: all gone.
    assert ChangeRequest.objects.count() == ChangeRequest.history.count() == 3
    assert ImportedSource.objects.count() == SourceDocument.objects.count() == 3
    batch.refresh_from_db()
    assert (batch.processed, batch.made) == (3, 3)
    assert batch.items.filter(status="pending").count() == 4

    monkeypatch.setattr(bulk, "insert", real_insert)
    batch = batches.run_batch(batch.pk)
    assert (batch.status, batch.processed, batch.made, batch.failed) == ("done", 7, 7, 0)
    slugs = sorted(ChangeRequest.objects.values_list("record_slug", flat=True))
    assert slugs == [f"nct4000000{i}" for i in range(7)]  # one each, none twice
    assert ChangeRequest.history.count() == ImportedSource.objects.count() == 7
    made = batch.items.values_list("change_request_id", flat=True)
    assert sorted(made) == sorted(ChangeRequest.objects.values_list("pk", flat=True))


def test_a_batch_whose_author_may_no_longer_propose_fails_each_study_and_writes_nothing(
    editor,
):
    batch = start(editor, json.dumps([small_study(nct_id="NCT50000001")] * 1).encode())
    editor.groups.remove(editor.groups.get(name=EDITORS))
    before = (ChangeRequest.objects.count(), Review.objects.count(), SourceDocument.objects.count())
    batch = batches.run_batch(batch.pk)
    assert (batch.status, batch.made, batch.failed) == ("done", 0, 1)
    (failure,) = batches.failures(batch)
    assert "propose" in failure.message.lower() or "permission" in failure.message.lower()
    assert batch.items.get().content  # kept, for a rerun once the author may again
    after = (ChangeRequest.objects.count(), Review.objects.count(), SourceDocument.objects.count())
    assert after == before


def test_json_beyond_what_orjson_writes_is_written_as_a_save_writes_it(editor):
    """Integers over 64 bits (orjson refuses them) go through the field's own encoder; what
    ``bulk.insert`` writes reads back as what a save writes."""
    assert bulk.json_text({"n": 2**70}) == '{"n": 1180591620717411303424}'
    assert bulk.json_text({"a": [1, 2.5, "é"]}) == '{"a":[1,2.5,"é"]}'
    made = imports.import_ctgov_study(user=editor, study=small_study(), submit=True)
    review = made.change_request.reviews.get()
    warnings = [{"n": 2**70, "text": 'é \\ "quoted"\ttab'}, None, 0.1]
    (row,) = bulk.insert(
        ReviewWarnings, [ReviewWarnings(review=review, narrative_warnings=warnings)]
    )
    assert row.pk is not None
    assert ReviewWarnings.objects.get(pk=row.pk).narrative_warnings == warnings


def test_a_chunk_reads_the_database_a_few_times_whatever_its_size(editor, settings):
    """The reads each study's import makes (the trial with its NCT id, the citations of its
    PMIDs, whether its slug was a record's) are made once per chunk, for all its studies."""
    settings.IMPORT_BATCH_CHUNK = 10

    def queries_for(n: int, first: int) -> int:
        raw = json.dumps([small_study(nct_id=f"NCT{first + i}") for i in range(n)]).encode()
        batch = start(editor, raw)
        queries = []

        def counted(execute, sql, *args):
            queries.append(sql)
            return execute(sql, *args)

        # Counted as they go (the task empties the debug log of queries at each chunk).
        with connection.execute_wrapper(counted):
            batch = batches.run_batch(batch.pk)
        assert batch.made == n
        return len(queries)

    assert queries_for(2, 60000000) == queries_for(10, 61000000)


def ris(title: str, surname: str, year: int, doi: str, volume: str) -> str:
    return (
        f"TY  - JOUR\nAU  - {surname}, A\nTI  - {title}\nJO  - Journal of Examples\n"
        f"PY  - {year}\nVL  - {volume}\nDO  - {doi}\nER  - \n"
    )


@pytest.mark.parametrize("submit", [False, True])
def test_a_chunk_of_references_writes_what_importing_each_alone_writes(
    editor, reviewer, settings, submit
):
    """A new citation, a revision of a known one (found by DOI), and one that says nothing
    the citation does not (up to date): as one by one."""
    from curation.imports import citation_formats, citation_services

    settings.IMPORT_BATCH_CHUNK = 2
    same = ris("Known and unchanged", "Doe", 2019, "10.1000/same", "7")
    (reference,) = citation_formats.parse(same, "ris", "first.ris")
    first = citation_services.import_reference(
        user=editor, reference=reference, where="first.ris", submit=True
    )
    services.approve(first.change_request, user=reviewer)
    create_approved(
        editor, reviewer, "citation", documents.drugex_citation("known-2020", doi="10.1000/k")
    )
    text = "\n".join(
        [
            ris("A new trial", "Attal", 2012, "10.1056/new", "366"),
            ris("Maintenance study reported by known-2020", "Smith", 2020, "10.1000/k", "13"),
            same,
        ]
    )
    batch = batches.run_batch(
        start(editor, text.encode(), kind="citations", filename="r.ris", submit=submit).pk
    )
    items = list(batch.items.order_by("position"))
    assert [i.status for i in items] == ["made", "made", "skipped"]
    assert items[2].message == f"citation {first.change_request.record_slug} already says this"
    assert items[1].change_request.action == "revise"
    parsed = citation_formats.parse(text, "ris", "r.ris")
    for item, reference in zip(items[:2], parsed, strict=False):
        alone = citation_services.import_reference(
            user=editor, reference=reference, where=item.where, submit=submit
        )
        got, expected = outcome(item.change_request), outcome(alone.change_request)
        if expected["fields"]["action"] == "create":
            expected["fields"].pop("record_id"), got["fields"].pop("record_id")
        assert got == expected
