"""The batch approval's shortcuts give what the long way gives: the event's hash from the
document's canonical JSON written once, the validation of a document read as JSON text, an
event made without ``Model.__init__``, ``known_changed_numbers`` told the documents are the
same, and the chunks' writes streamed to the server while the next chunk is computed."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from unittest import mock

import orjson
import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.curation.test_batch_approval as one_by_one
from curation import eventstore, services
from curation.errors import PermissionDenied, ValidationFailed
from curation.eventstore.hashing import canonical_json, event_hash
from curation.eventstore.store import _instance
from curation.models import ChangeRequest, Event
from curation.narratives import known_changed_numbers
from curation.projection.script import Pipeline
from curation.roundtrip import settled, streaming
from curation.services import inputs
from evidence.documents import validate_document

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["position", "document", "a", "z", "é"]), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    document=st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    changes=st.lists(
        st.fixed_dictionaries({"path": st.text(), "old": json_values, "new": json_values}),
        max_size=3,
    ),
    rationale=st.text(),
    change_request=st.none() | st.integers(1, 10**9),
)
def test_the_hash_from_the_documents_json_is_the_hash(document, changes, rationale, change_request):
    """Changes holding names such as "position" or "document" too: the bytes hashed are
    those of the whole, not found by searching them."""
    fields = {
        "position": 7,
        "stream_type": "trial",
        "stream_id": str(uuid.UUID(int=5)),
        "slug": "s",
        "version": 2,
        "type": "revised",
        "document": document,
        "changes": changes,
        "change_request": change_request,
        "proposer": 1,
        "approver": 2,
        "rationale": rationale,
        "recorded_at": "2026-12-01T00:00:00+00:00",
    }
    prev = "f" * 64
    assert event_hash(fields, prev, canonical_json(document)) == event_hash(fields, prev)


def test_an_event_made_directly_is_the_one_the_model_makes():
    values = {
        "position": 3,
        "stream_type": "trial",
        "stream_id": uuid.uuid4(),
        "slug": "x",
        "version": 1,
        "type": "created",
        "document": {"slug": "x"},
        "changes": [],
        "change_request_id": None,
        "proposer_id": 1,
        "approver_id": 2,
        "rationale": "r",
        "recorded_at": datetime(2026, 12, 1, tzinfo=UTC),
        "prev_hash": "0" * 64,
        "hash": "",
    }
    made, model = _instance(dict(values)), Event(**values)
    assert {f.attname for f in Event._meta.concrete_fields} == set(values)
    assert {k: v for k, v in vars(made).items() if k != "_state"} == {
        k: v for k, v in vars(model).items() if k != "_state"
    }
    assert made._state.adding and made._state.db is None


@pytest.mark.parametrize("cached", [True, False])
def test_a_document_read_as_json_is_validated_as_validate_validates(trial, cached):
    """Canonical already (the result's JSON is the one given, not written again) or not (a
    field left out that the validation fills in), with the cache warm or cold."""
    canonical = trial.document
    shortened = {k: v for k, v in canonical.items() if k != nullable_field(canonical)}
    for document in (canonical, shortened):
        inputs.forget_validated()
        if cached:
            inputs._validate("trial", copy.deepcopy(document))
        expected = validate_document("trial", copy.deepcopy(document), exists=lambda t, s: True)
        given_json = canonical_json(document)
        known = inputs.KnownRecords(inputs._references("trial", document))
        result, result_json = inputs.validate_read("trial", document, given_json, known)
        assert result == expected and list(result) == list(expected)  # key order too
        assert result_json == canonical_json(expected)
        assert (result_json == given_json) is (document is canonical)


def test_a_document_read_as_json_with_a_reference_gone_is_refused(trial):
    document = {**trial.document, "interventions": ["no-such-drug"]}
    known = inputs.KnownRecords(inputs._references("trial", document))
    with pytest.raises(ValidationFailed) as refused:
        inputs.validate_read("trial", document, canonical_json(document), known)
    assert any("no-such-drug" in e["message"] for e in refused.value.errors)


def nullable_field(document: dict) -> str:
    """A top-level field the canonical form lists as null (left out, the same document)."""
    return next(name for name, value in document.items() if value is None)


def test_known_changed_numbers_told_the_documents_are_the_same_says_the_same(trial, editor):
    cr = one_by_one.propose_trial(editor, trial, summary="Said again.")
    cr = ChangeRequest.objects.get(pk=cr.pk)
    reordered = dict(reversed(list(cr.document.items())))
    no_numbers = [{"path": "summary", "old": "a", "new": "b"}]
    for after, changes in ((cr.document, no_numbers), (reordered, no_numbers)):
        told = known_changed_numbers(cr, cr.base_document, after, changes, True)
        assert told == known_changed_numbers(cr, cr.base_document, after, changes) == []
    numbers = [{"path": "enrollment", "old": 614, "new": 615}]
    assert known_changed_numbers(cr, cr.base_document, reordered, numbers, True) is None


def store_not_canonical(pk: int) -> None:
    """The submitted request's stored document made valid but not canonical (a field left
    out), as an import or an older writer could have left it."""
    cr = ChangeRequest.objects.get(pk=pk)
    shortened = {k: v for k, v in cr.document.items() if k != nullable_field(cr.document)}
    table = ChangeRequest._meta.db_table
    with connection.cursor() as cursor:
        for sql, params in (
            (f"UPDATE {table} SET status = 'changes_requested' WHERE id = %s", [pk]),  # noqa: S608
            (f"UPDATE {table} SET document = %s::jsonb WHERE id = %s", [shortened, pk]),  # noqa: S608
            (f"UPDATE {table} SET status = 'submitted' WHERE id = %s", [pk]),  # noqa: S608
        ):
            cursor.execute(
                sql, [orjson.dumps(p).decode() if isinstance(p, dict) else p for p in params]
            )


@pytest.mark.parametrize("cold", [False, True])
def test_a_batch_from_a_cold_cache_and_a_document_not_canonical_is_one_by_one(
    trial, editor, reviewer, postgres, cold
):
    """A process that validated none of the documents (cold) or all of them; one request's
    stored document not canonical: its event carries the validated document, sent."""
    citation, population, intervention, _ = one_by_one.batch_of_requests(editor, trial)
    store_not_canonical(population)
    ids = [citation, population, intervention]
    since = eventstore.last_position()
    with mock.patch("django.utils.timezone.now", return_value=one_by_one.FIXED):
        with transaction.atomic():
            if cold:
                inputs.forget_validated()
            for pk in ids:
                services.approve(pk, user=reviewer, comment="Checked")
            expected = {**one_by_one.state(since, ids), "every_row": one_by_one.every_row()}
            transaction.set_rollback(True)
        if cold:
            inputs.forget_validated()
        events = services.approve_change_requests(reviewer, ids, comment="Checked")
        got = {**one_by_one.state(since, ids), "every_row": one_by_one.every_row()}
    copied = [getattr(e, eventstore.DOCUMENT_OF_REQUEST, False) for e in events]
    assert copied == [True, False, True]
    assert got == expected
    assert eventstore.verify_chain().ok


def test_a_forbidden_user_is_refused_before_anything_is_streamed(trial, editor):
    ids = one_by_one.batch_of_requests(editor, trial)
    since = eventstore.last_position()
    with pytest.raises(PermissionDenied):
        services.approve_change_requests(editor, ids)
    assert eventstore.last_position() == since
    assert set(ChangeRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "submitted"
    }


def test_streamed_writes_are_there_for_the_next_read_and_a_copy(postgres, trial):
    with transaction.atomic():
        with streaming():
            script = Pipeline()
            script.add("CREATE TEMPORARY TABLE streamed (n int) ON COMMIT DROP")
            script.add("INSERT INTO streamed VALUES (%s)", 1)
            script.run()
            assert connection.connection._pipeline is not None  # sent, not waited for
            with connection.cursor() as cursor:  # a Django statement waits for them first
                cursor.execute("SELECT count(*) FROM streamed")
                assert cursor.fetchone() == (1,)
            script.add("INSERT INTO streamed VALUES (%s)", 2)
            script.run()
            settled()  # as before a COPY
            with (
                connection.cursor() as wrapper,
                wrapper.cursor.copy("COPY streamed FROM STDIN") as copy,
            ):
                copy.write_row([3])
            with connection.cursor() as cursor:
                cursor.execute("SELECT array_agg(n ORDER BY n) FROM streamed")
                assert cursor.fetchone() == ([1, 2, 3],)
        assert connection.connection._pipeline is None


def test_a_streamed_statements_error_is_djangos_and_rolls_the_block_back(postgres, trial):
    since = eventstore.last_position()
    table = Event._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), streaming():
        script = Pipeline()
        # The log refuses a second event at a position (its primary key).
        script.add(
            f"INSERT INTO {table} SELECT * FROM {table} WHERE position = %s",  # noqa: S608
            since,
        )
        script.run()
    assert connection.connection._pipeline is None
    assert eventstore.last_position() == since
    assert Event.objects.count() == since
