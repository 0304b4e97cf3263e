"""Schema 2 in the admin (issue 11): every field of the general results model can be entered
and edited, the issue's three shapes go in through the form and come out as valid documents
once approved, and bad input is refused at its field, never with a 500."""

from __future__ import annotations

import pytest

from curation import selectors
from curation.models import ChangeRequest

from .conftest import change_url, proposal_data, review_url
from .html_form import as_post, submitted_data

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/evidence/trial/add/"

# A new trial of any field, with its record fields of schema 2 (two arms: drug, placebo).
NEW_TRIAL = {
    "record-slug": "general-trial",
    "record-name": "A general trial",
    "record-name_editorial": "on",
    "record-registry_ids": "NCT: NCT00000001\r\nEudraCT: 2005-000384-10 (editorial)",
    "record-conditions": "Axial spondyloarthritis | D025242 | MeSH\r\nBack pain",
    "record-phases": ["2", "3"],
    "record-design__allocation": "randomised",
    "record-design__masking": "quadruple",
    "record-design__masked_roles": ["participant", "investigator"],
    "record-design__model": "parallel",
    "record-setting_text": "Outpatients with active disease",
    "record-population": "Adults with the condition.",
    "record-enrollment": "240",
    "record-enrollment_type": "actual",
    "record-dates__start__date": "2019-03",
    "record-dates__start__type": "actual",
    "record-dates__completion__date": "2024",
    "record-dates__completion__type": "anticipated",
    "arms-0-key": "drug",
    "arms-0-label": "Drug",
    "arms-0-role": "experimental",
    "arms-1-key": "pbo",
    "arms-1-label": "Placebo",
    "arms-1-role": "placebo",
}

# (a) A mean with its standard deviation: "12.4 (SD 3.1)".
MEAN_WITH_SD = {
    "outcomes-0-key": "basdai",
    "outcomes-0-title": "Change from baseline in BASDAI score",
    "outcomes-0-endpoint": "other",
    "outcomes-0-endpoint_label": "BASDAI change",
    "outcomes-0-type": "primary",
    "outcomes-0-time_frame": "Baseline and week 16",
    "outcomes-0-timepoint__value": "16",
    "outcomes-0-timepoint__unit": "weeks",
    "outcomes-0-measure": "mean",
    "outcomes-0-unit": "other",
    "outcomes-0-unit_text": "score on a scale",
    "outcomes-0-dispersion__kind": "standard_deviation",
    "cell-0-0-value": "12.4",
    "cell-0-0-raw": "12.4",
    "cell-0-0-spread": "3.1",
    "cell-0-0-participants": "120",
    "cell-0-0-source__registry": "NCT",
    "cell-0-0-source__registry_id": "NCT00000001",
    "cell-0-0-source__pointer": "/resultsSection/outcomeMeasuresModule/outcomeMeasures/0",
    "cell-0-1-value": "8",
    "cell-0-1-spread": "2.9",
    "cell-0-1-participants": "118",
}

# (b) A median with its interquartile range; the placebo arm's is "NA": not reached.
MEDIAN_WITH_IQR_NOT_REACHED = {
    "outcomes-1-key": "resolution",
    "outcomes-1-title": "Days to symptom resolution",
    "outcomes-1-measure": "median",
    "outcomes-1-unit": "days",
    "outcomes-1-dispersion__kind": "interquartile_range",
    "cell-1-0-value": "14",
    "cell-1-0-low": "10",
    "cell-1-0-high": "21",
    "cell-1-1-missing": "not_reached",
    "cell-1-1-missing_text": "Median not reached because fewer than half resolved",
    "cell-1-1-raw": "NA",
}

