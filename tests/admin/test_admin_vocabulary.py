"""The admin's drop-downs of controlled values show the vocabulary's labels (the words the
published pages use), with only the first letter capitalised."""

from __future__ import annotations

import pytest
from django import forms
from django.test import RequestFactory

from curation.admin.forms import ProposalForms
from curation.admin.forms.fields import choice_field
from curation.admin.records import TrialAdmin, TrialSettingFilter
from evidence import documents as docs
from evidence import models as ev
from evidence.documents import RECORD_TYPES, capitalised, vocabulary
from tests import documents

# Drop-downs whose options are parts of the same document (its arms), not a vocabulary.
ARM_SELECTS = {"arm", "reference_arm"}


def vocabulary_selects(shown: ProposalForms):
    """(form prefix-name, field) of every single-choice drop-down that is not of records/arms."""
    for form in shown.all_forms():
        for name, field in form.fields.items():
            if type(field) is forms.ChoiceField and name not in ARM_SELECTS:
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
        assert list(field.choices) == [("", "—"), *expected], name


# Every document field an editor picks a controlled value for (registries are typed instead:
# "NCT: NCT00114101").
CHOSEN = [
    (docs.ArmValue, "qualifier"),
    (docs.Comparison, "kind"),
    (docs.Comparison, "unit"),
    (docs.Comparison, "qualifier"),
    (docs.Comparison, "p_value_qualifier"),
    (docs.TrialDocument, "phase"),
    (docs.TrialDocument, "setting"),
    (docs.TrialDocument, "enrollment_qualifier"),
    (docs.Design, "blinding"),
    (docs.CitationDocument, "kind"),
    (docs.Arm, "role"),
    (docs.Outcome, "endpoint"),
    (docs.Outcome, "measure"),
    (docs.Outcome, "unit"),
    (docs.Outcome, "treatment_phase"),
    (docs.RegimenComponent, "phase"),
    (docs.ConductNote, "kind"),
    (docs.Finding, "kind"),
    (docs.TopicSection, "setting"),
]


def test_every_vocabulary_but_registries_is_a_drop_down_with_the_vocabulary_labels():
    tables = set()
    for model, field in CHOSEN:
        labels = vocabulary.labels_of(model, field)
        options = choice_field(model, field).choices
        assert options == [("", "—"), *[(v, capitalised(w)) for v, w in labels.items()]]
        tables.add(tuple(labels))
    tables.add(tuple(vocabulary.REGISTRY_LABELS))
    assert tables == {tuple(labels) for labels in vocabulary.VOCABULARIES.values()}


@pytest.mark.parametrize(
    ("model", "field", "value", "label"),
    [
        # before: "Open label", "Single blind", "Double blind"
        (docs.Design, "blinding", "open_label", "Open-label"),
        (docs.Design, "blinding", "double_blind", "Double-blind"),
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
        (docs.TrialDocument, "phase", "3", "Phase 3"),
        # unchanged: the pages' words were the admin's already
        (docs.Outcome, "endpoint", "pfs", "Progression-free survival"),
        (docs.Comparison, "p_value_qualifier", "less_than", "<"),
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
