"""The record types and the tables keyed by them, kept together in this one place.

Everything in this package that varies by record type looks it up here (or, for the semantic
checks, by the ``check_<record_type>`` methods of ``validation.SemanticChecker`` and the
branches of ``references.referenced_slugs``). A record-type registry is to replace these
tables later; until then, a new record type starts here.
"""

from __future__ import annotations

from .citation import CitationDocument
from .common import Document
from .intervention import InterventionDocument
from .topic import TopicDocument
from .trial import TrialDocument

RECORD_TYPES = ("topic", "intervention", "citation", "trial")

DOCUMENT_MODELS: dict[str, type[Document]] = {
    "topic": TopicDocument,
    "intervention": InterventionDocument,
    "citation": CitationDocument,
    "trial": TrialDocument,
}
