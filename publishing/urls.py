from django.urls import path, re_path

from . import release_views, views

app_name = "published"
urlpatterns = [
    # Before the snapshots' routes: "releases" is no snapshot number.
    path("", release_views.index, name="home"),
    path("releases/", release_views.index, name="releases"),
    re_path(
        r"^releases/(?P<name>[^/]+)/notes\.(?P<fmt>json|html)$",
        release_views.notes,
        name="release-notes",
    ),
    path("<str:ref>/", views.serve, name="index"),
    re_path(r"^(?P<ref>[^/]+)/(?P<path>.+)$", views.serve, name="file"),
]
