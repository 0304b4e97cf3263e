"""The proposal form's lists are bounded, and control characters are refused on its fields.

One request used to make the server build its grid of outcomes x arms forms for whatever
counts the management form claimed: 100,000 x 100,000 grew it past 23 GB.
"""

from __future__ import annotations

import time
import tracemalloc
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from curation import selectors, services
from curation.admin.forms import ProposalForms
from curation.models import ChangeRequest
from evidence import documents as docs
from evidence.documents import validate_document
from tests import documents
from tests.read_models import written

from .conftest import change_url, proposal_data, review_url
from .post_data import form_post_data
from .test_admin_edit_proposal import edit_url, sent_back  # noqa: F401 (fixture)
from .test_admin_review import request_  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

HUGE = "100000"
OVERSIZED = {
    "arms-TOTAL_FORMS": HUGE,
    "arms-INITIAL_FORM_COUNT": "0",
    "outcomes-TOTAL_FORMS": HUGE,
    "outcomes-INITIAL_FORM_COUNT": "0",
}
REFUSALS = [
    f"arms: at most {docs.MAX_ARMS} rows; the form sent {HUGE}",
    f"outcomes: at most {docs.MAX_OUTCOMES} rows; the form sent {HUGE}",
]


def query(data: dict) -> QueryDict:
    result = QueryDict(mutable=True)
    for name, value in data.items():
        result.setlist(name, value if isinstance(value, list) else [value])
    return result


def test_refusing_100000_by_100000_builds_no_grid_and_stays_small(admin_trials):
    data = query({**OVERSIZED, "proposal-base_version": "0", "proposal-rationale": "x"})
    ProposalForms("trial", base_document=None, base_version=0)  # imports and caches warm
    tracemalloc.start()
    try:
        forms = ProposalForms("trial", base_document=None, base_version=0, data=data)
        valid = forms.is_valid()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not valid
    assert forms.non_field_errors() == REFUSALS
    assert peak < 3 * 1024 * 1024, f"{peak / 1e6:.1f} MB"
    # The page shows the blank new-trial form, not the claimed rows.
    assert len(forms.arms.forms) <= docs.MAX_ARMS and len(forms.cells) <= 3 * 3


def test_the_admin_answers_400_naming_the_lists_and_writes_nothing(client, editor, admin_trials):
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    before = written()
    started = time.monotonic()
    response = client.post(change_url("trial", trial), proposal_data("trial", trial, **OVERSIZED))
    assert time.monotonic() - started < 30  # a sanity bound only; it took 83 s at 300 x 300
    assert response.status_code == 400
    html = response.content.decode()
    assert all(refusal in html for refusal in REFUSALS)
    assert written() == before


def test_the_edit_view_refuses_oversized_lists_too(client, editor, sent_back):  # noqa: F811
    client.force_login(editor)
    before = written()
    data = proposal_data("trial", None, **OVERSIZED)
    data["proposal-base_version"] = str(sent_back.base_version)
    response = client.post(edit_url(sent_back), data)
    assert response.status_code == 400
    assert all(refusal in response.content.decode() for refusal in REFUSALS)
    assert written() == before
    sent_back.refresh_from_db()
    assert sent_back.status == "changes_requested"


@pytest.mark.parametrize(
    ("prefix", "limit"),
    [
        ("regimen-0", docs.MAX_REGIMEN_PARTS),
        ("conduct_notes", docs.MAX_CONDUCT_NOTES),
        ("findings", docs.MAX_FINDINGS),
    ],
)
def test_every_trial_list_is_bounded(admin_trials, prefix, limit):
    trial = admin_trials["myeloma_xi"]
    data = proposal_data("trial", trial, **{f"{prefix}-TOTAL_FORMS": str(limit + 1)})
    forms = ProposalForms(
        "trial", base_document=trial.document, base_version=trial.version, data=query(data)
    )
    assert not forms.is_valid()
    assert forms.non_field_errors() == [
        f"{prefix}: at most {limit} rows; the form sent {limit + 1}"
    ]


def test_topic_sections_are_bounded(admin_trials):
    data = {"sections-TOTAL_FORMS": str(docs.MAX_SECTIONS + 1), "sections-INITIAL_FORM_COUNT": "0"}
    forms = ProposalForms("topic", base_document=None, base_version=0, data=query(data))
    assert forms.non_field_errors() == [
        f"sections: at most {docs.MAX_SECTIONS} rows; the form sent {docs.MAX_SECTIONS + 1}"
    ]


def _trial_with_arms(count: int) -> dict:
    arms = [{"key": f"arm{i}", "label": f"Arm {i}", "role": "experimental"} for i in range(count)]
    document = documents.ifm_trial(arms=arms, outcomes=[], findings=[], enrollment=None)
    return validate_document("trial", document)


def test_a_list_at_its_limit_is_accepted_and_shows_no_blank_row(admin_trials):
    document = _trial_with_arms(docs.MAX_ARMS)
    shown = ProposalForms("trial", base_document=document, base_version=1)
    assert len(shown.arms.forms) == docs.MAX_ARMS  # no blank row past the limit
    data = form_post_data(shown)
    data["proposal-rationale"] = "Checked against the source."
    bound = ProposalForms("trial", base_document=document, base_version=1, data=query(data))
    assert bound.is_valid(), bound.non_field_errors()
    assert bound.to_document()["arms"] == document["arms"]


