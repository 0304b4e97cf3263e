"""A change request's history rows, without a copy of its documents on every step.

Every step of a request (proposed, edited, submitted, claimed, approved, ...) writes a
history row. An approval changes no document, and a batch approves thousands of requests
at once: copying their two documents (tens of kilobytes each, stored out of line) into every
approval's row was a sixth of a batch's writes and a third of its WAL. So an approval's row
leaves them out (``documents_kept`` false, documents NULL: NULL alone could not tell a
left-out document from a request without one), and whoever shows the row shows the
documents of the request's latest earlier row that kept them: the documents as they stood,
since every write that changes a request's documents writes a row that keeps them (every
writer but ``services.closing`` keeps them, by the column's default).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from django.db import models
from simple_history.models import HistoricalRecords

DOCUMENTS = ("base_document", "document")


class KeptDocuments(models.Model):
    """The column a history row says whether it holds the request's documents by. The
    database's default keeps them: writers that name only the request's columns (the
    proposal's and the import's INSERT ... SELECT) write rows that keep them."""

    documents_kept = models.BooleanField(default=True, db_default=True)

    class Meta:
        abstract = True


class ChangeRequestHistory(HistoricalRecords):
    """simple-history's records for change requests: a row's ``instance`` (the admin's page
    of one version) has the documents of that version, also on a row that left them out."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", [KeptDocuments])
        super().__init__(*args, **kwargs)

    def get_extra_fields(self, model, fields):
        extra = super().get_extra_fields(model, fields)
        plain = extra["instance"].fget

        def instance(historical):
            with_documents([historical])
            return plain(historical)

        extra["instance"] = property(instance)
        return extra


def with_documents(rows: Iterable[models.Model]) -> None:
    """Give the history rows that left their documents out those of their request's latest
    earlier row that kept them (in place; one query for all of them, none if every row kept
    its documents)."""
    missing = [row for row in rows if not row.documents_kept]
    if not missing:
        return
    history = type(missing[0])
    kept: dict[int, tuple[list[int], list[tuple]]] = {}
    for pk, history_id, *documents in (
        history.objects.filter(
            id__in={row.id for row in missing},
            history_id__lt=max(row.history_id for row in missing),
            documents_kept=True,
        )
        .order_by("id", "history_id")
        .values_list("id", "history_id", *DOCUMENTS)
    ):
        ids, values = kept.setdefault(pk, ([], []))
        ids.append(history_id)
        values.append(documents)
    for row in missing:
        ids, values = kept.get(row.id, ([], []))
        at = bisect_left(ids, row.history_id)
        if at == 0:  # no earlier row kept them: nothing to show but what the row holds
            continue
        for name, value in zip(DOCUMENTS, values[at - 1], strict=True):
            setattr(row, name, value)
        row.documents_kept = True
