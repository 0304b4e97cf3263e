"""Filters for the evidence lists (django-filter). Bad values are 400s, not empty lists."""

from __future__ import annotations

import django_filters

from evidence.documents import TrialPhase, TrialSetting, literal_values
from evidence.models import Citation, Intervention, Topic, Trial

# The choices come from the document schema, so a filter accepts exactly what documents hold.
SETTING_CHOICES = [(value, value) for value in literal_values(TrialSetting)]
PHASE_CHOICES = [(value, value) for value in literal_values(TrialPhase)]


class TrialFilter(django_filters.FilterSet):
    topic = django_filters.CharFilter(
        field_name="topic_trials__topic__slug", distinct=True, help_text="Topic slug."
    )
    intervention = django_filters.CharFilter(
        field_name="interventions__slug", distinct=True, help_text="Intervention slug."
    )
    citation = django_filters.CharFilter(
        field_name="citations__slug", distinct=True, help_text="Citation slug."
    )
    setting = django_filters.ChoiceFilter(choices=SETTING_CHOICES)
    phase = django_filters.ChoiceFilter(
        choices=PHASE_CHOICES, method="filter_phase", help_text="Trials with this phase."
    )
    registry_id = django_filters.CharFilter(
        field_name="registry_ids_text",
        lookup_expr="icontains",
        help_text="A registry id such as NCT00114101 (case-insensitive).",
    )

    class Meta:
        model = Trial
        fields = ["topic", "intervention", "citation", "setting", "phase", "registry_id"]

    def filter_phase(self, queryset, name, value):
        # phases_text holds each phase between spaces: " 3 " matches 3, not 2/3.
        return queryset.filter(phases_text__contains=f" {value} ")


class TopicFilter(django_filters.FilterSet):
    trial = django_filters.CharFilter(
        field_name="topic_trials__trial__slug", distinct=True, help_text="Trial slug."
    )

    class Meta:
        model = Topic
        fields = ["trial"]


class InterventionFilter(django_filters.FilterSet):
    trial = django_filters.CharFilter(
        field_name="trials__slug", distinct=True, help_text="Trial slug."
    )
    topic = django_filters.CharFilter(
        field_name="trials__topic_trials__topic__slug",
        distinct=True,
        help_text="Topic slug (interventions of the topic's trials).",
    )

    class Meta:
        model = Intervention
        fields = ["trial", "topic"]


class CitationFilter(django_filters.FilterSet):
    trial = django_filters.CharFilter(
        field_name="trials__slug", distinct=True, help_text="Trial slug."
    )
    kind = django_filters.CharFilter()
    year = django_filters.NumberFilter()

    class Meta:
        model = Citation
        fields = ["trial", "kind", "year"]


FILTERS: dict[str, type[django_filters.FilterSet]] = {
    "topic": TopicFilter,
    "intervention": InterventionFilter,
    "citation": CitationFilter,
    "trial": TrialFilter,
}