def test_adding_a_row_past_the_limit_adds_none_and_says_why(client, editor, admin_trials):
    document = _trial_with_arms(docs.MAX_ARMS)
    data = form_post_data(ProposalForms("trial", base_document=document, base_version=1))
    forms = ProposalForms(
        "trial", base_document=document, base_version=1, data=query(data), add_row_to="arms"
    )
    assert len(forms.arms.forms) == docs.MAX_ARMS
    assert forms.row_limit_reached == f"arms: at most {docs.MAX_ARMS} rows"


def test_the_form_states_the_limits(client, editor, admin_trials):
    client.force_login(editor)
    html = client.get(change_url("trial", admin_trials["myeloma_xi"])).content.decode()
    for text in (
        f"At most {docs.MAX_ARMS} arms, each with at most {docs.MAX_REGIMEN_PARTS} regimen parts",
        f"At most {docs.MAX_OUTCOMES} outcomes.",
        f"at most {docs.MAX_COMPARISONS} per outcome",
        f"At most {docs.MAX_CONDUCT_NOTES} conduct notes.",
        f"At most {docs.MAX_FINDINGS} findings.",
    ):
        assert text in html, text
    html = client.get("/admin/evidence/topic/add/").content.decode()
    assert f"At most {docs.MAX_SECTIONS} sections." in html


# --- Control characters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "form"),
    [
        ("record-summary", "Revlimid\x00 maintenance", "record"),
        ("record-summary", "Revlimid\x07 maintenance", "record"),
        ("record-notes", "\x1b[1mbold", "record"),
        ("proposal-rationale", "From the article\x00", "meta"),
        ("proposal-rationale", "From\x0bthe article", "meta"),
    ],
)
def test_control_characters_in_the_form_are_400_on_their_field(
    client, editor, admin_trials, field, value, form
):
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    before = written()
    response = client.post(
        change_url("trial", trial), proposal_data("trial", trial, **{field: value})
    )
    assert response.status_code == 400
    forms = response.context["forms"]
    name = field.split("-", 1)[1]
    assert getattr(forms, form).errors[name], getattr(forms, form).errors
    assert written() == before


def test_a_control_character_in_an_arm_label_lands_on_the_arm_row(client, editor, admin_trials):
    trial = admin_trials["myeloma_xi"]
    client.force_login(editor)
    response = client.post(
        change_url("trial", trial), proposal_data("trial", trial, **{"arms-0-label": "Len\x01"})
    )
    assert response.status_code == 400
    errors = response.context["forms"].arms.forms[0].errors["label"]
    assert "control character (U+0001) at offset 3" in errors[0]


@pytest.mark.parametrize("action", ["approve", "reject", "request_changes"])
def test_a_review_comment_with_a_control_character_is_refused(
    client,
    reviewer,
    request_,  # noqa: F811
    action,
):
    client.force_login(reviewer)
    before = written()
    response = client.post(review_url(request_), {"action": action, "comment": "Checked\x08"})
    assert response.status_code == 400
    assert "control character (U+0008) at offset 7" in response.content.decode()
    assert written() == before
    request_.refresh_from_db()
    assert request_.status == "submitted"
    assert services.allowed_actions(request_, reviewer)  # still open for a decision


@pytest.mark.parametrize(
    "arm_count,outcome_count",
    [(8, 40), (docs.MAX_ARMS, docs.MAX_OUTCOMES)],
    ids=["a large real trial", "a trial at the document limits"],
)
def test_a_large_trial_is_proposed_through_its_form(
    client, editor, reviewer, admin_trials, arm_count, outcome_count
):
    """A trial of 8 arms and 40 outcomes, every cell filled, posts some 8,600 fields (schema 2:
    every field of each value, with its source), past Django's default of 1,000; one at the
    document's limits (20 arms, 200 outcomes) about 79,000 fields and 1.8 MB: both within the
    default request limits (DATA_UPLOAD_MAX_NUMBER_FIELDS, DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    from django.conf import settings

    from tests import factories

    arms = [
        {"key": f"arm{i}", "label": f"Arm {i}", "role": "experimental"} for i in range(arm_count)
    ]
    outcomes = [
        {
            "key": f"o{j}",
            "endpoint": "pfs",
            "label": f"Outcome {j}",
            "measure": "median",
            "unit": "months",
            "values": [{"arm": f"arm{i}", "value": 10 + i + j} for i in range(arm_count)],
        }
        for j in range(outcome_count)
    ]
    document = documents.ifm_trial(
        slug="large-trial",
        arms=arms,
        outcomes=outcomes,
        findings=[],
        enrollment=None,
        citations=[],
        interventions=[],
    )
    factories.create_approved(editor, reviewer, "trial", document)
    live = selectors.live_record("trial", "large-trial")
    data = proposal_data("trial", live)
    data["record-summary"] = "Checked against the source, value by value."
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS > len(data) > 1000
    body = urlencode(data, doseq=True)
    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(editor)
    response = client.post(
        change_url("trial", live), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    cr = ChangeRequest.objects.get(record_slug="large-trial", status="submitted")
    assert cr.document["summary"] == "Checked against the source, value by value."
    assert cr.document["outcomes"] == live.document["outcomes"]
