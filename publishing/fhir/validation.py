"""Validating mapped resources with fhir.resources (R5): structure, types, cardinality and
required elements (not terminology bindings or profiles, which fhir.resources does not check).
"""

from __future__ import annotations

from typing import Any

from fhir.resources import get_fhir_model_class
from pydantic import ValidationError


class InvalidResource(Exception):
    """A mapped resource that is not valid FHIR R5; the message names the file and the
    elements at fault."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path} is not a valid FHIR R5 resource: " + "; ".join(problems))


def validate(resource: dict[str, Any], path: str) -> None:
    """Raise InvalidResource naming ``path`` (and each element at fault) unless ``resource``
    loads in fhir.resources as its resourceType."""
    try:
        model = get_fhir_model_class(resource.get("resourceType", ""))
    except (KeyError, ValueError) as exc:
        raise InvalidResource(path, [f"unknown resourceType ({exc})"]) from None
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or '(resource)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise InvalidResource(path, problems) from None
