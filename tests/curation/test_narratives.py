"""Narrative warnings on a change request (curation.narratives) through the API, the review
page and the approval's review record, and ``manage.py check_narratives``."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from curation import services
from curation.models import Review
from curation.narratives import known_changed_numbers
from evidence.diff import diff_documents
from evidence.narratives import changed_numbers
from tests import documents, factories
from tests.api.conftest import revise_payload, token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-requests/"
SUMMARY = "Median progression-free survival was 27 months with testamide. It was tolerated."
FINDING = "Testamide delayed progression to 27 months."


def trial_at(pfs):
    document = documents.synthetic_trial(
        summary=SUMMARY,
        findings=[{"key": "longer", "statement": FINDING, "kind": "efficacy"}],
    )
    document["outcomes"][0]["values"][0]["value"] = pfs
    return document


@pytest.fixture
def editor_client(editor):
    return token_client(editor)


@pytest.fixture
def reviewer_client(reviewer):
    return token_client(reviewer)


@pytest.fixture
def quoted_27(editor, reviewer):
    """The synthetic records, with the trial's PFS at 27 months, quoted in its summary, its
    finding and the topic that shows it."""
    factories.create_approved(editor, reviewer, "intervention", documents.synthetic_intervention())
    factories.create_approved(editor, reviewer, "citation", documents.synthetic_citation())
    factories.create_approved(editor, reviewer, "trial", trial_at(27))
    topic = documents.synthetic_topic()
    topic["sections"][0]["body"] = ["In the synthetic trial, PFS reached 27 months."]
    factories.create_approved(editor, reviewer, "topic", topic)


def test_27_changed_to_28_warns_naming_the_summary_finding_and_topic(
    quoted_27, editor_client, reviewer, reviewer_client
):
    made = editor_client.post(URL, revise_payload(trial_at(28), 1), format="json")
    assert made.status_code == 201, made.content
    warnings = reviewer_client.get(f"{URL}{made.json()['id']}/").json()["narrative_warnings"]
    # In the order the trial's schema lists its fields (findings, then summary) on every
    # database, not in the order the database keeps the document's keys in.
    assert [(w["record"], w["path"], w["sentence"], w["old"], w["new"]) for w in warnings] == [
        ("trial:synthetic-trial", "findings[key=longer].statement", FINDING, 27, 28),
        (
            "trial:synthetic-trial",
            "summary",
            "Median progression-free survival was 27 months with testamide.",
            27,
            28,
        ),
        (
            "topic:synthetic-topic",
            "sections[key=main].body[0]",
            "In the synthetic trial, PFS reached 27 months.",
            27,
            28,
        ),
    ]
    # The reviewer may approve anyway; the review keeps what they were warned of.
    approved = reviewer_client.post(f"{URL}{made.json()['id']}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    review = Review.objects.get(change_request_id=made.json()["id"], kind="approve")
    assert review.narrative_warnings == warnings
    body = approved.json()
    assert body["narrative_warnings"] == warnings
    assert body["reviews"][-1]["narrative_warnings"] == warnings


def test_the_review_page_lists_the_warnings(quoted_27, editor, client, reviewer):
    cr = services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record="synthetic-trial",
        document=trial_at(28),
        base_version=1,
        rationale="Corrected from the source.",
    )
    client.force_login(reviewer)
    html = client.get(f"/admin/curation/changerequest/{cr.pk}/change/").content.decode()
    assert "The prose still quotes 3 old numbers." in html
    assert "<code>summary</code> says 27 (now 28)" in html


def test_a_change_the_prose_follows_warns_of_nothing(quoted_27, editor_client, reviewer_client):
    document = trial_at(28)
    document["summary"] = SUMMARY.replace("27", "28")
    document["findings"][0]["statement"] = FINDING.replace("27", "28")
    made = editor_client.post(URL, revise_payload(document, 1), format="json")
    warnings = reviewer_client.get(f"{URL}{made.json()['id']}/").json()["narrative_warnings"]
    assert [w["record"] for w in warnings] == ["topic:synthetic-topic"]


def test_check_narratives_reports_prose_numbers_without_a_value(quoted_27, editor, reviewer):
    out = io.StringIO()
    call_command("check_narratives", stdout=out)
    assert out.getvalue().strip() == "0 numbers in prose match no structured value (0 records)"
    factories.revise_approved(
        editor,
        reviewer,
        "trial",
        "synthetic-trial",
        lambda d: d["outcomes"][0]["values"][0].update(value=28),
    )
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_narratives", "--fail", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[-1] == "3 numbers in prose match no structured value (2 records)"
    assert f"trial:synthetic-trial summary: 27 — {SUMMARY.split(' It')[0]}" in lines


def test_consumers_see_no_change_requests_nor_their_warnings(quoted_27, editor_client):
    from tests.conftest import make_user

    made = editor_client.post(URL, revise_payload(trial_at(28), 1), format="json")
    response = token_client(make_user("consumer")).get(f"{URL}{made.json()['id']}/")
    assert response.status_code == 403


def test_a_batch_approval_keeps_the_warnings_as_one_approval_does(
    quoted_27, editor, editor_client, reviewer, reviewer_client
):
    made = editor_client.post(URL, revise_payload(trial_at(28), 1), format="json").json()
    shown = reviewer_client.get(f"{URL}{made['id']}/").json()["narrative_warnings"]
    assert len(shown) == 3
    services.approve_change_requests(reviewer, [made["id"]])
    review = Review.objects.get(change_request_id=made["id"], kind="approve")
    assert review.narrative_warnings == shown


# --- The approval's diff reused for the narrative check -----------------------------------

LEAVES = st.one_of(
    st.sampled_from([0, 1, 1.0, 27, 27.0, 27.4, True, False, None, "27", "n", -0.0]),
)
DOCUMENTS = st.dictionaries(
    st.sampled_from(["a", "b", "c", "schema_version"]),
    st.one_of(
        LEAVES,
        st.dictionaries(st.sampled_from(["x", "y"]), LEAVES, max_size=2),
        st.lists(
            st.fixed_dictionaries({"key": st.sampled_from(["k1", "k2", "k3"]), "v": LEAVES}),
            max_size=3,
        ),
    ),
    max_size=4,
)


def reordered(value, rng):
    """``value`` with every object's keys in another order (lists keep theirs)."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: reordered(v, rng) for k, v in items}
    if isinstance(value, list):
        return [reordered(v, rng) for v in value]
    return value


