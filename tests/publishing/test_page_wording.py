"""Plain words on published pages (issue 14): no internal codes, no doubled registry names or
phases, no rows that only say "not reported", editors' notes gathered to be folded, the seed's
accounts named for what they are, and the topic's findings placed beside the paragraphs that
state them, in the article's order. Unit tests of ``pages.contexts`` and ``pages.article``;
the last tests render the seed's own topic."""

from __future__ import annotations

import pytest

from curation.seed import SEED_EDITOR, SEED_REVIEWER, load_seed
from publishing import services
from publishing.pages.article import ArticleFindings
from publishing.pages.contexts import (
    account,
    approval_text,
    outcome_context,
    plain_note,
    regimen_phase,
    registry_text,
)
from publishing.selectors import RecordState, Version
from tests.publishing.published import published_bytes

ARMS = {"len": "Revlimid", "pbo": "Placebo"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "The article says 'average'; recorded as duration_unspecified.",
            "The article says 'average'; recorded as a duration (neither median nor mean).",
        ),
        (
            "recorded as enrollment 500 with qualifier more_than.",
            "recorded as enrollment 500 with qualifier more than.",
        ),
        ("Set post_autologous_transplant.", "Set after autologous stem-cell transplant."),
        ("An unknown_code stays as written.", "An unknown_code stays as written."),
        (None, ""),
    ],
)
def test_plain_note_names_controlled_values_in_words(text, words):
    assert plain_note(text) == words


@pytest.mark.parametrize(
    ("registry", "identifier", "text"),
    [
        ("NCT", "NCT00114101", "NCT00114101"),
        ("ISRCTN", "ISRCTN49407852", "ISRCTN49407852"),
        ("ISRCTN", "49407852", "ISRCTN 49407852"),
        ("EudraCT", "2005-001234-56", "EudraCT 2005-001234-56"),
    ],
)
def test_registry_text_never_names_the_registry_twice(registry, identifier, text):
    assert registry_text(registry, identifier) == text


@pytest.mark.parametrize(
    ("description", "phase", "shown"),
    [
        ("Revlimid maintenance therapy", "maintenance", ""),
        ("Placebo after transplantation", "maintenance", "maintenance"),
        ("VMPT", "induction", "induction"),
        ("Placebo", None, ""),
    ],
)
def test_regimen_phase_only_when_the_description_does_not_say_it(description, phase, shown):
    assert regimen_phase(description, phase) == shown


def record(approver: str) -> RecordState:
    version = Version(
        1, 1, "created", None, SEED_EDITOR, approver, "2026-11-30T05:57:00Z", "", None
    )
    return RecordState("trial", "id", "t", [version], {"name": "T"})


def test_seed_loaded_content_says_so_and_reviewed_content_says_approved():
    assert approval_text(record(SEED_REVIEWER)) == (
        "loaded from the source article by the seed on 30 Nov 2026, 05:57 UTC, "
        "not reviewed by a person"
    )
    assert approval_text(record("reviewer")) == "approved 30 Nov 2026, 05:57 UTC"
    assert (
        account(SEED_EDITOR)
        == account(SEED_REVIEWER)
        == ("the seed (loaded from the source article)")
    )
    assert account("reviewer") == "reviewer"


def test_outcome_rows_that_only_say_not_reported_are_left_out_and_notes_gathered():
    outcome = {
        "key": "os",
        "endpoint": "os",
        "measure": "median",
        "unit": "months",
        "note": "The article gives no number for duration_unspecified.",
        "values": [
            {"arm": "len", "value": 54, "note": "After 41 months."},
            {"arm": "pbo", "note": "The article gives no number."},  # not reported
        ],
        "comparisons": [
            {"key": "a", "kind": "absolute_difference", "arm": "len", "reference_arm": "pbo"},
            {
                "key": "b",
                "kind": "absolute_difference",
                "arm": "len",
                "reference_arm": "pbo",
                "significant": True,
                "note": "Said to be significant.",
            },
        ],
    }
    context = outcome_context(outcome, ARMS.get)
    assert [v["arm"] for v in context["values"]] == ["Revlimid"]
    assert [(c["result"], c["significance"]) for c in context["comparisons"]] == [
        ("no number given", "statistically significant")
    ]
    assert context["notes"] == [
        {
            "about": "",
            "text": "The article gives no number for a duration (neither median nor mean).",
        },
        {"about": "Revlimid", "text": "After 41 months."},
        {"about": "Placebo", "text": "The article gives no number."},
        {"about": "Revlimid vs Placebo", "text": "Said to be significant."},
    ]


