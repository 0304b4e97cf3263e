"""Narrative consistency of the live evidence (the rules are ``evidence.narratives``):

- ``narrative_warnings(cr)``: the prose of the record a change request changes, and of the
  topics that show it, that still quotes a number the request changes; the review page, the
  API's change-request detail and the approval's review record show them;
- ``corpus_report()``: every number in the prose of every live trial and topic (the record
  types with results and findings) that matches no structured value of it (a topic: nor of
  the trials it shows), for ``check_narratives``.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import connection
from django.db.models import Q

from evidence.documents import record_types, referenced_slugs
from evidence.models import RECORD_MODELS, Topic
from evidence.narratives import (
    changed_numbers,
    numbers_changed_by,
    prose_of,
    quotes_of,
    unmatched_numbers,
)

from .models import ChangeRequest


def _may_show(slug: str) -> Q:
    """Topics whose document may list the trial ``slug`` (a section's or a finding's trials):
    a JSON containment filter on PostgreSQL, none elsewhere; ``topics_showing`` checks."""
    if connection.vendor != "postgresql":
        return Q()
    return Q(document__contains={"sections": [{"trials": [slug]}]}) | Q(
        document__contains={"findings": [{"trials": [slug]}]}
    )


def _shows(topic: Topic, slug: str) -> bool:
    return slug in referenced_slugs("topic", topic.document).get("trial", ())


def topics_showing(record_type: str, slug: str) -> list[Topic]:
    """Live topics whose sections or findings show the record (trials only have that)."""
    if record_type != "trial":
        return []
    candidates = Topic.objects.filter(_may_show(slug)).only("slug", "document").order_by("slug")
    return [topic for topic in candidates if _shows(topic, slug)]


class TopicsShowing:
    """``topics_showing`` for many trials (a batch): every topic read once, when first asked."""

    def __init__(self) -> None:
        self.topics: list[Topic] | None = None

    def __call__(self, record_type: str, slug: str) -> list[Topic]:
        if record_type != "trial":
            return []
        if self.topics is None:
            self.topics = list(Topic.objects.only("slug", "document").order_by("slug"))
        return [topic for topic in self.topics if _shows(topic, slug)]


def narrative_warnings(
    cr: ChangeRequest, topics=topics_showing, pairs: list | None = None
) -> list[dict[str, Any]]:
    """[{record, path, sentence, old, new}] for every sentence that still quotes a number the
    request changes: in the proposed document itself, then in each topic that shows it
    (``topics``: ``topics_showing``, or a ``TopicsShowing`` read once for a batch).
    ``pairs``: the request's ``changed_numbers`` when the caller knows them
    (``known_changed_numbers``)."""
    if cr.document is None or cr.base_document is None:
        return []  # a new record has no old numbers; a retracted one no prose left
    if pairs is None:
        pairs = changed_numbers(cr.base_document, cr.document)
    if not pairs:
        return []  # no number changed: no prose can quote one (and no topic is read)
    texts = [(f"{cr.record_type}:{cr.record_slug}", prose_of(cr.document, cr.record_type))]
    for topic in topics(cr.record_type, cr.record_slug):
        texts.append((f"topic:{topic.slug}", prose_of(topic.document, "topic")))
    return [
        {"record": record, **quote.as_dict()}
        for record, prose in texts
        for quote in quotes_of(pairs, prose)
    ]


def known_changed_numbers(
    cr: ChangeRequest,
    before: Any,
    after: Any,
    changes: list[dict[str, Any]],
    after_is_document: bool = False,
) -> list | None:
    """``changed_numbers(cr.base_document, cr.document)`` without diffing them again, when the
    approval's own diff tells: ``changes`` is the diff from ``before`` (the record's current
    document) to ``after`` (the document approved). None when it does not tell.

    A diff depends on its two documents' values, their types (1, 1.0 and true differ in JSON)
    and their key order (its changes follow the keys). The same documents, key order too:
    the same diff, so the same pairs in the same order. The same documents but for key
    order: the same changes in another order, so the same pairs only when there are none
    (the order of several decides the order of the warnings). ``after_is_document``: the
    caller knows ``after`` is the same JSON as ``cr.document`` but perhaps for key order."""
    if cr.document is None or cr.base_document is None:
        return None
    pairs = numbers_changed_by(changes)
    if not pairs:  # the same documents but for key order will do (in order is the same too)
        same_after = after_is_document or _same(after, cr.document)
        return [] if same_after and _same(before, cr.base_document) else None
    if _same(before, cr.base_document, ordered=True) and _same(after, cr.document, ordered=True):
        return pairs
    return None


def _same(a: Any, b: Any, *, ordered: bool = False) -> bool:
    """Whether ``a`` and ``b`` are the same JSON: values and types (and key order if
    ``ordered``), as orjson writes them."""
    if a is b:  # one object (a batch's base document is its record's): nothing to write out
        return True
    option = 0 if ordered else orjson.OPT_SORT_KEYS
    try:
        return orjson.dumps(a, option=option) == orjson.dumps(b, option=option)
    except TypeError:  # not orjson's to say (a very large integer): never the same here
        return False


def corpus_report() -> list[dict[str, Any]]:
    """[{record, path, number, sentence}] of prose numbers that match no structured value."""
    report = []
    trials = {t.slug: t.document for t in RECORD_MODELS["trial"].objects.only("slug", "document")}
    for record_type, model in RECORD_MODELS.items():
        if not record_types.get(record_type).findings:
            continue  # citations and interventions describe a source or a drug, no results
        for record in model.objects.only("slug", "document").order_by("slug"):
            related = []
            if record_type == "topic":
                shown = referenced_slugs("topic", record.document).get("trial", ())
                related = [trials[slug] for slug in sorted(shown) if slug in trials]
            for path, quoted, sentence in unmatched_numbers(record.document, related, record_type):
                report.append(
                    {
                        "record": f"{record_type}:{record.slug}",
                        "path": path,
                        "number": quoted.written,
                        "sentence": sentence,
                    }
                )
    return report