# (c) A hazard ratio with a one-sided 97.5% interval and a p-value printed "<0.001".
ONE_SIDED_CI_WITH_P = {
    "outcomes-2-key": "pfs",
    "outcomes-2-title": "Progression-free survival",
    "outcomes-2-endpoint": "pfs",
    "outcomes-2-measure": "median",
    "outcomes-2-unit": "months",
    "outcomes-2-citations": ["mccarthy-2012-nejm"],
    "cell-2-0-value": "27",
    "cell-2-1-value": "19",
    "cmp-2-0-kind": "hazard_ratio",
    "cmp-2-0-arm": "0",
    "cmp-2-0-reference_arm": "1",
    "cmp-2-0-estimate": "0.62",
    "cmp-2-0-unit": "ratio",
    "cmp-2-0-ci_high": "0.8",
    "cmp-2-0-ci_level": "97.5",
    "cmp-2-0-ci_sides": "1",
    "cmp-2-0-ci_bound_missing": "not_reported",
    "cmp-2-0-p_value": "0.001",
    "cmp-2-0-p_value_comparator": "<",
    "cmp-2-0-p_value_text": "<0.001",
    "cmp-2-0-method": "Cox proportional hazards",
    "cmp-2-0-significant": "true",
    "cmp-2-0-source__citation": "mccarthy-2012-nejm",
    "cmp-2-0-source__quote": "HR 0.62 (97.5% CI upper bound 0.80), p<0.001",
    "cmp-2-0-source__page": "1775",
}


def propose_and_approve(client, editor, reviewer, url: str, data: dict) -> dict:
    """Post the form as the editor, approve the request as the reviewer; the stored document."""
    client.force_login(editor)
    response = client.post(url, data)
    forms = response.context["forms"] if response.context else None
    errors = [(f.prefix, f.errors) for f in forms.all_forms() if f.errors] if forms else []
    assert response.status_code == 302, (errors, forms and forms.non_field_errors())
    cr = ChangeRequest.objects.filter(author=editor).latest("pk")
    client.force_login(reviewer)
    assert client.post(review_url(cr), {"action": "approve"}).status_code == 302
    cr.refresh_from_db()
    assert cr.status == "approved"
    return selectors.live_record("trial", cr.record_slug).document


@pytest.fixture
def general_trial(client, editor, reviewer, admin_trials):
    """The three shapes of the issue, entered as one new trial in the admin and approved."""
    data = proposal_data("trial", None, **NEW_TRIAL, **MEAN_WITH_SD, **MEDIAN_WITH_IQR_NOT_REACHED)
    data.update(ONE_SIDED_CI_WITH_P)
    return propose_and_approve(client, editor, reviewer, ADD_URL, data)


def test_the_record_fields_of_schema_2_are_entered_in_the_form(general_trial):
    document = general_trial
    assert document["schema_version"] == 2
    assert document["name_editorial"] is True
    assert document["registry_ids"] == [
        {"registry": "NCT", "id": "NCT00000001", "editorial": False},
        {"registry": "EudraCT", "id": "2005-000384-10", "editorial": True},
    ]
    assert document["conditions"] == [
        {"text": "Axial spondyloarthritis", "code": "D025242", "system": "MeSH"},
        {"text": "Back pain", "code": None, "system": None},
    ]
    assert document["phases"] == ["2", "3"]
    assert document["design"] == {
        "allocation": "randomised",
        "masking": "quadruple",
        "masked_roles": ["participant", "investigator"],
        "model": "parallel",
        "placebo_controlled": None,
        "multicentre": None,
        "international": None,
    }
    assert (document["setting"], document["setting_text"]) == (
        None,
        "Outpatients with active disease",
    )
    assert (document["enrollment"], document["enrollment_type"]) == (240, "actual")
    assert document["dates"] == {
        "start": {"date": "2019-03", "type": "actual"},
        "primary_completion": None,
        "completion": {"date": "2024", "type": "anticipated"},
    }


def test_a_mean_with_its_standard_deviation(general_trial):
    mean = general_trial["outcomes"][0]
    assert mean["title"] == "Change from baseline in BASDAI score"
    assert (mean["endpoint"], mean["endpoint_label"], mean["type"]) == (
        "other",
        "BASDAI change",
        "primary",
    )
    assert mean["time_frame"] == "Baseline and week 16"
    assert mean["timepoint"] == {"value": 16, "unit": "weeks"}
    assert (mean["measure"], mean["unit"], mean["unit_text"]) == (
        "mean",
        "other",
        "score on a scale",
    )
    assert mean["dispersion"] == {"kind": "standard_deviation", "level": None, "sides": None}
    drug, placebo = mean["values"]
    assert (drug["value"], drug["spread"], drug["raw"], drug["participants"]) == (
        12.4,
        3.1,
        "12.4",
        120,
    )
    assert drug["source"] == {
        "citation": None,
        "registry": "NCT",
        "registry_id": "NCT00000001",
        "quote": None,
        "page": None,
        "pointer": "/resultsSection/outcomeMeasuresModule/outcomeMeasures/0",
    }
    assert (placebo["value"], placebo["spread"], placebo["source"]) == (8, 2.9, None)


