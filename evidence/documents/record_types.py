"""The record-type registry: one entry per record type with everything the code needs about it.

Every module that varies by record type (validation, the projection, the API's routes and
serializers, the seed loader, publishing) asks the registry instead of keeping its own list of
types: ``get("trial").plural``, ``names()``, ``in_creation_order()``, ``for_seed_file(...)``.
Behaviour that really differs by type stays in its module, reached by per-type dispatch that a
type without such behaviour leaves alone: the semantic checks (``check_<type>`` of
``validation.SemanticChecker``), the item rows of trials and topics (``_<type>_items`` of
``curation.projection.rows.RowBuilder`` and ``curation.projection.live.ITEM_TABLES``), the
published pages (``pages=True``: ``publishing.build``), the API's list views and summaries
(``evidence.api``) and the admin's columns (``curation.admin.records``).

Two orders matter and both are part of the published bytes:

- registration order (``names()``): the keys of ``evidence.json``, the order of ``changes.json``,
  the API's list routes;
- creation order (``in_creation_order()``, by ``creation_rank``): records referred to before the
  records referring to them, for projecting and rebuilding (citations, interventions, trials,
  topics).

To add a record type:

1. write its document model (a ``Document`` in its own module of this package);
2. write its read model in ``evidence/models.py`` (a ``Record`` with ``record_type`` set), and
   a migration;
3. add a ``RecordType`` to ``BUILT_IN`` below: name, document model, read model, the columns
   its read model takes from a document, its creation rank, and, where they apply, its seed
   data file and whether it has findings or published pages;
4. give it what is really its own, where the type needs it: semantic checks, item rows, pages,
   an API list view and summary serializer (``evidence/api/``), an admin (``curation/admin/``).

``register(entry)`` / ``unregister(name)`` (or the ``registered(entry)`` context manager) add a
type at run time; the tests add a fifth type that way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .citation import CitationDocument
from .common import Document
from .intervention import InterventionDocument
from .topic import TopicDocument
from .trial import TrialDocument


@dataclass(frozen=True)
class RecordType:
    """Everything the code needs to know about one record type."""

    name: str
    """"trial": the stream type of its events and the record_type of its change requests."""
    document_model: type[Document]
    read_model: str | type
    """The read model, as "app_label.Model" (resolved lazily: evidence.models imports this
    package) or the model class itself."""
    columns: Callable[[dict[str, Any]], dict[str, Any]]
    """The read model's own columns from a (canonical) document; the columns every record
    shares (id, slug, version, ...) come from the event."""
    creation_rank: int
    """Records of a lower rank are created first: what is referred to before what refers to
    it."""
    plural: str = ""
    """In URLs, published folders and file keys ("trials"); default: name + "s"."""
    label: str = ""
    """Singular name as readers and editors see it; default: the name."""
    label_plural: str = ""
    """Plural name as readers and editors see it; default: the plural."""
    url_name: str = ""
    """Prefix of its URL names ("trial-list", "trial-detail"); default: the name."""
    seed_data: str | None = None
    """Its seed data in ``evidence/seed_data/``: one file with a list of documents
    ("citations.json") or a folder with one document per file ("trials/")."""
    findings: bool = False
    """Its documents have findings (published in evidence.json's "findings")."""
    pages: bool = False
    """Published snapshots have an HTML page per record, at ``page_path(slug)``."""
    record_files: bool = False
    """Published snapshots have a JSON file per record, at ``record_file_path(slug)``."""

    def __post_init__(self) -> None:
        plural = self.plural or f"{self.name}s"
        object.__setattr__(self, "plural", plural)
        object.__setattr__(self, "label", self.label or self.name)
        object.__setattr__(self, "label_plural", self.label_plural or plural)
        object.__setattr__(self, "url_name", self.url_name or self.name)

    @property
    def model(self) -> type:
        """The read model class."""
        if isinstance(self.read_model, str):
            from django.apps import apps

            return apps.get_model(self.read_model)
        return self.read_model

    def page_path(self, slug: str) -> str:
        return f"{self.plural}/{slug}.html"

    def record_file_path(self, slug: str) -> str:
        return f"{self.plural}/{slug}.json"


# The read-model columns of the built-in types ---------------------------------------------------


def _topic_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {"title": doc["title"], "condition": doc["condition"]}


def _intervention_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": doc["name"],
        "generic_name": doc["generic_name"],
        "brand_names": doc.get("brand_names", []),
        "drug_class": doc.get("drug_class") or "",
    }


def _citation_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": doc["kind"],
        "title": doc["title"],
        "journal": doc.get("journal") or "",
        "year": doc.get("year"),
        "doi": doc.get("doi") or "",
        "pmid": doc.get("pmid") or "",
    }


