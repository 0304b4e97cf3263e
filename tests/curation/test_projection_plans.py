"""An approval's script (the event, the projection, the request's closing) reads the rows it
looks up one at a time by index, at a corpus's size: each statement's plan, as PostgreSQL
makes it for a corpus of a few thousand trials with fresh statistics (ANALYZE, as autovacuum
keeps them), has no scan of a whole large table and no hash or merge join (which reads one
side whole). A plain join of the rows written to the table they name was planned as a hash
join over every trial, arm or citation: 12-23 ms an approval at 10,000 trials, against
0.3-0.4 ms by index."""

from __future__ import annotations

import copy
import uuid
from unittest import mock

import pytest
from django.db import connection

from bench.generator import load_dataset
from curation import selectors, services
from curation.models import ChangeRequest
from curation.projection import script as script_module
from evidence.models import Topic, Trial

pytestmark = pytest.mark.django_db

TRIALS = 2000  # with 1,000 citations, 4,000 arms, 12,000 values, ...
# Smaller tables may be read whole: a few pages, cheaper than an index.
LARGE = 500
WHOLE_TABLE_READS = ("Hash Join", "Merge Join")


@pytest.fixture
def corpus(postgres, editor):
    load_dataset(TRIALS, seed=3)
    # Every event of a real log has its change request: as many requests as records.
    request = dict(record_type="trial", action="create", base_version=0, author=editor)
    ChangeRequest.objects.bulk_create(
        ChangeRequest(
            **request,
            record_id=uuid.uuid4(),
            record_slug=f"old-request-{n}",
            status=ChangeRequest.Status.APPROVED,
            document={},
            rationale="earlier",
        )
        for n in range(TRIALS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the statistics autovacuum keeps, of the rows above


def sent_statements(approve) -> list[tuple[str, list]]:
    """(sql, params) of every statement the scripts of ``approve()`` send."""
    sent = []

    def recording(add):
        def record(self, sql, *params):
            sent.append((sql, list(params)))
            return add(self, sql, *params)

        return record

    with (
        mock.patch.object(script_module.Script, "add", recording(script_module.Script.add)),
        mock.patch.object(script_module.Pipeline, "add", recording(script_module.Pipeline.add)),
    ):
        approve()
    return sent


def large_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples >= %s", [LARGE]
        )
        return {name for (name,) in cursor.fetchall()}


def whole_reads(sql: str, params: list, large: set[str]) -> list[str]:
    """The plan's lines that read a large table whole or join by reading a side whole."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = [line for (line,) in cursor.fetchall()]
    return [
        line
        for line in plan
        if any(join in line for join in WHOLE_TABLE_READS)
        or ("Seq Scan on " in line and line.split("Seq Scan on ")[1].split()[0] in large)
    ]


def revision(editor, record_type: str, slug: str, change) -> ChangeRequest:
    live = selectors.live_record(record_type, slug)
    document = copy.deepcopy(live.document)
    change(document)
    return services.propose(
        user=editor,
        record_type=record_type,
        action="revise",
        record=slug,
        base_version=live.version,
        document=document,
        rationale="checked against the paper",
    )


def new_arm_order(document: dict) -> None:
    document["arms"].reverse()  # every item row written again, looked up by key
    document["citations"] = document["citations"][:1]  # the relations too, by slug


def fewer_sections(document: dict) -> None:
    document["sections"][0]["trials"].pop()  # its trials looked up by slug


def requests(editor) -> list[ChangeRequest]:
    trial = Trial.objects.order_by("slug")[TRIALS // 2].slug
    topic = Topic.objects.order_by("slug")[1].slug
    return [
        revision(editor, "trial", trial, new_arm_order),
        revision(editor, "topic", topic, fewer_sections),
    ]


def check_plans(sent: list[tuple[str, list]]) -> None:
    large = large_tables()
    assert {
        "evidence_trial",
        "evidence_arm",
        "evidence_citation",
        "curation_changerequest",
    } <= large
    assert any("LATERAL" in sql for sql, _ in sent)  # lookups were planned
    found = {sql: lines for sql, params in sent if (lines := whole_reads(sql, params, large))}
    assert not found, "\n\n".join(f"{sql}\n" + "\n".join(lines) for sql, lines in found.items())


def test_an_approval_looks_rows_up_by_index(corpus, editor, reviewer):
    trial, topic = requests(editor)
    check_plans(sent_statements(lambda: services.approve(trial, user=reviewer)))
    check_plans(sent_statements(lambda: services.approve(topic, user=reviewer)))


def test_a_batch_approval_looks_rows_up_by_index(corpus, editor, reviewer):
    ids = [cr.pk for cr in requests(editor)]
    check_plans(
        sent_statements(lambda: services.approve_change_requests(reviewer, ids, comment="Checked"))
    )
