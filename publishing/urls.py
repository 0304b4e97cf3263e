from django.urls import path, re_path

from . import views

app_name = "published"
urlpatterns = [
    path("<str:ref>/", views.serve, name="index"),
    re_path(r"^(?P<ref>[^/]+)/(?P<path>.+)$", views.serve, name="file"),
]
