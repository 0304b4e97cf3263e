"""Validating FHIR resources while the elements already validated are remembered
(``publishing.fhir.repeated_elements_remembered``): the same outcome, only sooner; and
``compact``, which leaves out the empty values every resource is cleaned of."""

from __future__ import annotations

import pytest
from fhir.resources.coding import Coding

from publishing.fhir import InvalidResource, repeated_elements_remembered, validate
from publishing.fhir.common import compact


def evidence(text, code="C28007"):
    return {
        "resourceType": "Evidence",
        "id": "x",
        "status": "active",
        "variableDefinition": [
            {"variableRole": {"coding": [{"system": "urn:s", "code": code}], "text": text}}
        ],
    }


def test_an_element_validated_before_is_not_validated_again(monkeypatch):
    validated = []
    original = Coding.model_validate.__func__

    def counting(cls, value, *args, **kwargs):
        validated.append(value["code"])
        return original(cls, value, *args, **kwargs)

    monkeypatch.setattr(Coding, "model_validate", classmethod(counting))
    with repeated_elements_remembered():
        for _ in range(3):
            validate(evidence("role"), "fhir/Evidence/x.json")
        validate(evidence("role", code="C53319"), "fhir/Evidence/x.json")
    assert validated == ["C28007", "C53319"]
    validate(evidence("role"), "fhir/Evidence/x.json")  # outside: validated afresh
    assert validated == ["C28007", "C53319", "C28007"]


def role(text="role", coding=({"system": "urn:s", "code": "C28007"},)):
    return {
        "resourceType": "Evidence",
        "id": "x",
        "status": "active",
        "variableDefinition": [{"variableRole": {"coding": coding, "text": text}}],
    }


@pytest.mark.parametrize(
    ("valid", "invalid"),
    [
        (role(text=None), role(text=float("nan"))),  # NaN is written as null, like None
        (role(coding=(None,)), role(coding=[None])),  # a tuple is written as a list
    ],
)
def test_an_element_written_alike_but_of_other_types_is_validated_itself(valid, invalid):
    """Equal JSON bytes are not enough: the remembered element must equal the new one."""
    validate(valid, "fhir/Evidence/x.json")  # (fhir.resources lets a tuple hold nulls)
    with repeated_elements_remembered():
        validate(valid, "fhir/Evidence/x.json")
        with pytest.raises(InvalidResource, match=r"variableDefinition\.0\.variableRole"):
            validate(invalid, "fhir/Evidence/x.json")


def test_an_invalid_element_fails_every_time_with_the_same_errors():
    invalid = {**evidence("role"), "status": "no such status", "date": "not a date"}
    with pytest.raises(InvalidResource) as plain:
        validate(invalid, "fhir/Evidence/x.json")
    with repeated_elements_remembered():
        for _ in range(2):
            with pytest.raises(InvalidResource) as remembered:
                validate(invalid, "fhir/Evidence/x.json")
            assert remembered.value.problems == plain.value.problems


def test_compact_leaves_out_empty_values_at_every_depth_and_keeps_the_rest():
    resource = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "e": [None, "", [], {}, {"f": None}, [[]], 0, False, "x"],
        "g": {"h": {"i": [{}]}, "j": 0.0},
        "k": (),
    }
    assert compact(resource) == {"e": [0, False, "x"], "g": {"j": 0.0}, "k": ()}
