"""Curation endpoints under /api/v1/ (the evidence lists are in evidence.api.urls)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from evidence.documents import record_types

from . import auth, views

router = SimpleRouter()
router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")

urlpatterns = [
    path("auth/token/", auth.ObtainTokenView.as_view(), name="auth-token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", auth.LogoutAllView.as_view(), name="auth-logout-all"),
    path("events/", views.EventFeedView.as_view(), name="event-list"),
    path(
        "notification-preferences/",
        views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("imports/ctgov/", views.CtgovImportView.as_view(), name="import-ctgov"),
    path("imports/citations/", views.CitationImportView.as_view(), name="import-citations"),
    path("imports/batches/", views.BatchImportView.as_view(), name="import-batches"),
    path(
        "imports/batches/<str:pk>/", views.BatchProgressView.as_view(), name="import-batch-detail"
    ),
    *[
        route
        for record_type, (detail, history) in views.RECORD_VIEWS.items()
        for entry in [record_types.get(record_type)]
        for route in (
            path(
                f"{entry.plural}/<str:slug>/",
                detail.as_view(),
                name=f"{entry.url_name}-detail",
            ),
            path(
                f"{entry.plural}/<str:slug>/history/",
                history.as_view(),
                name=f"{entry.url_name}-history",
            ),
        )
    ],
    *router.urls,
]
