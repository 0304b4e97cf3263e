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
        "citations",
        "draft",
    }
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
