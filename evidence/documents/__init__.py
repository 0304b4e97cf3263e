"""The record documents: one validated JSON document per record.

A record's full state is one document. The same shape is what the API returns, what a change
request proposes, what an event carries and what a snapshot publishes, so a client can GET a
record, change a field and propose it back.

The package, by job:

- ``limits``: how large documents and their parts may be (also the read-model column sizes),
  and the bounded types fields are declared with;
- ``text``: characters no document or free text may hold; ``paths``: error paths;
- ``choices``: the controlled vocabularies (``Literal`` types) and ``literal_values`` to read
  a vocabulary back; ``vocabulary``: what readers and editors call each value (one table per
  vocabulary, ``labels_of`` a field, ``capitalised`` for a drop-down option);
- ``common`` (the base model, findings), ``trial``, ``citation``, ``intervention``, ``topic``:
  the document models;
- ``record_types``: the record-type registry (one entry per type: document and read model,
  plural, labels, seed data, orders, pages); ``RECORD_TYPES`` and ``DOCUMENT_MODELS`` derive
  from it;
- ``validation``: ``validate_document``, ``DocumentInvalid`` and the semantic checks (those of
  a trial's results in ``result_checks``);
- ``references``: ``referenced_slugs``; ``schema``: ``document_json_schema``;
- ``upcasting``: schema versions, and the upcasters that turn a document of an older version
  (as the log may hold) into the current shape.

Every name other modules import from ``evidence.documents`` is re-exported here, so
``from evidence.documents import validate_document`` and ``docs.MAX_ARMS`` keep working.
"""

from __future__ import annotations

from . import record_types
from .choices import (
    TIME_UNITS,
    Allocation,
    ArmRole,
    CitationKind,
    CodingSystem,
    ComparisonKind,
    ComparisonUnit,
    ConductNoteKind,
    DateType,
    DesignModel,
    DispersionKind,
    Endpoint,
    FindingKind,
    MaskedRole,
    Masking,
    Measure,
    MissingReason,
    OutcomeType,
    OutcomeUnit,
    PValueComparator,
    Qualifier,
    Registry,
    Sides,
    TimeUnit,
    TreatmentPhase,
    TrialPhase,
    TrialSetting,
    literal_values,
)
from .citation import CitationDocument
from .common import Document, Finding, RecordDocument
from .intervention import InterventionDocument
from .limits import (
    COUNT_MAX,
    DOI_MAX_LENGTH,
    EXACT_INTEGER_MAX,
    KEY_MAX_LENGTH,
    KEY_PATTERN,
    MAX_ARMS,
    MAX_AUTHORS,
    MAX_BRAND_NAMES,
    MAX_COMPARISONS,
    MAX_CONDUCT_NOTES,
    MAX_FINDINGS,
    MAX_LINKS,
    MAX_OUTCOMES,
    MAX_PARAGRAPHS,
    MAX_REGIMEN_PARTS,
    MAX_REGISTRY_IDS,
    MAX_SECTIONS,
    MAX_TOPIC_CITATIONS,
    REGISTRY_ID_MAX_LENGTH,
    REGISTRY_IDS_TEXT_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    SLUG_PATTERN,
    TEXT_MAX_LENGTH,
    URL_MAX_LENGTH,
    AnyShortText,
    AnyText,
    Count,
    Key,
    Number,
    ShortText,
    Slug,
    Text,
    items,
)
from .paths import format_path
from .record_types import DOCUMENT_MODELS, RECORD_TYPES, RecordType
from .references import referenced_slugs
from .schema import document_json_schema
from .text import FORBIDDEN_CHARACTERS, forbidden_character, forbidden_character_errors
from .topic import TopicDocument, TopicSection
from .trial import (
    Arm,
    ArmValue,
    Comparison,
    Condition,
    ConductNote,
    Design,
    Dispersion,
    Outcome,
    PartialDate,
    RegimenComponent,
    RegistryId,
    Source,
    Timepoint,
    TrialDates,
    TrialDocument,
)
from .upcasting import CURRENT_SCHEMA_VERSION, UpcastError, schema_version_of, upcast
from .validation import DocumentInvalid, ReferenceChecker, SemanticChecker, validate_document
from .vocabulary import ENDPOINT_LABELS, SETTING_LABELS, VOCABULARIES, capitalised, labels_of

__all__ = [
    # record_types: the record-type registry
    "DOCUMENT_MODELS",
    "RECORD_TYPES",
    "RecordType",
    "record_types",
    # limits
    "COUNT_MAX",
    "DOI_MAX_LENGTH",
    "EXACT_INTEGER_MAX",
    "KEY_MAX_LENGTH",
    "KEY_PATTERN",
    "MAX_ARMS",
    "MAX_AUTHORS",
    "MAX_BRAND_NAMES",
    "MAX_COMPARISONS",
    "MAX_CONDUCT_NOTES",
    "MAX_FINDINGS",
    "MAX_LINKS",
    "MAX_OUTCOMES",
    "MAX_PARAGRAPHS",
    "MAX_REGIMEN_PARTS",
    "MAX_REGISTRY_IDS",
    "MAX_SECTIONS",
    "MAX_TOPIC_CITATIONS",
    "REGISTRY_IDS_TEXT_MAX_LENGTH",
    "REGISTRY_ID_MAX_LENGTH",
    "SHORT_TEXT_MAX_LENGTH",
    "SLUG_MAX_LENGTH",
    "SLUG_PATTERN",
    "TEXT_MAX_LENGTH",
    "URL_MAX_LENGTH",
    "AnyShortText",
    "AnyText",
    "Count",
    "Key",
    "Number",
    "ShortText",
    "Slug",
    "Text",
    "items",
    # text, paths
    "FORBIDDEN_CHARACTERS",
    "forbidden_character",
    "forbidden_character_errors",
    "format_path",
    # choices
    "TIME_UNITS",
    "Allocation",
    "ArmRole",
    "CitationKind",
    "CodingSystem",
    "ComparisonKind",
    "ComparisonUnit",
    "ConductNoteKind",
    "DateType",
    "DesignModel",
    "DispersionKind",
    "Endpoint",
    "FindingKind",
    "MaskedRole",
    "Masking",
    "Measure",
    "MissingReason",
    "OutcomeType",
    "OutcomeUnit",
    "PValueComparator",
    "Qualifier",
    "Registry",
    "Sides",
    "TimeUnit",
    "TreatmentPhase",
    "TrialPhase",
    "TrialSetting",
    "literal_values",
    # vocabulary (the other tables: ``evidence.documents.vocabulary``)
    "ENDPOINT_LABELS",
    "SETTING_LABELS",
    "VOCABULARIES",
    "capitalised",
    "labels_of",
    # models
    "Arm",
    "ArmValue",
    "CitationDocument",
    "Comparison",
    "Condition",
    "ConductNote",
    "Design",
    "Dispersion",
    "Document",
    "Finding",
    "InterventionDocument",
    "Outcome",
    "PartialDate",
    "RecordDocument",
    "RegimenComponent",
    "RegistryId",
    "Source",
    "Timepoint",
    "TopicDocument",
    "TopicSection",
    "TrialDates",
    "TrialDocument",
    # upcasting: schema versions
    "CURRENT_SCHEMA_VERSION",
    "UpcastError",
    "schema_version_of",
    "upcast",
    # validation, references, schema
    "DocumentInvalid",
    "ReferenceChecker",
    "SemanticChecker",
    "document_json_schema",
    "referenced_slugs",
    "validate_document",
]