ARTICLE = {
    "summary": "Maintenance keeps a remission.\n\nRevlimid delays progression but does not "
    "prolong survival. The FDA made a safety announcement.",
    "sections": [
        {
            "key": "after-asct",
            "heading": "After ASCT",
            "trials": ["ifm", "calgb"],
            "body": [
                "Revlimid is taken by mouth.",
                "An editorial observed that Revlimid comes with risks of second cancers.",
            ],
        }
    ],
    "findings": [
        {
            "key": "fda",
            "kind": "regulatory",
            "statement": "The FDA made a safety announcement regarding Revlimid.",
            "trials": [],
            "citations": ["fda"],
        },
        {
            "key": "survival",
            "kind": "survival",
            "statement": "Revlimid can delay progression but does not prolong survival.",
            "trials": [],
            "citations": ["attal", "fda"],
        },
        {
            "key": "editorial",
            "kind": "conclusion",
            "statement": "An editorial observed that Revlimid comes with risks.",
            "trials": ["ifm", "calgb"],
            "citations": ["badros"],
        },
        {
            "key": "elsewhere",
            "kind": "background",
            "statement": "Something the article never says in these words at all.",
            "trials": [],
            "citations": ["other"],
        },
    ],
}


def test_findings_references_stand_beside_the_paragraph_that_states_them():
    placed = ArticleFindings(ARTICLE)
    assert placed.summary_paragraphs() == [
        {"text": "Maintenance keeps a remission.", "refs": []},
        {
            "text": "Revlimid delays progression but does not prolong survival. "
            "The FDA made a safety announcement.",
            "refs": ["fda", "attal"],  # in the order of the findings, each once
        },
    ]
    before, after = placed.section_paragraphs(ARTICLE["sections"][0])
    # the editorial's conclusion about the section's two trials follows them, as in the article
    assert before == [{"text": "Revlimid is taken by mouth.", "refs": []}]
    assert after == [
        {
            "text": "An editorial observed that Revlimid comes with risks of second cancers.",
            "refs": ["badros"],
        }
    ]


def test_a_conclusion_about_trials_the_section_does_not_list_stays_before_them():
    section = {**ARTICLE["sections"][0], "trials": ["ifm"]}
    article = {**ARTICLE, "sections": [section]}
    before, after = ArticleFindings(article).section_paragraphs(section)
    assert len(before) == 2 and after == []


@pytest.fixture
def seed_published(db, snapshot_root):
    load_seed()
    return services.publish_latest()


def page(snapshot, path: str) -> str:
    return published_bytes(snapshot.seq, path).decode("utf-8")


def test_the_seed_pages_read_in_plain_words(seed_published):
    html = page(seed_published, "topics/multiple-myeloma-maintenance.html")
    for leak in (
        "duration_unspecified",
        "NCT NCT",
        "ISRCTN ISRCTN",
        "maintenance therapy (maintenance)",
        "approved by a second reviewer",
        ">not reported<",
    ):
        assert leak not in html, leak
    assert "NCT00114101" in html and "ISRCTN49407852" in html
    assert "loaded from the source article by the seed" in html
    # 87 editors' notes, folded: none is shown outside a <details>
    outside = html
    while "<details" in outside:
        start = outside.index("<details")
        outside = outside[:start] + outside[outside.index("</details>", start) + 10 :]
    assert "Editorial note" not in outside and "Cited as" not in outside
    assert html.count('<details class="notes">') >= 20
    # the summary's claim carries its references, beside it, numbered from 1 in order
    summary = html[html.index("can delay the progression") : html.index("<nav")]
    assert 'href="#ref-1"' in summary and 'href="#ref-7"' in summary
    # Badros's editorial follows the two post-transplant trials it discusses
    assert html.index('id="trial-calgb-100104"') < html.index("The accompanying NEJM editorial")
    # every trial is shown once; a section listing one already shown points to it
    assert html.count('<article class="trial" id="trial-myeloma-xi">') == 1
    assert 'described above (<a href="#trial-myeloma-xi">' in html
    # the topic's estimates: listed, and none drawn without its interval
    assert "Effect estimates the trials report" in html
    assert "13.5 months" in html and "no forest plot is drawn" in html

    # (one test: loading the seed takes a while) the changes and index pages
    changes = page(seed_published, "changes.html")
    assert ">IFM 2005-02</a>" in changes and ">ifm-2005-02</a>" not in changes
    assert ">What is maintenance therapy?</a>" in changes
    assert "seed-editor" not in changes and "the seed (loaded from the source article)" in changes
    index = page(seed_published, "index.html")
    assert "<title>Published evidence</title>" in index
    trial = page(seed_published, "trials/calgb-100104.html")
    assert "seed-reviewer" not in trial
    assert '<th scope="row">Version 1' in trial
