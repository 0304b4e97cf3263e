"""Schema 2 results on published pages, as a journal prints them (issue 11): a mean with its
SD, a median with its IQR and an arm whose median was not reached, a one-sided interval with
p < 0.001, a comparison without a number; and the trial's v2 facts (conditions, phases,
masking, the setting in words, editorial identifications). Also what ``evidence.json`` and
``schema.json`` publish: schema 2 documents and their JSON Schema.
"""

import jsonschema
import orjson
import pytest

from publishing import services
from tests import documents
from tests.factories import create_approved
from tests.publishing.published import published_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def results_published(editor, reviewer, snapshot_mode):
    create_approved(editor, reviewer, "citation", documents.drugex_citation())
    create_approved(editor, reviewer, "trial", documents.results_trial())
    return services.publish_latest()


def trial_page(snapshot) -> str:
    return published_bytes(snapshot.seq, "trials/results-shapes.html").decode("utf-8")


def result_row(html: str, arm: str, after: str) -> str:
    """The cell of ``arm``'s row in the first results table after the text ``after``."""
    table = html[html.index(after) :]
    row = table[table.index(f'<th scope="row">{arm}</th>') :]
    return row[: row.index("</tr>")]


def test_a_mean_with_its_sd(results_published):
    html = trial_page(results_published)
    caption = "BASDAI change at 16 weeks: Change from baseline in BASDAI score"
    assert caption in html
    # A unit the source gives in words heads the column; the source's digits are kept (8.0).
    assert '<th scope="col">Result (score on a scale)</th>' in html
    drug = result_row(html, "Drugex", caption)
    assert "mean 12.4 (SD 3.1)" in drug and "120 participants analysed" in drug
    assert '<a class="ref" href="#ref-1" aria-label="reference 1">[1]</a>' in drug  # its source
    assert "(p. 104)" in drug
    placebo = result_row(html, "Placebo", caption)
    assert "mean 8.0 (SD 2.9)" in placebo and "118 participants analysed" in placebo
    assert "Primary outcome. Time frame: Baseline and week 16." in html


def test_a_median_with_its_iqr_and_an_arm_not_reached(results_published):
    html = trial_page(results_published)
    caption = "<caption>Days to symptom resolution"  # no endpoint code: the source's title
    assert caption in html
    assert "median 14 days (IQR 10 to 21)" in result_row(html, "Drugex", caption)
    placebo = result_row(html, "Placebo", caption)
    assert "median not reached" in placebo
    assert "In the source’s words: “fewer than half of the patients resolved”" in placebo
    assert "NA" not in placebo  # the printed "NA" is said in words
    # "significantly faster" with no number: no number or measure is invented
    row = result_row(html, "Difference (measure not stated), Drugex vs Placebo", caption)
    assert "statistically significant difference (the source gives no number)" in row
    assert "not reported" not in row


def test_a_one_sided_interval_with_p_below_0_001(results_published):
    html = trial_page(results_published)
    row = result_row(html, "Hazard ratio, Drugex vs Placebo", "<caption>Progression-free")
    assert "0.62 (97.5% one-sided CI up to 0.8); p &lt; 0.001; statistically significant" in row
    # From the registry: its source links to the study's results there.
    registry = '<a href="https://clinicaltrials.gov/study/NCT09999999?tab=results">NCT09999999</a>'
    assert f"({registry})" in row and "Method: Cox proportional hazards" in row
    assert "not reported" not in row  # the reason given for the absent bound is not shown
    # a one-sided interval has one bound only: no forest plot draws it as if it had two
    assert html.count("0.62 (97.5% one-sided CI up to 0.8)") == 1
    assert 'id="forest-results-shapes-title"' not in html
    assert "median 27 months" in html and "median 19 months" in html
    # a title that is the endpoint's name is not said twice
    assert "<caption>Progression-free survival </caption>" in html


def test_the_trials_v2_facts_in_words(results_published):
    html = trial_page(results_published)
    for expected in (
        "<dt>Condition</dt><dd>Axial spondyloarthritis (MeSH D025242)</dd>",
        "<dt>Design</dt><dd>Phase 2 and phase 3, randomised, double-blind "
        "(participants, investigators), parallel groups</dd>",
        "<dt>Setting</dt><dd>Outpatients with active disease</dd>",  # only in words
        "<dt>Enrolled</dt><dd>240 patients</dd>",
        "<dt>Dates</dt><dd>Started March 2019</dd>",
        'NCT09999999 <span class="small muted">(identified by the editors)</span>',
        "Trial name identified by the editors",
    ):
        assert expected in html, expected
    index = published_bytes(results_published.seq, "index.html").decode("utf-8")
    assert 'RESULTS SHAPES</a> <span class="muted">· Outpatients with active disease</span>' in (
        index
    )


def test_evidence_json_carries_schema_2_documents_valid_under_schema_json(results_published):
    seq = results_published.seq
    published = orjson.loads(published_bytes(seq, "evidence.json"))
    schema = orjson.loads(published_bytes(seq, "schema.json"))
    jsonschema.Draft202012Validator(schema).validate(published)
    for plural in ("trials", "citations"):
        assert {r["document"]["schema_version"] for r in published[plural]} == {2}
    trial_schema = schema["$defs"]["TrialDocument"]
    assert trial_schema["properties"]["schema_version"]["const"] == 2
    for definition in ("Outcome", "ArmValue", "Comparison", "Dispersion", "Source"):
        assert definition in schema["$defs"], definition
    [trial] = published["trials"]
    hazard = trial["document"]["outcomes"][2]["comparisons"][0]
    assert (hazard["ci_sides"], hazard["p_value_text"]) == (1, "<0.001")
    # a value that breaks schema 2 is refused: a missing reason that is no reason
    trial["document"]["outcomes"][1]["values"][1]["missing"] = "not_there"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(published)


def test_a_citation_without_et_al_ends_its_authors_with_a_full_stop(
    editor, reviewer, snapshot_root
):
    citation = documents.drugex_citation(
        "badros-2013",
        authors=["Badros AZ"],
        authors_et_al=False,
        title="Lenalidomide in myeloma--a high-maintenance friend",
    )
    create_approved(editor, reviewer, "citation", citation)
    create_approved(editor, reviewer, "citation", documents.drugex_citation())
    create_approved(
        editor, reviewer, "trial", documents.results_trial(citations=["badros-2013", "smith-2020"])
    )
    snapshot = services.publish_latest()
    html = published_bytes(snapshot.seq, "trials/results-shapes.html").decode("utf-8")
    assert "Badros AZ. <cite>Lenalidomide in myeloma--a high-maintenance friend</cite>" in html
    assert "Smith A, Jones B, et al. <cite>" in html  # never "et al.."
