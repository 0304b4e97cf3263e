"""Every controlled value has exactly one label, in one table: ``documents.vocabulary``."""

from __future__ import annotations

import typing

import pytest

from evidence import documents as docs
from evidence.documents import choices, vocabulary
from publishing import formatting as fmt

LITERALS = {
    name: value
    for name, value in vars(choices).items()
    if typing.get_origin(value) is typing.Literal
}


def test_every_controlled_vocabulary_has_one_table():
    assert LITERALS, "no Literal types found: choices changed shape"
    tables = list(vocabulary.VOCABULARIES)
    for name, literal in LITERALS.items():
        assert sum(table is literal for table in tables) == 1, name
    assert len(tables) == len(LITERALS)


@pytest.mark.parametrize("name", sorted(LITERALS))
def test_every_value_has_exactly_one_label(name):
    values = docs.literal_values(LITERALS[name])
    labels = vocabulary.VOCABULARIES[LITERALS[name]]
    assert list(labels) == values  # each value once, in the declared order, and nothing else
    assert all(isinstance(label, str) and label.strip() for label in labels.values())
    # A label is never written twice in one vocabulary: readers could not tell values apart.
    assert len(set(labels.values())) == len(labels)


def test_labels_of_finds_the_table_of_a_document_field():
    assert vocabulary.labels_of(docs.Design, "masking") == vocabulary.MASKING_LABELS
    assert vocabulary.labels_of(docs.TrialDocument, "setting") == vocabulary.SETTING_LABELS
    assert vocabulary.labels_of(docs.Comparison, "qualifier") == vocabulary.QUALIFIER_LABELS
    assert (
        vocabulary.labels_of(docs.Comparison, "p_value_comparator")
        == vocabulary.P_VALUE_COMPARATOR_LABELS
    )
    # No two vocabularies hold the same values, so a field's table is never ambiguous.
    value_lists = [tuple(docs.literal_values(literal)) for literal in LITERALS.values()]
    assert len(set(value_lists)) == len(value_lists)


def test_published_pages_use_the_vocabulary_tables():
    assert fmt.QUALIFIERS is vocabulary.QUALIFIER_LABELS
    assert fmt.SETTINGS is vocabulary.SETTING_LABELS
    assert fmt.ROLES is vocabulary.ARM_ROLE_LABELS
    assert fmt.MASKING is vocabulary.MASKING_LABELS  # what schema 1 called blinding
    assert fmt.MEASURES is vocabulary.MEASURE_LABELS
    assert fmt.COMPARISONS is vocabulary.COMPARISON_LABELS
    assert fmt.PHASES is vocabulary.TREATMENT_PHASE_LABELS
    assert fmt.CONDUCT is vocabulary.CONDUCT_NOTE_LABELS


def test_capitalised_changes_only_the_first_letter():
    assert vocabulary.capitalised("open-label") == "Open-label"
    assert vocabulary.capitalised("number of events") == "Number of events"
    assert vocabulary.capitalised("MRD conversion") == "MRD conversion"
    assert vocabulary.capitalised("") == ""
