"""The JSON Schema of each record type's document, generated from the models.

Every snapshot's ``schema.json`` is built from these (``publishing.build.schema``), and the
API's OpenAPI components come from the same models, so any change to a model's name, fields,
their order, titles or descriptions changes published bytes.
"""

from __future__ import annotations

from typing import Any

from .record_types import DOCUMENT_MODELS


def document_json_schema(record_type: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one record type's document."""
    return DOCUMENT_MODELS[record_type].model_json_schema(mode="serialization")
