"""The admin's drop-downs of controlled values show the vocabulary's labels (the words the
published pages use), with only the first letter capitalised."""

from __future__ import annotations

import pytest
from django import forms
from django.test import RequestFactory

from curation.admin.forms import ProposalForms
from curation.admin.forms.fields import (
    RecordChoiceField,
    RecordSelectField,
    choice_field,
    choices_field,
    sides_field,
)
from curation.admin.records import TrialAdmin, TrialSettingFilter
from evidence import documents as docs
from evidence import models as ev
from evidence.documents import RECORD_TYPES, capitalised, vocabulary
from tests import documents

# Choices whose options are parts of the same document (its arms, a finding's outcomes), not
# a vocabulary.
DOCUMENT_PART_CHOICES = {"arm", "reference_arm", "outcomes"}


def vocabulary_selects(shown: ProposalForms):
    """(form prefix-name, field) of every choice of controlled values (drop-downs and check-box
    lists) that is not of other records or of parts of the document."""
    for form in shown.all_forms():
        for name, field in form.fields.items():
            if not isinstance(field, forms.ChoiceField) or name in DOCUMENT_PART_CHOICES:
                continue
            if isinstance(field, RecordChoiceField | RecordSelectField):
                continue
            yield f"{form.prefix}-{name}", field


@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_every_select_of_a_controlled_value_shows_the_vocabulary_labels(db, record_type):
    shown_documents = {"trial": documents.calgb_100104(), "topic": documents.article_topic()}
    document = shown_documents.get(record_type)
    shown = ProposalForms(record_type, base_document=document, base_version=1)
    selects = list(vocabulary_selects(shown))
    assert selects or record_type == "intervention"
    for name, field in selects:
        values = [value for value, _ in field.choices if value != ""]
        labels = next(
            (
                labels
                for literal, labels in vocabulary.VOCABULARIES.items()
                if docs.literal_values(literal) == values
            ),
            None,
        )
        assert labels is not None, f"{name}: {values} is not a controlled vocabulary"
        expected = [(value, capitalised(labels[value])) for value in values]
        # A drop-down starts with a blank choice; a list of check boxes has none.
        blank = [] if isinstance(field, forms.MultipleChoiceField) else [("", "—")]
        assert list(field.choices) == [*blank, *expected], name


# Every document field an editor picks a controlled value for from a drop-down (the registry
# of a registry id is typed instead: "NCT: NCT00114101"; a source's registry is chosen).
CHOSEN = [
    (docs.ArmValue, "qualifier"),
    (docs.ArmValue, "missing"),
    (docs.ArmValue, "bound_missing"),
    (docs.Comparison, "kind"),
    (docs.Comparison, "unit"),
    (docs.Comparison, "qualifier"),
    (docs.Comparison, "p_value_comparator"),
    (docs.Comparison, "ci_bound_missing"),
    (docs.TrialDocument, "setting"),
    (docs.TrialDocument, "enrollment_qualifier"),
    (docs.TrialDocument, "enrollment_type"),
    (docs.PartialDate, "type"),
    (docs.Design, "allocation"),
    (docs.Design, "masking"),
    (docs.Design, "model"),
    (docs.CitationDocument, "kind"),
    (docs.Arm, "role"),
    (docs.Outcome, "endpoint"),
    (docs.Outcome, "type"),
    (docs.Outcome, "measure"),
    (docs.Outcome, "unit"),
    (docs.Outcome, "treatment_phase"),
    (docs.Timepoint, "unit"),
    (docs.Dispersion, "kind"),
    (docs.Source, "registry"),
    (docs.RegimenComponent, "phase"),
    (docs.ConductNote, "kind"),
    (docs.Finding, "kind"),
    (docs.TopicSection, "setting"),
]
# Fields holding several values of a vocabulary: check boxes.
CHECKED = [(docs.TrialDocument, "phases"), (docs.Design, "masked_roles")]
# One- or two-sided: a drop-down whose values are the numbers 1 and 2.
SIDES = [(docs.Dispersion, "sides"), (docs.Comparison, "ci_sides")]
# Vocabularies of schema version 1 only, kept for the upcaster: no form offers them.
VERSION_1_ONLY = {tuple(vocabulary.BLINDING_LABELS), tuple(vocabulary.P_VALUE_QUALIFIER_LABELS)}
# Typed, not chosen: the registry of a registry id ("NCT: NCT00114101"), the coding system of
# a condition ("Multiple myeloma | C90.0 | ICD-10").
TYPED = {tuple(vocabulary.CODING_SYSTEM_LABELS)}


def test_every_vocabulary_but_registries_is_a_drop_down_with_the_vocabulary_labels():
    tables = set()
    for model, field in CHOSEN:
        labels = vocabulary.labels_of(model, field)
        options = choice_field(model, field).choices
        assert options == [("", "—"), *[(v, capitalised(w)) for v, w in labels.items()]]
        tables.add(tuple(labels))
    for model, field in CHECKED:
        labels = vocabulary.labels_of(model, field)
        options = choices_field(model, field).choices
        assert options == [(v, capitalised(w)) for v, w in labels.items()]
        tables.add(tuple(labels))
    for model, field in SIDES:
        labels = vocabulary.labels_of(model, field)
        sides = sides_field(model, field)
        assert sides.choices == [("", "—"), *[(v, capitalised(w)) for v, w in labels.items()]]
        assert sides.clean("1") == 1 and sides.clean("") is None
        tables.add(tuple(labels))
    all_tables = {tuple(labels) for labels in vocabulary.VOCABULARIES.values()}
    assert tables == all_tables - VERSION_1_ONLY - TYPED


@pytest.mark.parametrize(
    ("model", "field", "value", "label"),
    [
        # before: "Open label", "Single blind", "Double blind"
        (docs.Design, "masking", "none", "Open-label"),
        (docs.Design, "masking", "double", "Double-blind"),
        # before: "Duration unspecified", "Rate at timepoint", "Event count"
        (docs.Outcome, "measure", "duration_unspecified", "Duration"),
        (docs.Outcome, "measure", "event_count", "Number of events"),
        # before: "Observation"
        (docs.Arm, "role", "observation", "Observation (no maintenance)"),
        # before: "Continuous"
        (docs.RegimenComponent, "phase", "continuous", "Continuous treatment"),
        # before: "Follow up", "Other"
        (docs.ConductNote, "kind", "follow_up", "Follow-up"),
        (docs.ConductNote, "kind", "other", "Note"),
        # before: "3" (the page says "Phase 3, randomised, ...")
        (docs.TrialDocument, "phases", "3", "Phase 3"),
        # unchanged: the pages' words were the admin's already
        (docs.Outcome, "endpoint", "pfs", "Progression-free survival"),
        (docs.Comparison, "p_value_comparator", "<", "<"),
        (docs.ArmValue, "missing", "not_reached", "Not reached"),
    ],
)
def test_the_admin_says_what_the_pages_say(model, field, value, label):
    assert dict(choice_field(model, field).choices)[value] == label


def test_the_trial_list_shows_and_filters_settings_by_their_labels():
    request = RequestFactory().get("/")
    lookups = TrialSettingFilter(request, {}, ev.Trial, None).lookups(request, None)
    assert lookups == [(v, capitalised(w)) for v, w in vocabulary.SETTING_LABELS.items()]
    trial = ev.Trial(setting="transplant_ineligible")
    assert TrialAdmin.setting_label(None, trial) == "Patients not eligible for a transplant"
