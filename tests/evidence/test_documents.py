import pytest

from evidence.documents import DocumentInvalid, document_json_schema, validate_document
from tests import documents


def errors_of(record_type, doc, exists=lambda t, s: True):
    with pytest.raises(DocumentInvalid) as exc:
        validate_document(record_type, doc, exists)
    return {e["path"]: e["message"] for e in exc.value.errors}


def ifm_trial_v2() -> dict:
    """``documents.ifm_trial()`` (written in schema version 1) in version 2, canonical."""
    return validate_document("trial", documents.ifm_trial(), lambda t, s: True)


def test_valid_trial_becomes_canonical_with_every_field():
    canonical = validate_document("trial", documents.ifm_trial(), lambda t, s: True)
    assert canonical["schema_version"] == 2
    assert canonical["phases"] == [] and canonical["conduct_notes"] == []
    assert canonical["outcomes"][0]["values"][0] == {
        "arm": "len",
        "value": 41,
        "missing": None,
        "missing_text": None,
        "raw": None,
        "qualifier": None,
        "spread": None,
        "low": None,
        "high": None,
        "bound_missing": None,
        "participants": None,
        "estimate_outside_interval": False,
        "source": None,
        "note": None,
    }
    # Canonical form is a fixed point.
    assert validate_document("trial", canonical, lambda t, s: True) == canonical


def test_unknown_fields_are_refused_with_their_path():
    doc = documents.ifm_trial()
    doc["colour"] = "red"
    doc["arms"][0]["dose"] = "10 mg"
    errors = errors_of("trial", doc)
    assert errors["colour"] == "unknown field"
    assert errors["arms[0].dose"] == "unknown field"


def test_every_error_is_reported_at_once_with_its_path():
    doc = ifm_trial_v2()
    pfs = doc["outcomes"][0]
    pfs["dispersion"] = {"kind": "confidence_interval", "level": 95, "sides": 2}
    pfs["values"][0].update(low=45, high=50)  # does not contain 41
    pfs["values"][1].update(missing="not_reached")  # a value and a missing reason
    pfs["comparisons"] = [
        {
            "key": "hr",
            "kind": "hazard_ratio",
            "arm": "len",
            "reference_arm": "ghost",
            "estimate": 0.5,
            "unit": "ratio",
            "p_value": 1.5,
        }
    ]
    doc["arms"][0]["n"] = 700  # more than the enrollment of 614
    doc["outcomes"][1]["values"][0]["value"] = -1
    errors = errors_of("trial", doc)
    assert "does not contain the estimate 41" in errors["outcomes[0].values[0].low"]
    assert errors["outcomes[0].values[1].missing"] == "give a value or a missing reason, not both"
    assert "no arm with key 'ghost'" in errors["outcomes[0].comparisons[0].reference_arm"]
    assert "p-value" in errors["outcomes[0].comparisons[0].p_value"]
    assert "exceeds the enrollment of 614" in errors["arms[0].n"]
    assert "count" in errors["outcomes[1].values[0].value"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("enrollment",), -3, "must not be negative"),
        (("enrollment",), 2.5, "must be a whole number"),
        (("enrollment",), "614", "must be a whole number"),
        (("arms", 0, "n"), True, "must be a whole number"),
        (("outcomes", 0, "values", 0, "value"), "41", "must be a number"),
        (("setting",), "somewhere", "Input should be"),
        (("slug",), "Not A Slug", "String should match pattern"),
    ],
)
def test_types_are_strict(path, value, message):
    doc = documents.ifm_trial()
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    errors = errors_of("trial", doc)
    rendered = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert message in errors[rendered]


def test_percentages_must_be_between_0_and_100():
    doc = documents.ifm_trial()
    doc["outcomes"].append(
        {
            "key": "cr",
            "endpoint": "cr",
            "label": "Complete response",
            "measure": "proportion",
            "unit": "percent",
            "values": [{"arm": "len", "value": 101}, {"arm": "pbo", "value": 24}],
        }
    )
    assert "between 0 and 100" in errors_of("trial", doc)["outcomes[2].values[0].value"]


def test_not_reached_only_for_durations_and_a_value_is_required():
    doc = ifm_trial_v2()
    doc["outcomes"][1]["values"][0] = {"arm": "len", "missing": "not_reached"}
    doc["outcomes"][1]["values"][1] = {"arm": "pbo"}
    errors = errors_of("trial", doc)
    assert "only a time" in errors["outcomes[1].values[0].missing"]
    assert errors["outcomes[1].values[1].value"] == "give a value, or the reason it is missing"


def test_a_version_1_document_is_converted_and_its_errors_named_in_version_2():
    doc = documents.ifm_trial()  # no schema_version: version 1
    doc["outcomes"][1]["values"][0] = {"arm": "len", "not_reached": True}
    errors = errors_of("trial", doc)
    assert "only a time" in errors["outcomes[1].values[0].missing"]


def test_references_to_other_records_must_exist():
    known = {("citation", "attal-2012")}
    errors = errors_of("trial", documents.ifm_trial(), lambda t, s: (t, s) in known)
    assert errors["interventions[0]"] == "no intervention with slug 'lenalidomide'"
    assert errors["arms[0].regimen[0].intervention"] == "no intervention with slug 'lenalidomide'"
    assert "citations[0]" not in errors


def test_rate_at_timepoint_needs_a_timepoint_and_keys_are_unique():
    doc = ifm_trial_v2()
    doc["outcomes"][0].update(measure="rate_at_timepoint", unit="percent")
    doc["arms"][1]["key"] = "len"
    errors = errors_of("trial", doc)
    assert "needs the timepoint" in errors["outcomes[0].timepoint"]
    assert "used twice" in errors["arms[1].key"]


def test_not_an_object_and_unknown_record_type():
    assert errors_of("trial", ["a list"]) == {"": "the document must be a JSON object"}
    assert "unknown record type" in errors_of("patient", {})["record_type"]


def test_json_schema_describes_documents():
    schema = document_json_schema("trial")
    assert schema["additionalProperties"] is False
    assert "outcomes" in schema["properties"]
    assert set(schema["required"]) >= {"slug", "name", "population"}
    assert "setting" in schema["properties"] and "setting_text" in schema["properties"]
    assert schema["properties"]["schema_version"]["const"] == 2
