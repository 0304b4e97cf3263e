from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    # Publishing: its two API routes come before any generic /api/v1/ include.
    path("api/v1/snapshots/", include("publishing.api_urls")),
    path("published/", include("publishing.urls")),
]
