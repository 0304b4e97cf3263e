"""Proposing and approving on PostgreSQL in few round trips.

Proposing reads in one round trip and writes in one (``proposals._read_together``,
``opening.insert_proposal``): the same change requests, history rows, reviews and
notifications as the ORM path, and the same refusals. Approving takes its locks and reads
in one (``approval._locked_and_read``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from curation import selectors, services
from curation.errors import NotFound, ValidationFailed
from curation.models import ChangeRequest, Notification, Review
from curation.services import opening, proposals
from curation.services.inputs import forget_validated
from tests import documents, factories

pytestmark = pytest.mark.django_db

FIXED = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def rows(model, order: str, skip: tuple[str, ...]) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
    return [tuple(r) for r in model.objects.order_by(order).values_list(*fields)]


def requests_named(value, ranks: dict[int, int]):
    """A notification's text with each request's id (in its name and its address) replaced
    by its rank."""
    if not isinstance(value, str):
        return value
    for pk, rank in sorted(ranks.items(), reverse=True):
        value = value.replace(f"CR-{pk}", f"CR #{rank}").replace(f"/{pk}/", f"/#{rank}/")
    return value


def written() -> dict:
    """Every change request, history row, review and notification, in the order written,
    without their own ids; requests by rank and new records' random stream ids by order
    of appearance (both differ from one run to the next)."""
    ranks = {pk: n for n, pk in enumerate(ChangeRequest.objects.order_by("pk").values_list("pk"))}
    ranks = {pk[0]: n for pk, n in ranks.items()}
    streams: dict[uuid.UUID, int] = {}

    def plain(value):
        if isinstance(value, uuid.UUID):
            return f"stream {streams.setdefault(value, len(streams))}"
        return value

    history = ChangeRequest.history.model
    return {
        "requests": [tuple(plain(v) for v in row) for row in rows(ChangeRequest, "pk", ("id",))],
        "history": [
            (ranks[row[0]], *(plain(v) for v in row[1:]))
            for row in rows(history, "history_id", ("history_id",))
        ],
        "reviews": [(ranks[row[0]], *row[1:]) for row in rows(Review, "id", ("id",))],
        "notifications": [
            (row[0], ranks[row[1]], *(requests_named(v, ranks) for v in row[2:]))
            for row in rows(Notification, "id", ("id",))
            if row[1] is not None
        ],
    }


def propose_everything(editor, reviewer, reviewer2) -> dict:
    forget_validated()  # each run validates as the first did
    with mock.patch("django.utils.timezone.now", return_value=FIXED):
        factories.seed_trial(editor, reviewer)
        live = selectors.live_record("trial", "ifm-2005-02")
        factories.propose_seed_revision(
            editor,
            live=live,
            summary="A revision.",
            citations=["attal-2012"],
            reviewer_note="for the reviewers",
        )
        services.propose(
            user=editor,
            record_type="trial",
            action="revise",
            record="ifm-2005-02",
            base_version=live.version,
            document=documents.revised(live.document, summary="A draft."),
            rationale="a draft",
            submit=False,
        )
        services.propose(
            user=editor,
            record_type="citation",
            action="create",
            document=documents.ifm_citation(slug="another-2013"),
            rationale="new",
        )
        services.propose(
            user=editor,
            record_type="intervention",
            action="retract",
            record="lenalidomide",
            base_version=1,
            rationale="gone",
        )
    return written()


def test_proposing_by_script_writes_what_the_orm_writes(postgres, editor, reviewer, reviewer2):
    for user in (reviewer, reviewer2):
        user.email = f"{user.username}@example.org"
        user.save()
    with transaction.atomic():
        scripted = propose_everything(editor, reviewer, reviewer2)
        transaction.set_rollback(True)
    assert len(scripted["notifications"]) >= 6  # two reviewers told of each submission
    assert len(scripted["reviews"]) > 6
    with (
        mock.patch.object(opening, "by_script", lambda: False),
        mock.patch.object(proposals, "_read_together", lambda *args: proposals._Read()),
    ):
        by_orm = propose_everything(editor, reviewer, reviewer2)
    assert scripted == by_orm


def test_a_proposal_takes_two_round_trips_between_begin_and_commit(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    live = selectors.live_record("trial", "ifm-2005-02")
    with CaptureQueriesContext(connection) as captured:
        factories.propose_seed_revision(
            editor, live=live, summary="Again.", citations=["attal-2012"]
        )
    # The reads (record, references, citations), then the writes and the reviewers' lookup.
    assert len(captured.captured_queries) == 2 + 2  # with BEGIN and COMMIT


BAD = [
    # (arguments, the refusal's class)
    (
        {"record": "ifm-2005-02", "base_version": 1, "citations": ["attal-2012", "nobody-1999"]},
        ValidationFailed,
    ),
    (
        {"record": "ifm-2005-02", "base_version": 1, "citations": ["bad\x00slug", 7]},
        ValidationFailed,
    ),
    ({"record": "no-such-trial", "base_version": 1}, NotFound),
    ({"record": "ifm-2005-02", "base_version": 9}, ValidationFailed),
    ({"record": "bad\x00slug", "base_version": 1}, ValidationFailed),
    ({"record": None, "base_version": 1}, ValidationFailed),
    (
        {"record": "ifm-2005-02", "base_version": 1, "document_change": {"citations": ["nobody"]}},
        ValidationFailed,
    ),
    ({"action": "create", "document_change": {"slug": "ifm-2005-02"}}, ValidationFailed),
    (
        {"action": "create", "document_change": {"slug": "x-new", "citations": ["nobody"]}},
        ValidationFailed,
    ),
]


def refusal(editor, arguments: dict) -> tuple:
    arguments = dict(arguments)
    document = documents.ifm_trial(summary="Changed.")
    document.update(arguments.pop("document_change", {}))
    try:
        services.propose(
            user=editor,
            record_type="trial",
            action=arguments.pop("action", "revise"),
            document=document,
            rationale="r",
            **arguments,
        )
    except (ValidationFailed, NotFound) as exc:
        return type(exc), str(exc), getattr(exc, "errors", None)
    raise AssertionError("not refused")


@pytest.mark.parametrize(("arguments", "kind"), BAD)
def test_the_refusals_are_those_of_the_orm_path(postgres, editor, reviewer, arguments, kind):
    factories.seed_trial(editor, reviewer)
    scripted = refusal(editor, arguments)
    with mock.patch.object(proposals, "_read_together", lambda *args: proposals._Read()):
        by_orm = refusal(editor, arguments)
    assert scripted == by_orm
    assert scripted[0] is kind
    assert not ChangeRequest.objects.filter(rationale="r").exists()


# --- Approving: the locks and every read in one round trip ---------------------------------


def test_an_approval_takes_two_round_trips_between_begin_and_commit(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    live = selectors.live_record("trial", "ifm-2005-02")
    cr = factories.propose_seed_revision(editor, live=live, summary="Again.")
    with CaptureQueriesContext(connection) as captured:
        event = services.approve(cr.pk, user=reviewer)  # by id: its references read after
    assert event.version == live.version + 1
    # The locks and reads, the references of a request given by id, the writes.
    assert len(captured.captured_queries) == 3 + 2  # with BEGIN and COMMIT


def test_an_approval_checks_the_references_of_the_request_as_it_is_now(postgres, editor, reviewer):
    factories.seed_trial(editor, reviewer)
    factories.create_approved(editor, reviewer, "citation", documents.ifm_citation("other-2013"))
    live = selectors.live_record("trial", "ifm-2005-02")
    held = factories.propose_seed_revision(editor, live=live, summary="Again.")
    services.request_changes(held.pk, user=reviewer, comment="cite the other paper")
    services.revise_and_resubmit(
        held.pk,
        user=editor,
        document=documents.revised(live.document, citations=["other-2013"]),
    )
    factories.retract_approved(editor, reviewer, "citation", "other-2013", 1)
    # ``held`` still proposes the first document, whose references all exist.
    with pytest.raises(ValidationFailed) as refused:
        services.approve(held, user=reviewer)
    assert "other-2013" in str(refused.value.errors)
    assert ChangeRequest.objects.get(pk=held.pk).status == "submitted"


def test_raw_rows_make_the_instances_the_orm_makes(postgres, editor, reviewer):
    from django.contrib.auth import get_user_model

    from curation.roundtrip import Together, raw_instances, select_rows
    from evidence.models import Trial

    factories.seed_trial(editor, reviewer)
    cr = ChangeRequest.objects.order_by("pk").last()
    for model, pk in ((ChangeRequest, cr.pk), (get_user_model(), editor.pk),
                      (Trial, Trial.objects.get().pk)):  # fmt: skip
        together = Together()
        together.add(select_rows(model, "id = %s", [pk]))
        (raw,) = raw_instances(model, together.run()[0])
        orm = model.objects.get(pk=pk)
        for field in model._meta.concrete_fields:
            mine, theirs = getattr(raw, field.attname), getattr(orm, field.attname)
            assert (mine, type(mine)) == (theirs, type(theirs)), field.name
        assert not raw._state.adding


@pytest.mark.parametrize("given", ["instance", "id"])
def test_a_new_records_slug_taken_meanwhile_is_a_conflict(postgres, editor, reviewer, given):
    from curation.errors import VersionConflict

    requests = [
        services.propose(
            user=editor,
            record_type="citation",
            action="create",
            document=documents.ifm_citation(slug="same-2013"),
            rationale=f"new {n}",
        )
        for n in range(2)
    ]
    services.approve(requests[0], user=reviewer)
    with pytest.raises(VersionConflict) as refused:
        services.approve(requests[1] if given == "instance" else requests[1].pk, user=reviewer)
    assert refused.value.fields == ["slug"]
    assert ChangeRequest.objects.get(pk=requests[1].pk).status == "submitted"
