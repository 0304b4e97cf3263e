"""What the import tests check around every refusal: nothing was written."""

from __future__ import annotations

from curation.models import ChangeRequest, Event, ImportedSource, Review, SourceDocument


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (ChangeRequest, Review, Event, SourceDocument, ImportedSource)
    }
