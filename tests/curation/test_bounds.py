"""Whatever validates can be approved: every field the projection writes to a bounded column,
at its limit (proposes, approves, projects, rebuilds) and one past it (refused with its path).

Runs on whichever database the suite runs on; CI runs it on SQLite and on PostgreSQL, where
a 2^31 enrollment, a 501-character subgroup or a NUL used to pass validation and fail at
approval with a 500.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from curation import projection, services
from curation.errors import ValidationFailed
from curation.models import ChangeRequest
from evidence import documents as docs
from evidence import models as ev
from tests import documents, factories
from tests.read_models import read_model_state, written

pytestmark = pytest.mark.django_db


def _doi(length: int) -> str:
    return "10.1000/" + "d" * (length - len("10.1000/"))


def _registry_ids(count: int, length: int) -> list[dict]:
    return [{"registry": "other", "id": f"{i:02d}" + "r" * (length - 2)} for i in range(count)]


def _arms(count: int) -> list[dict]:
    return [{"key": f"arm{i}", "label": f"Arm {i}", "role": "experimental"} for i in range(count)]


def _outcomes(count: int) -> list[dict]:
    return [
        {
            "key": f"o{i}",
            "endpoint": "pfs",
            "label": f"Outcome {i}",
            "measure": "median",
            "unit": "months",
        }
        for i in range(count)
    ]


def _set_arm(field: str, value) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["arms"][0][field] = value
        if field == "n":
            document["enrollment"] = None  # an arm larger than any enrollment stated

    return change


def _set_outcome(field: str, value, index: int = 0) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["outcomes"][index][field] = value

    return change


def _set_value(value) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["outcomes"][1]["values"][0]["value"] = value  # a count: any whole number

    return change


def _set(**fields) -> Callable[[dict], None]:
    return lambda document: document.update(copy.deepcopy(fields))


def _rename_key(key: str) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        document["arms"][0]["key"] = key
        for outcome in document["outcomes"]:
            for value in outcome["values"]:
                if value["arm"] == "len":
                    value["arm"] = key

    return change


@dataclass
class Bound:
    name: str
    record_type: str
    at_limit: Callable[[dict], None]
    past_limit: Callable[[dict], None]
    path: str  # of the error one past the limit
    stored: Callable[[], object]  # the column, read back after approval
    expected: object


S, T, K = docs.SHORT_TEXT_MAX_LENGTH, docs.TEXT_MAX_LENGTH, docs.KEY_MAX_LENGTH
BOUNDS = [
    Bound(
        "enrollment",
        "trial",
        _set(enrollment=docs.COUNT_MAX),
        _set(enrollment=docs.COUNT_MAX + 1),
        "document.enrollment",
        lambda: ev.Trial.objects.get().enrollment,
        docs.COUNT_MAX,
    ),
    Bound(
        "arm size",
        "trial",
        _set_arm("n", docs.COUNT_MAX),
        _set_arm("n", docs.COUNT_MAX + 1),
        "document.arms[0].n",
        lambda: ev.Arm.objects.get(key="len").n,
        docs.COUNT_MAX,
    ),
    Bound(
        "trial name",
        "trial",
        _set(name="n" * S),
        _set(name="n" * (S + 1)),
        "document.name",
        lambda: len(ev.Trial.objects.get().name),
        S,
    ),
    Bound(
        "arm label",
        "trial",
        _set_arm("label", "l" * S),
        _set_arm("label", "l" * (S + 1)),
        "document.arms[0].label",
        lambda: len(ev.Arm.objects.get(key="len").label),
        S,
    ),
    Bound(
        "arm key",
        "trial",
        _rename_key("k" * K),
        _rename_key("k" * (K + 1)),
        "document.arms[0].key",
        lambda: len(ev.Arm.objects.get(order=0).key),
        K,
    ),
    Bound(
        "outcome title",
        "trial",
        _set_outcome("title", "l" * S),
        _set_outcome("title", "l" * (S + 1)),
        "document.outcomes[0].title",
        lambda: len(ev.Outcome.objects.get(key="pfs").title),
        S,
    ),
    Bound(
        "subgroup",
        "trial",
        _set_outcome("subgroup", "s" * S),
        _set_outcome("subgroup", "s" * (S + 1)),
        "document.outcomes[0].subgroup",
        lambda: len(ev.Outcome.objects.get(key="pfs").subgroup),
        S,
    ),
    Bound(
        "whole-number result",
        "trial",
        _set_value(docs.EXACT_INTEGER_MAX),
        _set_value(docs.EXACT_INTEGER_MAX + 1),
        "document.outcomes[1].values[0].value",
        lambda: ev.OutcomeValue.objects.get(outcome__key="spm", arm__key="len").value,
        float(docs.EXACT_INTEGER_MAX),
    ),
    Bound(
        "registry ids",
        "trial",
        _set(registry_ids=_registry_ids(docs.MAX_REGISTRY_IDS, docs.REGISTRY_ID_MAX_LENGTH)),
        _set(registry_ids=_registry_ids(docs.MAX_REGISTRY_IDS + 1, 10)),
        "document.registry_ids",
        lambda: len(ev.Trial.objects.get().registry_ids_text),
        docs.MAX_REGISTRY_IDS * (docs.REGISTRY_ID_MAX_LENGTH + 1) - 1,
    ),
    Bound(
        "registry id",
        "trial",
        _set(registry_ids=_registry_ids(1, docs.REGISTRY_ID_MAX_LENGTH)),
        _set(registry_ids=_registry_ids(1, docs.REGISTRY_ID_MAX_LENGTH + 1)),
        "document.registry_ids[0].id",
        lambda: len(ev.Trial.objects.get().registry_ids_text),
        docs.REGISTRY_ID_MAX_LENGTH,
    ),
    Bound(
        "arms",
        "trial",
        _set(arms=_arms(docs.MAX_ARMS), outcomes=[], findings=[]),
        _set(arms=_arms(docs.MAX_ARMS + 1), outcomes=[], findings=[]),
        "document.arms",
        lambda: ev.Arm.objects.count(),
        docs.MAX_ARMS,
    ),
    Bound(
        "outcomes",
        "trial",
        _set(outcomes=_outcomes(docs.MAX_OUTCOMES), findings=[]),
        _set(outcomes=_outcomes(docs.MAX_OUTCOMES + 1), findings=[]),
        "document.outcomes",
        lambda: ev.Outcome.objects.count(),
        docs.MAX_OUTCOMES,
    ),
    Bound(
        "journal",
        "citation",
        _set(journal="j" * S),
        _set(journal="j" * (S + 1)),
        "document.journal",
        lambda: len(ev.Citation.objects.get(slug="limits").journal),
        S,
    ),
    Bound(
        "doi",
        "citation",
        _set(doi=_doi(docs.DOI_MAX_LENGTH)),
        _set(doi=_doi(docs.DOI_MAX_LENGTH + 1)),
        "document.doi",
        lambda: len(ev.Citation.objects.get(slug="limits").doi),
        docs.DOI_MAX_LENGTH,
    ),
    Bound(
        "citation slug",
        "citation",
        _set(slug="c" * docs.SLUG_MAX_LENGTH),
        _set(slug="c" * (docs.SLUG_MAX_LENGTH + 1)),
        "document.slug",
        lambda: len(ev.Citation.objects.exclude(slug="attal-2012").get().slug),
        docs.SLUG_MAX_LENGTH,
    ),
    Bound(
        "year",
        "citation",
        _set(year=2100),
        _set(year=docs.COUNT_MAX + 1),
        "document.year",
        lambda: ev.Citation.objects.get(slug="limits").year,
        2100,
    ),
    Bound(
        "drug class",
        "intervention",
        _set(drug_class="d" * S),
        _set(drug_class="d" * (S + 1)),
        "document.drug_class",
        lambda: len(ev.Intervention.objects.get(slug="limits").drug_class),
        S,
    ),
    Bound(
        "generic name",
        "intervention",
        _set(generic_name="g" * S),
        _set(generic_name="g" * (S + 1)),
        "document.generic_name",
        lambda: len(ev.Intervention.objects.get(slug="limits").generic_name),
        S,
    ),
    Bound(
        "topic title",
        "topic",
        _set(title="t" * S),
        _set(title="t" * (S + 1)),
        "document.title",
        lambda: len(ev.Topic.objects.get().title),
        S,
    ),
    Bound(
        "section key",
        "topic",
        _set(sections=[{"key": "k" * K, "heading": "H", "trials": ["ifm-2005-02"]}]),
        _set(sections=[{"key": "k" * (K + 1), "heading": "H", "trials": ["ifm-2005-02"]}]),
        "document.sections[0].key",
        lambda: len(ev.TopicTrial.objects.get().section_key),
        K,
    ),
    Bound(
        "finding",
        "topic",
        _set(findings=[{"key": "f", "statement": "s" * T, "kind": "conclusion"}]),
        _set(findings=[{"key": "f", "statement": "s" * (T + 1), "kind": "conclusion"}]),
        "document.findings[0].statement",
        lambda: len(ev.Finding.objects.get(key="f").statement),
        T,
    ),
]


def base_document(record_type: str) -> dict:
    return {
        "trial": documents.ifm_trial,
        "citation": lambda: documents.ifm_citation("limits"),
        "intervention": lambda: documents.ifm_intervention("limits"),
        "topic": documents.minimal_topic,
    }[record_type]()


def propose(editor, record_type: str, document: dict) -> ChangeRequest:
    return services.propose(
        user=editor,
        record_type=record_type,
        action="create",
        document=document,
        rationale="Limits of the read model.",
    )


@pytest.fixture
def ready(trial_references, editor, reviewer):
    """Everything a topic may refer to: the factory trial, approved."""

    def make(record_type: str) -> None:
        if record_type == "topic":
            factories.create_approved(editor, reviewer, "trial", documents.ifm_trial())

    return make


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda b: b.name)
def test_a_field_at_its_limit_proposes_approves_and_projects(bound, ready, editor, reviewer):
    ready(bound.record_type)
    document = base_document(bound.record_type)
    bound.at_limit(document)
    event = services.approve(propose(editor, bound.record_type, document), user=reviewer)
    assert event.type == "created"
    assert bound.stored() == bound.expected


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda b: b.name)
def test_a_field_past_its_limit_is_refused_with_its_path(bound, ready, editor):
    ready(bound.record_type)
    document = base_document(bound.record_type)
    bound.past_limit(document)
    requests = ChangeRequest.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        propose(editor, bound.record_type, document)
    assert exc.value.http_status == 400
    assert exc.value.errors[0]["path"] == bound.path
    assert ChangeRequest.objects.count() == requests


def test_every_limit_at_once_approves_and_rebuilds_to_the_same_rows(ready, editor, reviewer):
    """The live projection (ORM) and the rebuild (COPY on PostgreSQL) write the same rows."""
    ready("topic")
    by_type: dict[str, dict] = {}
    for bound in BOUNDS:
        if bound.name in ("arms", "outcomes", "citation slug", "registry id", "section key"):
            continue  # each replaces what another bound fills
        document = by_type.setdefault(bound.record_type, base_document(bound.record_type))
        bound.at_limit(document)
    by_type["trial"]["slug"] = "limits"
    by_type["trial"]["enrollment"] = None  # the arm of 2^31 - 1 patients
    by_type["topic"]["sections"] = [{"key": "k" * K, "heading": "H", "trials": ["limits"]}]
    for record_type in ("citation", "intervention", "trial", "topic"):
        services.approve(propose(editor, record_type, by_type[record_type]), user=reviewer)
    live = read_model_state()
    projection.rebuild()
    assert read_model_state() == live
    limits = ev.Trial.objects.get(slug="limits")
    assert limits.arms.get(key="k" * K).n == docs.COUNT_MAX


# --- Control characters in the services' free text -----------------------------------------


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"rationale": "Checked\x00 against the article"}, "rationale"),
        ({"rationale": "Checked\x0b"}, "rationale"),
        ({"rationale": "Checked\r against the article"}, "rationale"),
        ({"citations": ["attal-2012\x00"]}, "citations[0]"),
        ({"citations": ["attal-2012", "\x85"]}, "citations[1]"),
        ({"document": documents.ifm_trial(summary="Revlimid\x00")}, "document.summary"),
        ({"document": documents.ifm_trial(population="\x1b[31m614")}, "document.population"),
    ],
)
def test_proposals_with_control_characters_are_refused_and_write_nothing(
    trial_references, editor, changes, path
):
    before = written()
    arguments = {
        "user": editor,
        "record_type": "trial",
        "action": "create",
        "document": documents.ifm_trial(),
        "rationale": "Checked against the article",
        **changes,
    }
    with pytest.raises(ValidationFailed) as exc:
        services.propose(**arguments)
    assert exc.value.errors[0]["path"] == path
    assert "control character" in exc.value.errors[0]["message"]
    assert written() == before


def test_a_record_slug_with_nul_is_refused_before_any_lookup(trial_references, editor):
    with pytest.raises(ValidationFailed) as exc:
        services.propose(
            user=editor,
            record_type="citation",
            action="retract",
            record="attal-2012\x00",
            base_version=1,
            rationale="Withdrawn",
        )
    assert exc.value.errors == [
        {
            "path": "record",
            "message": "contains a control character (U+0000 NUL) at offset 10; remove it",
        }
    ]


def test_browser_line_endings_in_a_rationale_become_newlines(trial_references, editor):
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="create",
        document=documents.ifm_trial(),
        rationale="First line\r\nsecond line\tand a tab",
    )
    assert cr.rationale == "First line\nsecond line\tand a tab"


@pytest.fixture
def open_request(trial_references, editor):
    return propose(editor, "trial", documents.ifm_trial())


@pytest.mark.parametrize(
    "call",
    [
        lambda cr, user: services.approve(cr, user=user, comment="Checked\x00"),
        lambda cr, user: services.reject(cr, user=user, comment="Wrong\x07"),
        lambda cr, user: services.request_changes(cr, user=user, comment="\x9bFix"),
        lambda cr, user: services.add_comment(cr, user=user, comment="Note\ud800"),
    ],
    ids=["approve", "reject", "request_changes", "comment"],
)
def test_comments_with_control_characters_are_refused_and_write_nothing(
    open_request, reviewer, call
):
    before = written()
    with pytest.raises(ValidationFailed) as exc:
        call(open_request, reviewer)
    assert exc.value.errors[0]["path"] == "comment"
    assert written() == before
    open_request.refresh_from_db()
    assert open_request.status == "submitted"
    assert not ev.Trial.objects.exists()


def test_withdrawing_with_a_control_character_in_the_comment_is_refused(open_request, editor):
    with pytest.raises(ValidationFailed):
        services.withdraw(open_request, user=editor, comment="\x00")
    open_request.refresh_from_db()
    assert open_request.status == "submitted"
