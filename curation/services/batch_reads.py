"""What a batch approval reads before it decides: the requests, row-locked, and the current
version and document of the records they touch.

A revision's base document is most often the record's document as its read-model row holds
it (the request was proposed on the current version): then it is not sent from the server a
second time. The request's row comes without it, and it is the record's document read for
the batch (the same JSON text, so the same values, types and key order).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from evidence.documents import record_types, upcast

from .. import bulk, eventstore
from ..models import ChangeRequest, Event
from ..roundtrip import Together, raw_instances, select_rows

Action = ChangeRequest.Action


def record_image(request: str = "c", column: str = "r.document::text") -> tuple[str, list]:
    """SQL (and its parameters): ``column`` of the request ``request``'s record's read-model
    row ``r`` (looked up by primary key), NULL where there is none.

    A scalar subquery per request, not a join or ``EXISTS``: the planner may turn those into
    a hashed subplan that scans the whole read-model table and casts every record's document
    to text (two seconds a batch at 100,000 records, where this reads one row a request)."""
    cases, params = [], []
    for entry in record_types.in_creation_order():
        table = connection.ops.quote_name(entry.model._meta.db_table)
        cases.append(
            f"WHEN %s THEN (SELECT {column} FROM {table} AS r "  # noqa: S608
            f"WHERE r.id = {request}.record_id)"
        )
        params.append(entry.name)
    return f"CASE {request}.record_type {' '.join(cases)} END", params


def _requests_sql(ids: list[int]) -> tuple[str, list]:
    """The requests' rows (``raw_instances``' columns), row-locked, a base document equal to
    the record's row left out (NULL), then whether it was (compared once a request), and
    the record's row's version and document as JSON text (``Records`` reads no more)."""
    table = connection.ops.quote_name(ChangeRequest._meta.db_table)
    image, image_params = record_image("c")
    version, version_params = record_image("c", "r.version")
    columns = [
        "CASE WHEN s.same THEN NULL ELSE c.base_document END"
        if f.attname == "base_document"
        else f"c.{connection.ops.quote_name(f.column)}"
        for f in ChangeRequest._meta.concrete_fields
    ]
    sql = (
        f"SELECT {', '.join(columns)}, s.same, s.version, s.image "  # noqa: S608 - our names
        f"FROM {table} AS c CROSS JOIN LATERAL (SELECT i.image, i.version, "
        "COALESCE(i.image = c.base_document::text, FALSE) AS same "
        f"FROM (SELECT {image} AS image, {version} AS version OFFSET 0) AS i) AS s "
        "WHERE c.id = ANY(%s) FOR UPDATE OF c"
    )
    return sql, [*image_params, *version_params, [ids]]


def locked_requests(ids: list[int]) -> dict[int, ChangeRequest]:
    """The requests by id, row-locked, with their author: one round trip on PostgreSQL, rows
    made into instances without compiling a query (``roundtrip``). A request whose base
    document is its record's row's has ``base_is_record`` set and no base document yet
    (``Records`` gives it)."""
    if connection.vendor != "postgresql":
        return ChangeRequest.objects.select_for_update().select_related("author").in_bulk(ids)
    together = Together()
    together.add(bulk.LZ4_FOR_THIS_TRANSACTION)
    requests = together.add(_requests_sql(ids))
    authors = together.add(
        select_rows(
            get_user_model(),
            f"id IN (SELECT author_id FROM {ChangeRequest._meta.db_table} "  # noqa: S608
            "WHERE id = ANY(%s))",
            [ids],
        )
    )
    answers = together.run()
    by_id = {user.pk: user for user in raw_instances(get_user_model(), answers[authors])}
    found = {}
    rows = answers[requests]
    made = raw_instances(ChangeRequest, [row[:-3] for row in rows], fast_json=True)
    for cr, row in zip(made, rows, strict=True):
        cr.author = by_id[cr.author_id]
        cr.base_is_record, version, image = row[-3:]
        cr.record_image = None if image is None else (version, image)
        cr.json_read = True  # its documents decoded from JSON text: JSON values only
        found[cr.pk] = cr
    return found


class Records:
    """The current version and document of the records a batch touches, read in bulk and
    kept up to date as the batch appends."""

    def __init__(self, batch: eventstore.Batch, requests: list[ChangeRequest]):
        streams = {(cr.record_type, cr.record_id) for cr in requests}
        batch.prefetch(streams)
        self.batch = batch
        self.documents: dict[tuple[str, Any], dict | None] = {}
        images: dict[tuple[str, Any], dict] = {}  # every read-model row's document read
        for key, version, text in _images(requests, streams):
            if key in images:
                continue  # another request on the record brought it too
            # The documents as JSON text, decoded by orjson (Django's JSONField decodes with
            # the standard library, several times slower for thousands of documents).
            images[key] = document = orjson.loads(text)
            if version == batch.version(*key):
                self.documents[key] = document
        # The base documents not sent again: the same object as the record's (documents are
        # never changed in place), which also tells ``narratives`` they are the same.
        for cr in requests:
            if getattr(cr, "base_is_record", False):
                cr.base_document = images[(cr.record_type, cr.record_id)]
        # The records whose rows in the tables are those of the document read here: until
        # the batch's first event on one is projected (``first_projection``).
        self.in_tables = set(self.documents)
        creates = [cr for cr in requests if cr.action == Action.CREATE]
        self.slugs = {
            (t, s)
            for t, s in Event.objects.filter(
                slug__in={cr.record_slug for cr in creates},
                stream_type__in={cr.record_type for cr in creates},
            ).values_list("stream_type", "slug")
        }

    def current(self, cr: ChangeRequest) -> tuple[int, dict | None]:
        """The record's current version and document (None: it has none, or is new)."""
        from .. import selectors

        key = (cr.record_type, cr.record_id)
        version = self.batch.version(*key)
        if version and key not in self.documents:  # retracted, or a read model behind
            self.documents[key] = selectors.document_at_version(*key, version)
        return version, self.documents.get(key)

    def first_projection(self, cr: ChangeRequest, current_doc: dict | None) -> dict:
        """``{stream id: current_doc}`` (upcast) for the batch's first event on a record whose
        rows are in the tables as ``current_doc`` gives them, else ``{}``: the projection
        then keeps the item rows the new document gives alike (``projection.apply_many``'s
        ``previous``), as ``approve`` does."""
        key = (cr.record_type, cr.record_id)
        if key not in self.in_tables or current_doc is None:
            return {}
        self.in_tables.discard(key)
        return {cr.record_id: upcast(cr.record_type, current_doc)}

    def record(self, event: Event) -> None:
        self.documents[(event.stream_type, event.stream_id)] = event.document
        self.slugs.add((event.stream_type, event.slug))


def _images(requests: list[ChangeRequest], streams: set) -> Iterator[tuple[tuple, int, str]]:
    """(record type and id, version, document as JSON text) of the records' read-model rows:
    as ``locked_requests`` read them with the requests (PostgreSQL), else read now."""
    if all(hasattr(cr, "record_image") for cr in requests):
        for cr in requests:
            if cr.record_image is not None:
                yield (cr.record_type, cr.record_id), *cr.record_image
        return
    for record_type in {t for t, _ in streams}:
        rows = (
            record_types.get(record_type)
            .model.objects.filter(id__in=[i for t, i in streams if t == record_type])
            .annotate(text=Cast("document", TextField()))
            .values_list("id", "version", "text")
        )
        for id_, version, text in rows:
            yield (record_type, id_), version, text