def test_a_median_with_its_iqr_and_an_arm_not_reached(general_trial):
    median = general_trial["outcomes"][1]
    assert median["dispersion"]["kind"] == "interquartile_range"
    drug, placebo = median["values"]
    assert (drug["value"], drug["low"], drug["high"], drug["missing"]) == (14, 10, 21, None)
    assert (placebo["value"], placebo["missing"], placebo["raw"]) == (None, "not_reached", "NA")
    assert placebo["missing_text"] == "Median not reached because fewer than half resolved"


def test_a_one_sided_interval_and_a_p_value_printed_less_than(general_trial):
    assert general_trial["outcomes"][2]["citations"] == ["mccarthy-2012-nejm"]
    (comparison,) = general_trial["outcomes"][2]["comparisons"]
    assert comparison["key"] == "drug_vs_pbo"
    assert (comparison["kind"], comparison["estimate"], comparison["unit"]) == (
        "hazard_ratio",
        0.62,
        "ratio",
    )
    assert (comparison["ci_low"], comparison["ci_high"]) == (None, 0.8)
    assert (comparison["ci_level"], comparison["ci_sides"]) == (97.5, 1)
    assert comparison["ci_bound_missing"] == "not_reported"
    assert (comparison["p_value"], comparison["p_value_comparator"]) == (0.001, "<")
    assert comparison["p_value_text"] == "<0.001"
    assert comparison["method"] == "Cox proportional hazards"
    assert comparison["significant"] is True
    assert comparison["source"]["citation"] == "mccarthy-2012-nejm"
    assert comparison["source"]["quote"] == "HR 0.62 (97.5% CI upper bound 0.80), p<0.001"
    assert comparison["source"]["page"] == "1775"


def test_the_new_fields_round_trip_through_the_page(client, editor, general_trial):
    """The page shows every field it was given: posting it unchanged changes nothing."""
    record = selectors.live_record("trial", general_trial["slug"])
    client.force_login(editor)
    page = client.get(change_url("trial", record))
    assert page.status_code == 200
    data = submitted_data(page.content)
    data["proposal-rationale"] = "Checked against the source."
    response = client.post(change_url("trial", record), as_post(data))
    assert response.status_code == 400
    assert response.context["forms"].non_field_errors() == [
        "document: the proposal changes nothing"
    ]


def test_editing_a_value_keeps_its_source_and_raw_text(client, editor, reviewer, general_trial):
    record = selectors.live_record("trial", general_trial["slug"])
    client.force_login(editor)
    data = submitted_data(client.get(change_url("trial", record)).content)
    data["proposal-rationale"] = "The table gives 12.5."
    data["cell-0-0-value"] = "12.5"
    data["cell-0-0-raw"] = "12.5"
    data["cell-0-1-source__citation"] = "mccarthy-2012-nejm"
    data["cell-0-1-source__page"] = "1773"
    document = propose_and_approve(
        client, editor, reviewer, change_url("trial", record), as_post(data)
    )
    expected = general_trial["outcomes"][0]["values"]
    drug, placebo = document["outcomes"][0]["values"]
    assert {**drug, "value": 12.4, "raw": "12.4"} == expected[0]
    assert placebo["source"] == {
        "citation": "mccarthy-2012-nejm",
        "registry": None,
        "registry_id": None,
        "quote": None,
        "page": "1773",
        "pointer": None,
    }
    assert {**placebo, "source": None} == expected[1]
    assert document["outcomes"][1:] == general_trial["outcomes"][1:]


def test_every_control_of_the_trial_page_has_an_accessible_name(client, editor, general_trial):
    from html.parser import HTMLParser

    class Controls(HTMLParser):
        def __init__(self):
            super().__init__()
            self.labelled: set[str] = set()
            self.controls: list[dict] = []
            self.open_labels = 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "label":
                self.open_labels += 1
                if a.get("for"):
                    self.labelled.add(a["for"])
            elif tag in ("input", "select", "textarea"):
                if (a.get("type") or "").lower() in ("hidden", "submit", "button"):
                    return
                self.controls.append({**a, "in_label": self.open_labels > 0})

        def handle_endtag(self, tag):
            if tag == "label":
                self.open_labels -= 1

    record = selectors.live_record("trial", general_trial["slug"])
    client.force_login(editor)
    parser = Controls()
    parser.feed(client.get(change_url("trial", record)).content.decode())
    nameless = [
        control.get("name")
        for control in parser.controls
        if not control.get("aria-label")
        and not control["in_label"]
        and control.get("id") not in parser.labelled
        and control.get("name") not in (None, "csrfmiddlewaretoken")
    ]
    assert len(parser.controls) > 100
    assert nameless == []


