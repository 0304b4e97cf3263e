"""The reader-facing HTML pages of a snapshot.

Everything editor-supplied reaches the page through autoescaping templates (``templating``,
Jinja2); these modules turn documents into plain strings and numbers (never markup), the
templates do the rest. Charts are drawn only from numbers the documents give.

- ``references``: numbered reference lists, citations rendered once per build;
- ``contexts``: template contexts of trials, findings, audit trails;
- ``charts``: SVG median bars and forest plots;
- ``record_pages``: topic and trial pages (reused across snapshots while unchanged);
- ``snapshot_pages``: the index and the changelog of one snapshot.
"""

from .record_pages import RecordPages
from .snapshot_pages import change_row, changes_page, index_page

__all__ = ["RecordPages", "change_row", "changes_page", "index_page"]
