"""Validating mapped resources with fhir.resources (R5): structure, types, cardinality and
required elements (not terminology bindings or profiles, which fhir.resources does not check).

fhir.resources validates every element of a resource (each Coding, Reference, Meta...) as a
model of its own, through fhir_core's ``fhir_model_validator``: a function of the element's
type and value alone. The resources of one build repeat many elements (the same codings in
every Evidence, a trial's references in each of its resources), so inside
``repeated_elements_remembered()`` the models of the elements validated last are remembered,
and an element equal to one of them is given its model instead of being validated again
(``_ElementMemo``): the outcome is the same, only sooner. Only valid elements are remembered;
an invalid one is validated, and fails with the same errors, every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from fhir.resources import get_fhir_model_class
from fhir_core import types as fhir_types
from pydantic import ValidationError

# How many elements are remembered (the most recently used): the repeats are mostly a few
# dozen codings and concepts, and a record's own references; a model is a few kilobytes.
MEMO_SIZE = 2048
# Types orjson would write as a plain JSON value are refused instead (TypeError: not
# remembered); the others (a tuple, NaN, an enum...) are not read back as they were, and
# are not remembered either (``_ElementMemo``).
_EXACT = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class InvalidResource(Exception):
    """A mapped resource that is not valid FHIR R5; the message names the file and the
    elements at fault."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path} is not a valid FHIR R5 resource: " + "; ".join(problems))

    def __reduce__(self):  # sent from a forked child (``build.fhir_forked``) as it was made
        return type(self), (self.path, self.problems)


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


class _ElementMemo:
    """The models of the elements validated last, by (validator type, model class, the
    element's JSON bytes); each with the element read back from those bytes, which it equals
    (only plain JSON is remembered), and which a value must equal as well as its bytes (so
    the same types throughout) to be given the model."""

    def __init__(self) -> None:
        self.models: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()

    def model_of(self, validator, kind, value: dict, model_class):
        try:
            key = (kind, model_class, orjson.dumps(value, option=_EXACT))
        except TypeError:  # not plain JSON: validated, not remembered
            return validator(kind, value, model_class)
        found = self.models.get(key)
        if found is not None and found[0] == value:
            self.models.move_to_end(key)
            return found[1]
        model = validator(kind, value, model_class)  # raises when invalid: not remembered
        written = orjson.loads(key[2])
        if written == value:  # plain JSON (no tuple, NaN, enum...): read back as it was
            self.models[key] = (written, model)
            if len(self.models) > MEMO_SIZE:
                self.models.popitem(last=False)
        return model


_active = threading.local()  # .memo: the thread's _ElementMemo, inside the context only


@contextmanager
def repeated_elements_remembered() -> Iterator[None]:
    """Validate repeated elements once (see the module's docstring), in this thread, until the
    context ends (which forgets them)."""
    outer = getattr(_active, "memo", None)
    _active.memo = outer or _ElementMemo()
    try:
        yield
    finally:
        _active.memo = outer


def _remembering(validator):
    """fhir_core's ``fhir_model_validator`` (a classmethod's function), going through the
    thread's memo when there is one and the element is a dict."""

    def fhir_model_validator(kind, value, model_class):
        memo = getattr(_active, "memo", None)
        if memo is None or type(value) is not dict:
            return validator(kind, value, model_class)
        return memo.model_of(validator, kind, value, model_class)

    return classmethod(fhir_model_validator)


for _kind in (fhir_types.FhirBase, fhir_types.FhirElementOrResourceBase):
    _kind.fhir_model_validator = _remembering(_kind.__dict__["fhir_model_validator"].__func__)
