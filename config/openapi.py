"""Postprocessing of the OpenAPI schema (drf-spectacular hook), so that generated clients take
it as it is.

- pydantic gives every document model a ``title`` ("TrialDocument"); with request and response
  components split, the request component kept the response's title, and client generators
  name models by title: two models of one name, and the endpoints that use them dropped. Titles
  say nothing the component names do not, so schema objects lose them (a *property* named
  ``title``, such as a citation's, stays).
- drf-spectacular writes OpenAPI 3.0's ``nullable: true`` for some fields (the paginators'
  ``next`` and ``previous``); in OpenAPI 3.1 (JSON Schema) that keyword means nothing and a real
  ``null`` fails validation. It becomes ``"type": [..., "null"]`` (or ``oneOf`` with
  ``{"type": "null"}`` where there is no type).
"""

from __future__ import annotations

from typing import Any

# Keywords whose value is a map of names to schemas: the names are field names, not keywords.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def _clean(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            cleaned[key] = {name: _clean(sub) for name, sub in value.items()}
        else:
            cleaned[key] = _clean(value)
    if cleaned.pop("nullable", False) is True:
        kind = cleaned.get("type")
        if isinstance(kind, str):
            cleaned["type"] = [kind, "null"]
        elif isinstance(kind, list):
            cleaned["type"] = [*kind, *([] if "null" in kind else ["null"])]
        else:
            cleaned = {"oneOf": [cleaned, {"type": "null"}]}
    return cleaned


def clean_for_generators(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: every component schema cleaned."""
    components = result.get("components", {})
    if "schemas" in components:
        components["schemas"] = {
            name: _clean(schema) for name, schema in components["schemas"].items()
        }
    return result
