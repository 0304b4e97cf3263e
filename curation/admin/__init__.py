"""The Django admin: editors propose, reviewers decide, and nothing else writes evidence.

Thin callers only. Every write goes through ``curation.services`` (which holds the rules and
says why it refuses); this package turns forms into service calls and service errors into
messages and form errors. Reads go through ``curation.selectors``.

- ``records``: evidence records (trials, citations, interventions, topics) are read-only;
  for members of the Editors group their change page is the proposal form, and saving it
  opens a submitted change request (``services.propose``) instead of writing the record.
- ``change_requests``: the review queue and the review page, with the diff, the conflict
  check and only the buttons the workflow (``services.ACTIONS``) allows; the edit page.
- ``events``: the event log, read-only for everyone, superusers included.
- ``batches``: import batches' progress and failures, read-only for everyone; a batch file
  is uploaded on the import page (``imports``).
- ``desk``: claiming on the review page, the queue's claim and overdue filters, each
  person's notification settings (``notification/preferences/``) and the outbox;
- ``guards``: history pages (simple-history's per-version pages included) are read-only for
  everyone; every registered admin, ours or another app's (users, groups, API tokens), goes
  through ``harden_admin_site`` (called from ``CurationConfig.ready``): bad ids are 404s,
  control characters in list filters and searches are refused, and accounts are for
  superusers only.
- ``forms``: the proposal forms, built from a record document and back into one.

Templates live in ``curation/templates/admin/curation/``.
"""

from __future__ import annotations

from django.contrib import admin

# Importing the admin modules registers their ModelAdmins with the site.
from . import batches, change_requests, desk, events, records  # noqa: F401
from .guards import ReadOnlyHistoryAdmin, ReadOnlyModelAdmin, harden_admin_site

admin.site.site_header = "Evidence curation"
admin.site.site_title = "Evidence curation"
admin.site.index_title = "Propose and review evidence"
# "View site" opens what readers see: the newest published snapshot (the site root only
# redirects back to the admin).
admin.site.site_url = "/published/latest/"
# The index shows the review queue's count, each person's desk (templates/admin/_dashboard.html)
# and a link to the published site.
admin.site.index_template = "admin/curation/index.html"

__all__ = ["ReadOnlyHistoryAdmin", "ReadOnlyModelAdmin", "harden_admin_site"]
