from django.urls import path

from . import api

urlpatterns = [
    path("", api.SnapshotList.as_view(), name="snapshot-list"),
    path("latest/", api.LatestSnapshot.as_view(), name="snapshot-latest"),
]