def phases_text(phases: list[str]) -> str:
    """The phases as one lookup column: each between spaces (" 2 3 "), so a filter for a
    phase matches the whole phase (" 3 " is not in " 2/3 ")."""
    return f" {' '.join(phases)} " if phases else ""


def _trial_columns(doc: dict[str, Any]) -> dict[str, Any]:
    registry_ids = doc.get("registry_ids", [])
    return {
        "name": doc["name"],
        "phases": doc.get("phases", []),
        "phases_text": phases_text(doc.get("phases", [])),
        "setting": doc.get("setting") or "",
        "enrollment": doc.get("enrollment"),
        "registry_ids": registry_ids,
        "registry_ids_text": " ".join(r["id"] for r in registry_ids),
    }


# In registration order, which evidence.json's keys and changes.json's order follow.
BUILT_IN = (
    RecordType(
        name="topic",
        document_model=TopicDocument,
        read_model="evidence.Topic",
        columns=_topic_columns,
        creation_rank=3,
        seed_data="topics.json",
        findings=True,
        pages=True,
    ),
    RecordType(
        name="intervention",
        document_model=InterventionDocument,
        read_model="evidence.Intervention",
        columns=_intervention_columns,
        creation_rank=1,
        seed_data="interventions.json",
    ),
    RecordType(
        name="citation",
        document_model=CitationDocument,
        read_model="evidence.Citation",
        columns=_citation_columns,
        creation_rank=0,
        seed_data="citations.json",
    ),
    RecordType(
        name="trial",
        document_model=TrialDocument,
        read_model="evidence.Trial",
        columns=_trial_columns,
        creation_rank=2,
        seed_data="trials/",
        findings=True,
        pages=True,
        record_files=True,
    ),
)


@dataclass
class Registry:
    """The record types by name, in registration order."""

    entries: dict[str, RecordType] = field(default_factory=dict)

    def register(self, entry: RecordType) -> RecordType:
        if entry.name in self.entries:
            raise ValueError(f"record type {entry.name!r} is registered already")
        for other in self.entries.values():
            if other.plural == entry.plural:
                raise ValueError(f"record types {other.name!r} and {entry.name!r} share a plural")
        self.entries[entry.name] = entry
        return entry

    def unregister(self, name: str) -> None:
        del self.entries[name]

    @contextmanager
    def registered(self, entry: RecordType) -> Iterator[RecordType]:
        """``entry`` registered for the duration of the block (tests)."""
        self.register(entry)
        try:
            yield entry
        finally:
            self.unregister(entry.name)

    def get(self, name: str) -> RecordType:
        """The entry of a record type; KeyError for an unknown name."""
        return self.entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[RecordType]:
        return iter(tuple(self.entries.values()))

    def names(self) -> tuple[str, ...]:
        return tuple(self.entries)

    def in_creation_order(self) -> list[RecordType]:
        """Referred-to types before the types referring to them (stable for equal ranks)."""
        return sorted(self.entries.values(), key=lambda entry: entry.creation_rank)

    def for_seed_file(self, path: str) -> RecordType:
        """The type of a seed data file, by its path inside ``evidence/seed_data/``."""
        for entry in self.entries.values():
            seed = entry.seed_data
            if seed and (path == seed or (seed.endswith("/") and path.startswith(seed))):
                return entry
        raise ValueError(f"no record type has the seed data file {path!r}")


REGISTRY = Registry()
for _entry in BUILT_IN:
    REGISTRY.register(_entry)

# The lookups every module makes; registering and the rest go through REGISTRY.
get = REGISTRY.get
names = REGISTRY.names
in_creation_order = REGISTRY.in_creation_order


class _ByType(Mapping):
    """record type -> something read off its entry, following the registry as it changes."""

    def __init__(self, read: Callable[[RecordType], Any]) -> None:
        self._read = read

    def __getitem__(self, name: str) -> Any:
        return self._read(REGISTRY.get(name))

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY.names())

    def __len__(self) -> int:
        return len(REGISTRY.entries)


def by_type(read: Callable[[RecordType], Any]) -> Mapping[str, Any]:
    """A read-only mapping record type -> ``read(entry)`` that follows the registry."""
    return _ByType(read)


# Derived names, for the code and tests that read them. RECORD_TYPES is the types registered
# at import (code that must see types registered later calls ``names()``); DOCUMENT_MODELS
# follows the registry.
RECORD_TYPES: tuple[str, ...] = REGISTRY.names()
DOCUMENT_MODELS: Mapping[str, type[Document]] = by_type(lambda entry: entry.document_model)