# --- Bad input: refused at its field, with a reason, and nothing proposed ---------------------


def refused(client, editor, trial, **changes):
    """Post the trial's form with ``changes``: a 400, nothing proposed; the forms shown."""
    client.force_login(editor)
    response = client.post(change_url("trial", trial), proposal_data("trial", trial, **changes))
    assert response.status_code == 400
    assert not ChangeRequest.objects.filter(author=editor).exists()
    return response.context["forms"]


@pytest.mark.parametrize(
    ("changes", "form", "field", "message"),
    [
        pytest.param(
            {"cell-1-1-missing": "not_reached"},
            ("cells", (1, 1)),
            "missing",
            "give a value or a missing reason, not both",
            id="value and missing reason together",
        ),
        pytest.param(
            {"cell-1-1-value": "", "cell-1-1-missing": "other"},
            ("cells", (1, 1)),
            "missing_text",
            "say in the source's words why it is missing",
            id="an 'other' missing reason without the source's words",
        ),
        pytest.param(
            {
                "outcomes-1-dispersion__kind": "confidence_interval",
                "cell-1-1-low": "80",
                "cell-1-1-high": "90",
            },
            ("cells", (1, 1)),
            "low",
            "does not contain the estimate 76",
            id="interval excluding its estimate",
        ),
        pytest.param(
            {
                "outcomes-1-dispersion__kind": "confidence_interval",
                "cell-1-1-low": "80",
                "cell-1-1-high": "90",
                "cell-1-1-estimate_outside_interval": "on",
            },
            ("cells", (1, 1)),
            "note",
            "say in the note where the source gives an interval that excludes the estimate",
            id="override without its note",
        ),
        pytest.param(
            {"cell-0-0-spread": "3.1"},
            ("cells", (0, 0)),
            "spread",
            "a spread needs the outcome's dispersion kind",
            id="spread without a dispersion kind",
        ),
        pytest.param(
            {"outcomes-0-dispersion__level": "95"},
            ("outcomes", 0),
            "dispersion__kind",
            "Input should be",
            id="dispersion without its kind",
        ),
        pytest.param(
            {
                "outcomes-0-dispersion__kind": "confidence_interval",
                "outcomes-0-dispersion__sides": "3",
            },
            ("outcomes", 0),
            "dispersion__sides",
            "Select a valid choice",
            id="dispersion sides not 1 or 2",
        ),
        pytest.param(
            {"outcomes-0-timepoint__value": "12", "outcomes-0-timepoint__unit": "percent"},
            ("outcomes", 0),
            "timepoint__unit",
            "Select a valid choice",
            id="a time unit that is not a time",
        ),
        pytest.param(
            {"outcomes-0-source__pointer": "/results/0"},
            ("outcomes", 0),
            "source__citation",
            "name the citation or the registry record",
            id="a source naming nothing",
        ),
        pytest.param(
            {"cmp-0-0-ci_sides": "0"},
            ("comparisons", (0, 0)),
            "ci_sides",
            "Select a valid choice",
            id="comparison sides not 1 or 2",
        ),
        pytest.param(
            {"cmp-0-0-kind": "not_stated", "cmp-0-0-unit": "ratio"},
            ("comparisons", (0, 0)),
            "unit",
            "a comparison whose measure is not stated has no unit",
            id="a unit left on a comparison whose measure is not stated",
        ),
        pytest.param(
            {"cmp-0-0-p_value": "1.5"},
            ("comparisons", (0, 0)),
            "p_value",
            "a p-value must be greater than 0 and at most 1",
            id="p-value above 1",
        ),
        pytest.param(
            {"cmp-0-0-p_value": "0.04", "cmp-0-0-p_value_comparator": "=="},
            ("comparisons", (0, 0)),
            "p_value_comparator",
            "Select a valid choice",
            id="a comparator that is not one of < <= = > >=",
        ),
        pytest.param(
            {"cmp-0-0-kind": "other"},
            ("comparisons", (0, 0)),
            "kind_label",
            "an 'other' measure needs its name",
            id="an 'other' comparison without its name",
        ),
        pytest.param(
            {"record-design__masking": "none", "record-design__masked_roles": ["participant"]},
            ("record", None),
            "design__masked_roles",
            "an open-label trial masks no one",
            id="open label masking someone",
        ),
        pytest.param(
            {"record-dates__start__date": "2019-13"},
            ("record", None),
            "dates__start__date",
            "is not a date in the calendar",
            id="a date not in the calendar",
        ),
        pytest.param(
            {"record-dates__start__type": "actual"},
            ("record", None),
            "dates__start__date",
            "Input should be a valid string",
            id="a date's type without the date",
        ),
        pytest.param(
            {"record-conditions": "Myeloma | C90.0 | ICD-9"},
            ("record", None),
            "conditions",
            "Line 1: the coding system is one of",
            id="a coding system that is not known",
        ),
        pytest.param(
            {"record-conditions": "Myeloma | C90.0"},
            ("record", None),
            "conditions",
            "item 1: a code needs its coding system",
            id="a code without its system",
        ),
        pytest.param(
            {"record-setting": ""},
            ("record", None),
            "setting",
            "give the setting as a controlled value, in words, or both",
            id="no setting at all",
        ),
    ],
)
def test_bad_input_is_refused_at_its_field(
    client, editor, admin_trials, changes, form, field, message
):
    forms = refused(client, editor, admin_trials["calgb"], **changes)
    group, position = form
    if group == "record":
        shown = forms.record
    elif group == "outcomes":
        shown = forms.outcomes.forms[position]
    else:
        shown = getattr(forms, group)[position]
    errors = shown.errors.get(field, [])
    assert any(message in error for error in errors), (field, shown.errors)


