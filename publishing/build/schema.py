"""JSON Schema (2020-12) of ``evidence.json``, built from the document models' own schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from evidence.documents import document_json_schema, record_types

from .entries import finding_owner_types
from .files import dumps

# The order in which "required" has listed the first four collections since the first
# snapshot (published schema.json bytes depend on it); other types follow in registry order.
_FIRST_REQUIRED = ("topics", "interventions", "trials", "citations")


def _required_order(plural: str) -> tuple[int, int]:
    if plural in _FIRST_REQUIRED:
        return (0, _FIRST_REQUIRED.index(plural))
    return (1, 0)  # sorted() is stable: registry order


def schema_json() -> bytes:
    return _schema_json(record_types.names())


@cache  # the same for every build with the same record types; generating it leaves cycles
def _schema_json(names: tuple[str, ...]) -> bytes:
    return dumps(evidence_schema())


def evidence_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of evidence.json, from the document models' own schemas."""
    defs: dict[str, Any] = {}
    document_refs = {}
    plurals = {entry.name: entry.plural for entry in record_types.REGISTRY}
    for record_type in plurals:
        schema = document_json_schema(record_type)
        for name, definition in schema.pop("$defs", {}).items():
            if name in defs and defs[name] != definition:
                raise RuntimeError(f"two different schemas are both called {name}")
            defs[name] = definition
        defs[schema["title"]] = schema
        document_refs[record_type] = {"$ref": f"#/$defs/{schema['title']}"}
    nullable_int = {"type": ["integer", "null"]}
    version = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "position",
            "version",
            "type",
            "change_request",
            "proposer",
            "approver",
            "approved_at",
            "rationale",
            "changed_fields",
        ],
        "properties": {
            "position": {"type": "integer", "minimum": 1},
            "version": {"type": "integer", "minimum": 1},
            "type": {"enum": ["created", "revised", "retracted"]},
            "change_request": nullable_int,
            "proposer": {"type": "string"},
            "approver": {"type": "string"},
            "approved_at": {"type": "string", "format": "date-time"},
            "rationale": {"type": "string"},
            "changed_fields": {
                "description": "Paths of the fields this version changed; null when created.",
                "type": ["array", "null"],
                "items": {"type": "string"},
            },
        },
    }
    defs["Version"] = version
    provenance_keys = [
        "version",
        "position",
        "change_request",
        "proposer",
        "approver",
        "approved_at",
    ]
    defs["Provenance"] = {
        "type": "object",
        "additionalProperties": False,
        "required": provenance_keys,
        "properties": {key: version["properties"][key] for key in provenance_keys},
    }

    def record(record_type: str) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "record_type",
                "id",
                "slug",
                "version",
                "provenance",
                "history",
                "document",
            ],
            "properties": {
                "record_type": {"const": record_type},
                "id": {"type": "string", "format": "uuid"},
                "slug": {"type": "string"},
                "version": {"type": "integer", "minimum": 1},
                "provenance": {"$ref": "#/$defs/Provenance"},
                "history": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Version"}},
                "document": document_refs[record_type],
            },
        }

    finding_schema = defs["Finding"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Published evidence (evidence.json)",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "snapshot",
            *sorted(plurals.values(), key=_required_order),
            "findings",
        ],
        "properties": {
            "snapshot": {
                "type": "object",
                "additionalProperties": False,
                "required": ["seq", "position", "as_of"],
                "properties": {
                    "seq": {"type": "integer", "minimum": 1},
                    "position": {"type": "integer", "minimum": 0},
                    "as_of": {"type": ["string", "null"], "format": "date-time"},
                },
            },
            **{plural: {"type": "array", "items": record(t)} for t, plural in plurals.items()},
            "findings": {
                "description": "Every finding of every topic and trial, with its owner.",
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        *finding_schema.get("required", []),
                        "owner_type",
                        "owner",
                        "order",
                    ],
                    "properties": {
                        **finding_schema["properties"],
                        "owner_type": {"enum": finding_owner_types()},
                        "owner": {"type": "string"},
                        "order": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
        "$defs": defs,
    }
