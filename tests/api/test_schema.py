"""The OpenAPI schema is valid, describes the real bodies (documents included), and the docs
page needs nothing from the network."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from evidence.documents import DOCUMENT_MODELS, document_json_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anon_client):
    response = anon_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)


def test_spectacular_validates_without_warnings(tmp_path):
    # --fail-on-warn turns every generator warning (unknown types, name clashes) into an error.
    out = tmp_path / "s.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/change-requests/" in out.read_text()


def test_documents_are_the_pydantic_schemas(schema):
    components = schema["components"]["schemas"]
    for record_type, model in DOCUMENT_MODELS.items():
        component = components[model.__name__]
        pydantic_schema = document_json_schema(record_type)
        assert set(component["properties"]) == set(pydantic_schema["properties"])
        assert component["required"] == pydantic_schema["required"]
        assert component["additionalProperties"] is False
    # Nested parts are components too, with their constraints.
    assert components["ArmValue"]["properties"]["value"]["anyOf"][0] == {"type": "number"}


def _ref(content: dict) -> str:
    return content["application/json"]["schema"]["$ref"]


def test_bodies_reference_real_components(schema):
    paths = schema["paths"]
    create = paths["/api/v1/change-requests/"]["post"]
    body = schema["components"]["schemas"][_ref(create["requestBody"]["content"]).split("/")[-1]]
    assert set(body["properties"]) == {
        "record_type",
        "record",
        "action",
        "base_version",
        "document",
        "rationale",
        "reviewer_note",
        "citations",
        "draft",
    }
    assert "never published" in body["properties"]["reviewer_note"]["description"]
    document = body["properties"]["document"]
    assert any("RecordDocument" in str(option) for option in document.get("oneOf", [document]))
    assert _ref(create["responses"]["201"]["content"]).endswith("/ChangeRequestDetail")
    assert _ref(create["responses"]["409"]["content"]).endswith("/Error")
    detail = paths["/api/v1/trials/{slug}/"]["get"]
    trial_record = schema["components"]["schemas"][
        _ref(detail["responses"]["200"]["content"]).split("/")[-1]
    ]
    assert "TrialDocument" in str(trial_record["properties"]["document"])
    assert {p["name"] for p in detail["parameters"]} >= {"slug", "as_of"}
    events = paths["/api/v1/events/"]["get"]
    assert {p["name"] for p in events["parameters"]} == {"after", "limit"}


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code.startswith("4")]
            assert errors, f"{method.upper()} {path} documents no error response"


def test_docs_page_uses_only_local_assets(anon_client):
    response = anon_client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "expected the Swagger UI assets"
    assert not re.search(r"https?://|//cdn", html), "the docs page must not load from the network"
    for asset in assets:
        assert asset.startswith(("/static/", "/api/v1/docs/")), asset
        served = anon_client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])
    # No inline script (the Content-Security-Policy allows none): the settings come from a file.
    assert not re.search(r"<script>", html)
    assert "/api/v1/docs/?script=" in assets
    script = anon_client.get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/v1/schema/"' in script.content.decode()


def _walk(node, found: list, path: str = "") -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("nullable",) or (key == "title" and isinstance(value, str)):
                found.append(f"{path}/{key}")
            # A property named "title" is a field, not the keyword: walk its schema only.
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    _walk(sub, found, f"{path}/properties/{name}")
            else:
                _walk(value, found, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, found, f"{path}/{i}")


def test_no_component_keeps_a_title_or_openapi_30s_nullable(schema):
    # Titles made generated clients build two models of one name (TrialDocument for the
    # request and the response); "nullable" means nothing in OpenAPI 3.1.
    found: list[str] = []
    _walk(schema["components"]["schemas"], found)
    assert found == []
    next_link = schema["components"]["schemas"]["PaginatedTrialSummaryList"]["properties"]["next"]
    assert next_link["type"] == ["string", "null"]


def test_a_real_last_page_validates_against_its_schema(schema, anon_client):
    from jsonschema import Draft202012Validator

    page = anon_client.get("/api/v1/trials/").json()
    assert page["next"] is None and page["previous"] is None
    validator = Draft202012Validator(
        {
            "$ref": "#/components/schemas/PaginatedTrialSummaryList",
            "components": schema["components"],
        }
    )
    assert list(validator.iter_errors(page)) == []
