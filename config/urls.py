from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from curation.api.exceptions import error_body
from publishing.api import ReleaseList


def health(request):
    return JsonResponse({"status": "ok"})


@csrf_exempt  # it changes nothing, and must answer any method in the API's shape
def api_not_found(request):
    """Unknown URLs under /api/ answer in the API's error shape, not with an HTML page."""
    message = f"no API endpoint at {request.path}"
    return JsonResponse(error_body("not_found", message), status=404)


api_v1 = [
    path("", include("evidence.api.urls")),
    path("", include("curation.api.urls")),
    path("snapshots/", include("publishing.api_urls")),
    path("releases/", ReleaseList.as_view(), name="release-list"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's settings as a script file (docs/?script=) instead of
    # an inline script, so the docs page runs under a CSP without 'unsafe-inline' scripts.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("published/", include("publishing.urls")),
    path("fhir/R5/", include("publishing.fhir_api.urls")),
    path("api/v1/", include(api_v1)),
    # Keep last. Only paths ending in "/", so that CommonMiddleware still redirects
    # /api/v1/trials to /api/v1/trials/.
    re_path(r"^api/.*/$", api_not_found),
]
