"""Published evidence, read-only: lists with filters, search and pagination.

A record's detail (with ``?as_of=``) and history read the event log, which belongs to
curation, so those views live in ``curation.api``; this app knows nothing of workflow.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics
from rest_framework.filters import SearchFilter
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from evidence.models import RECORD_MODELS

from . import filters, serializers
from .caching import CachedByPosition
from .params import BIGINT_MAX, query_number


class Pagination(LimitOffsetPagination):
    """limit and offset read strictly: junk is a 400 naming the parameter, not a silent default.

    A limit above max_limit is capped (the page says which limit it used in its links).
    """

    default_limit = 50
    max_limit = 200

    def get_limit(self, request):
        limit = query_number(
            request.query_params, self.limit_query_param, default=self.default_limit, minimum=1
        )
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return query_number(request.query_params, self.offset_query_param, default=0)

    def get_paginated_response_schema(self, schema):
        # Every page has all four keys (next and previous are null at the ends).
        page = super().get_paginated_response_schema(schema)
        page["required"] = ["count", "next", "previous", "results"]
        return page

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        minimum = {self.limit_query_param: 1, self.offset_query_param: 0}
        for parameter in parameters:
            parameter["schema"].update(minimum=minimum[parameter["name"]], maximum=BIGINT_MAX)
        return parameters


def listed(summary_serializer):
    """The list's schema: pages of summaries, or an error (a bad filter value is a 400)."""
    return extend_schema(responses={200: summary_serializer(many=True), **serializers.READ_ERRORS})


class Search(SearchFilter):
    """DRF's search, whose errors (a NUL character) name the parameter, as filters' do."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({self.search_param: exc.detail}) from None


class RecordListView(CachedByPosition, generics.ListAPIView):
    """Anyone may read published evidence. Pages are cached by the log position (``caching``)."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, Search]

    def list(self, request, *args, **kwargs):
        return self.cached_page() or super().list(request, *args, **kwargs)


def record_list_view(record_type: str, doc: str, search_fields: list[str]) -> type[RecordListView]:
    """The list view of one record type: its summaries by slug, its filters, its search."""
    name = f"{record_type.capitalize()}List"
    attributes = {
        "__doc__": doc,
        "__module__": __name__,
        "queryset": RECORD_MODELS[record_type].objects.order_by("slug"),
        "serializer_class": serializers.SUMMARY_SERIALIZERS[record_type],
        "filterset_class": filters.FILTERS[record_type],
        "search_fields": search_fields,
    }
    view = type(name, (RecordListView,), attributes)
    return extend_schema_view(get=listed(serializers.SUMMARY_SERIALIZERS[record_type]))(view)


# record type -> (what the list holds, for its docs; the columns ?search= looks in)
LISTS = {
    "topic": (
        "Published topics (evidence summaries), by slug.",
        ["slug", "title", "condition"],
    ),
    "intervention": (
        "Published interventions (drugs and procedures), by slug.",
        ["slug", "name", "generic_name", "drug_class"],
    ),
    "citation": (
        "Published citations (the sources evidence rests on), by slug.",
        ["slug", "title", "journal", "doi", "pmid"],
    ),
    "trial": (
        "Published trials, by slug; filter by topic, intervention, setting, phase or registry id.",
        ["slug", "name", "registry_ids_text"],
    ),
}
# Record type -> its list view; the routes, their paths and names come from the record-type
# registry (``urls``).
LIST_VIEWS = {
    record_type: record_list_view(record_type, *spec) for record_type, spec in LISTS.items()
}
TopicList = LIST_VIEWS["topic"]
InterventionList = LIST_VIEWS["intervention"]
CitationList = LIST_VIEWS["citation"]
TrialList = LIST_VIEWS["trial"]