def test_a_refused_source_shows_its_error_in_the_source_part(client, editor, admin_trials):
    client.force_login(editor)
    trial = admin_trials["calgb"]
    data = proposal_data("trial", trial, **{"cell-0-0-source__pointer": "/results/0"})
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 400
    html = response.content.decode()
    # The source part of that cell is open and says what is wrong.
    assert "Source citation: name the citation or the registry record" in html
    assert response.context["forms"].cells[(0, 0)].has_source()


def test_the_override_with_its_note_is_accepted(client, editor, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(editor)
    note = "The source prints 80 to 90 beside 76; kept as printed."
    data = proposal_data(
        "trial",
        trial,
        **{
            "outcomes-1-dispersion__kind": "confidence_interval",
            "outcomes-1-dispersion__level": "95",
            "cell-1-1-low": "80",
            "cell-1-1-high": "90",
            "cell-1-1-estimate_outside_interval": "on",
            "cell-1-1-note": note,
        },
    )
    assert client.post(change_url("trial", trial), data).status_code == 302
    value = ChangeRequest.objects.get(author=editor).document["outcomes"][1]["values"][1]
    assert (value["low"], value["high"], value["estimate_outside_interval"]) == (80, 90, True)
    assert value["note"] == note


def test_a_reviewer_cannot_propose_schema_2_fields(client, reviewer, admin_trials):
    trial = admin_trials["calgb"]
    client.force_login(reviewer)
    data = proposal_data("trial", trial, **{"cell-0-0-raw": "53", "record-phases": ["3"]})
    response = client.post(change_url("trial", trial), data)
    assert response.status_code == 403
    assert not ChangeRequest.objects.filter(author=reviewer).exists()


def test_the_read_only_results_say_what_the_source_says(client, reviewer, general_trial):
    """A reviewer sees the trial read-only: values with their spread or interval, a missing
    value in words, the setting in words when there is no controlled one."""
    record = selectors.live_record("trial", general_trial["slug"])
    client.force_login(reviewer)
    html = client.get(change_url("trial", record)).content.decode()
    assert "Change from baseline in BASDAI score" in html
    assert "12.4 (SD 3.1)" in html
    assert "14 (IQR 10 to 21)" in html
    assert "not reached (NA)" in html
    assert "score on a scale" in html
    listing = client.get("/admin/evidence/trial/").content.decode()
    assert "Outpatients with active disease" in listing