@settings(max_examples=150, deadline=None)
@given(DOCUMENTS, DOCUMENTS, DOCUMENTS, DOCUMENTS, st.integers(0, 3), st.randoms())
def test_the_approvals_diff_gives_the_narrative_checks_numbers_or_nothing(
    base, doc, other_before, other_after, case, rng
):
    """``known_changed_numbers`` is ``changed_numbers(base, proposed)`` or None: never another
    answer, whatever the key order and the types of the documents the approval diffed."""
    before, after = {
        0: (base, doc),  # the same objects
        1: (reordered(base, rng), reordered(doc, rng)),  # the same but for key order
        2: (other_before, doc),  # another current document
        3: (base, other_after),
    }[case]
    cr = SimpleNamespace(base_document=base, document=doc)
    known = known_changed_numbers(cr, before, after, diff_documents(before, after))
    if case == 0:
        assert known == changed_numbers(base, doc)
    if known is not None:
        assert known == changed_numbers(base, doc)
    if case == 1 and not changed_numbers(base, doc):
        assert known == []


def test_types_that_compare_equal_are_not_taken_for_the_same():
    base, doc = {"a": 1}, {"a": 2}
    cr = SimpleNamespace(base_document=base, document=doc)
    before = {"a": True}  # == 1 in Python, not the same JSON
    assert known_changed_numbers(cr, before, doc, diff_documents(before, doc)) is None
    rng = random.Random(1)
    assert known_changed_numbers(cr, reordered(base, rng), doc, diff_documents(base, doc)) == [
        (1, 2)
    ]
