from django.urls import re_path

from . import views

app_name = "fhir"
# Segments are matched loosely and checked in the views, so that a malformed type, id or
# version gets its OperationOutcome (400) rather than falling through to a 404.
urlpatterns = [
    re_path(r"^metadata$", views.metadata, name="metadata"),
    re_path(r"^(?P<resource_type>[^/_][^/]*)$", views.search_type, name="search"),
    re_path(r"^(?P<resource_type>[^/_][^/]*)/(?P<resource_id>[^/]+)$", views.read, name="read"),
    re_path(
        r"^(?P<resource_type>[^/_][^/]*)/(?P<resource_id>[^/]+)/_history$",
        views.history,
        name="history",
    ),
    re_path(
        r"^(?P<resource_type>[^/_][^/]*)/(?P<resource_id>[^/]+)/_history/(?P<version_id>[^/]+)$",
        views.vread,
        name="vread",
    ),
    re_path(r"^(?P<path>.*)$", views.unknown_route),
]
