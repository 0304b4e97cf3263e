"""Curation endpoints under /api/v1/ (the evidence lists are in evidence.api.urls)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import auth, views

router = SimpleRouter()
router.register("change-requests", views.ChangeRequestViewSet, basename="change-request")

PLURALS = {
    "topic": "topics",
    "intervention": "interventions",
    "citation": "citations",
    "trial": "trials",
}

urlpatterns = [
    path("auth/token/", auth.ObtainTokenView.as_view(), name="auth-token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", auth.LogoutAllView.as_view(), name="auth-logout-all"),
    path("events/", views.EventFeedView.as_view(), name="event-list"),
    *[
        route
        for record_type, (detail, history) in views.RECORD_VIEWS.items()
        for route in (
            path(
                f"{PLURALS[record_type]}/<str:slug>/",
                detail.as_view(),
                name=f"{record_type}-detail",
            ),
            path(
                f"{PLURALS[record_type]}/<str:slug>/history/",
                history.as_view(),
                name=f"{record_type}-history",
            ),
        )
    ],
    *router.urls,
]
