"""The curation API's views, by job (``curation.api.urls`` routes to them):

- ``records``: a published record now or as of a point (``?as_of=``), and its history;
- ``change_requests``: proposals and their review; the transition routes come from the
  workflow's actions (``services.ACTIONS``);
- ``events``: the changes feed;
- ``imports``: registry documents to change requests (``curation.imports``);
- ``batch_imports``: a file of many records imported by a worker, and its progress;
- ``desk``: claiming a change request, and one's own notification settings;
- ``base``: what every view shares (JSON in and out, strict bodies).

Views translate HTTP to service and selector calls and back; they hold no rule of their own.
Errors raised by the services (``curation.errors``) become responses in
``curation.api.exceptions.api_exception_handler``.
"""

from .batch_imports import BatchImportView, BatchProgressView
from .change_requests import ChangeRequestViewSet
from .citation_imports import CitationImportView
from .desk import NotificationPreferencesView
from .events import EventFeedView
from .imports import CtgovImportView
from .records import RECORD_VIEWS

__all__ = [
    "RECORD_VIEWS",
    "BatchImportView",
    "BatchProgressView",
    "ChangeRequestViewSet",
    "CitationImportView",
    "CtgovImportView",
    "EventFeedView",
    "NotificationPreferencesView",
]
