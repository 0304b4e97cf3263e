"""Numbers in prose against structured values (evidence.narratives): no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evidence.narratives import numbers_in, prose_of, sentence_at, stale_quotes, unmatched_numbers


def trial(pfs=27, summary="Median PFS was 27 months with drug X. It was well tolerated."):
    return {
        "slug": "t",
        "arms": [{"key": "x", "label": "Drug X", "n": 150}],
        "outcomes": [
            {"key": "pfs", "unit": "months", "values": [{"arm": "x", "value": pfs}]},
        ],
        "conduct_notes": [{"key": "c", "kind": "unblinded", "text": "Unblinded at 27 months."}],
        "findings": [
            {"key": "f1", "statement": "Drug X delayed progression (27 vs 20 months).", "kind": "x"}
        ],
        "summary": summary,
        "notes": "Checked against page 27 of the article.",
    }


def test_27_months_changed_to_28_warns_on_the_summary_and_the_finding():
    old, new = trial(), trial(pfs=28)
    quotes = stale_quotes(old, new, prose_of(new))
    assert [(q.path, q.sentence, q.old, q.new) for q in quotes] == [
        ("conduct_notes[key=c].text", "Unblinded at 27 months.", 27, 28),
        ("findings[key=f1].statement", "Drug X delayed progression (27 vs 20 months).", 27, 28),
        ("summary", "Median PFS was 27 months with drug X.", 27, 28),
    ]
    # "page 27" in the notes is a page number, not the result.


def reordered(value, key):
    """``value`` with every object's fields sorted by ``key``, as a database may give them."""
    if isinstance(value, dict):
        return {k: reordered(value[k], key) for k in sorted(value, key=key)}
    if isinstance(value, list):
        return [reordered(item, key) for item in value]
    return value


@pytest.mark.parametrize(
    "key",
    [
        lambda name: (len(name), name),  # how PostgreSQL's jsonb keeps them
        lambda name: [-ord(c) for c in name],  # any other
    ],
    ids=["jsonb", "reversed"],
)
def test_prose_is_listed_in_the_schemas_field_order_whatever_order_it_was_stored_in(key):
    document = trial()
    document["outcomes"][0]["note"] = "PFS at 27 months."
    document["findings"][0]["note"] = "See 27."
    stored = reordered(document, key)
    assert list(stored) != list(document)  # the test reorders the document it reads
    assert [path for path, _ in prose_of(stored, "trial")] == [
        "conduct_notes[key=c].text",
        "outcomes[key=pfs].note",
        "findings[key=f1].statement",
        "findings[key=f1].note",
        "summary",
        "notes",
    ]


def test_prose_that_already_says_the_new_number_is_not_warned():
    new = trial(pfs=28, summary="Median PFS was 28 months.")
    assert "summary" not in [q.path for q in stale_quotes(trial(), new, prose_of(new))]


def test_a_change_that_is_no_number_warns_of_nothing():
    old, new = trial(), trial(summary="Another summary quoting 27 months.")
    assert stale_quotes(old, new, prose_of(new)) == []


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Median PFS was 27 months (HR 0.48; 95% CI, 0.36-0.63).", ["27", "0.48", "0.36", "0.63"]),
        ("Published in 2012 in the NEJM [12].", []),
        ("As reference 14 and refs. 3 say, see p. 4 and pp. 12-14.", []),
        ("The phase 3 CALGB 100104 and IFM 2005-02 trials, and MM-015.", []),
        ("The 1st and 2nd analyses; 1,614 patients; 25% alive.", ["1,614", "25"]),
        ("Cited in the text as '1-6,8' and cites '9' too.", []),
        ("A 95 % confidence interval; 90% of patients.", ["90"]),
        ("Cited 7 but listed 6; references 10 and 11; citing 1-6,8; updated 2/2023.", []),
        ("From 2012, 27 patients; between 18 and 24 months.", ["27", "18", "24"]),
    ],
)
def test_numbers_in_prose_leave_out_what_is_not_a_result(text, numbers):
    assert [q.written for q in numbers_in(text)] == numbers


def test_a_sentence_is_found_around_a_position():
    text = "First one. Median was 27 months. Last (one)."
    assert sentence_at(text, text.index("27")) == "Median was 27 months."
    assert sentence_at(text, 0) == "First one."


def test_unmatched_numbers_allow_rounding_percentages_and_related_documents():
    doc = trial(pfs=38.9, summary="PFS was 39 months; 52% lower risk; 150 patients; 31 months.")
    doc["outcomes"][0]["comparisons"] = [{"key": "hr", "kind": "hazard_ratio", "estimate": 0.48}]
    doc["findings"] = []
    doc["conduct_notes"] = []
    found = unmatched_numbers(doc)
    assert [(path, q.value) for path, q, _ in found] == [("summary", Decimal("31"))]
    other = {"outcomes": [{"key": "os", "values": [{"arm": "x", "value": 31}]}]}
    assert unmatched_numbers(doc, [other]) == []
