from django.urls import path

from evidence.documents import record_types

from . import views

urlpatterns = [
    path(f"{entry.plural}/", views.LIST_VIEWS[entry.name].as_view(), name=f"{entry.url_name}-list")
    for entry in record_types.REGISTRY
    if entry.name in views.LIST_VIEWS
]
