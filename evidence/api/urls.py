from django.urls import path

from . import views

urlpatterns = [
    path("topics/", views.TopicList.as_view(), name="topic-list"),
    path("interventions/", views.InterventionList.as_view(), name="intervention-list"),
    path("citations/", views.CitationList.as_view(), name="citation-list"),
    path("trials/", views.TrialList.as_view(), name="trial-list"),
]
