"""Projects events into the evidence read models.

``apply(event)`` runs inline, in the approval's transaction. ``rebuild()`` empties the read
models and replays the whole log; the result is identical to the live read models (tested).

- ``rows``: the one document -> rows mapping (``RowBuilder``: plain column dicts);
- ``writers``: ``OrmWriter`` (live, and SQLite) and ``CopyWriter`` (PostgreSQL COPY);
- ``live``: ``apply``, with simple-history's audit entry;
- ``rebuild``: the replay, one SQL pass over the log and bulk loads.
"""

from .live import apply, apply_many
from .rebuild import ALL_READ_MODELS, RebuildReport, ReplayError, rebuild

__all__ = ["ALL_READ_MODELS", "RebuildReport", "ReplayError", "apply", "apply_many", "rebuild"]
