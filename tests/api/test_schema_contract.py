"""The schema is the contract, walked operation by operation: every status an operation can
answer is documented, a bad or missing token is a 401 with ``WWW-Authenticate`` everywhere,
and every real response of every read endpoint validates against its component (a field
always present is required, every field has a type)."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

from curation import services
from curation.imports import batches
from curation.models import ChangeRequest, Comment, ImportBatch
from evidence.documents import record_types
from evidence.models import RECORD_MODELS
from publishing.services import publish_latest

pytestmark = pytest.mark.django_db

# The login endpoint takes no token (it hands one out): nothing there can be a 401.
NO_TOKEN_PATHS = {"/api/v1/auth/token/"}
# Fields that hold any JSON value by design: a diff's values before and after.
ANY_VALUE_FIELDS = {("Change", "old"), ("Change", "new")}
TYPE_KEYWORDS = ("type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const")


@pytest.fixture
def schema(anon_client):
    return anon_client.get("/api/v1/schema/", {"format": "json"}).json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def needs_login(operation) -> bool:
    # drf-spectacular lists {} among the security requirements when anonymous calls are allowed.
    return {} not in operation.get("security", [{}])


def test_every_operation_that_reads_a_token_documents_401(schema):
    checked = 0
    for path, method, operation in operations(schema):
        if path in NO_TOKEN_PATHS:
            assert "security" not in operation, f"{method} {path} is the login"
            continue
        assert "tokenAuth" in str(operation["security"]), f"{method} {path}"
        assert "401" in operation["responses"], f"{method.upper()} {path} lacks its 401"
        checked += 1
    assert checked > 25


def test_operations_for_curators_document_403_and_404(schema):
    for path, method, operation in operations(schema):
        if not path.startswith(("/api/v1/change-requests/", "/api/v1/imports/")):
            continue
        responses = operation["responses"]
        assert needs_login(operation), f"{method} {path}"
        assert "403" in responses, f"{method.upper()} {path} lacks its 403 (not a curator)"
        if "{id}" in path:
            assert "404" in responses, f"{method.upper()} {path} lacks its 404"
        if method in ("post", "patch"):
            assert "400" in responses, f"{method.upper()} {path} lacks its 400"


def test_record_reads_document_their_404_and_400(schema):
    for path, method, operation in operations(schema):
        if "{slug}" in path:
            assert {"400", "404"} <= set(operation["responses"]), f"{method.upper()} {path}"


def test_every_response_field_is_typed(schema):
    untyped = [
        (name, field)
        for name, component in schema["components"]["schemas"].items()
        for field, spec in component.get("properties", {}).items()
        if not any(keyword in spec for keyword in TYPE_KEYWORDS)
        and (name, field) not in ANY_VALUE_FIELDS
    ]
    assert untyped == []


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        (
            "ChangeRequest",
            ["status", "record_id", "needs_rebase", "citations", "submitted_at", "decided_at"],
        ),
        ("ChangeRequestDetail", ["status", "needs_rebase", "created_at", "decided_by", "event"]),
        (
            "Snapshot",
            ["status", "counts", "manifest_sha256", "created_at", "finished_at", "previous"],
        ),
        ("InterventionSummary", ["brand_names", "drug_class", "record_type"]),
        ("TrialSummary", ["setting", "enrollment"]),
        ("PaginatedTrialSummaryList", ["count", "next", "previous", "results"]),
    ],
)
def test_fields_always_present_are_required(schema, component, fields):
    assert set(fields) <= set(schema["components"]["schemas"][component]["required"])


def test_nullable_fields_say_so_and_stay_required(schema):
    change_request = schema["components"]["schemas"]["ChangeRequest"]
    assert change_request["properties"]["decided_at"]["type"] == ["string", "null"]
    snapshot = schema["components"]["schemas"]["Snapshot"]["properties"]
    assert snapshot["finished_at"]["type"] == ["string", "null"]
    assert snapshot["counts"]["additionalProperties"] == {"type": "integer"}
    brand_names = schema["components"]["schemas"]["InterventionSummary"]["properties"]
    assert brand_names["brand_names"] == {"type": "array", "items": {"type": "string"}} | {
        "readOnly": True
    }


@pytest.mark.parametrize("component", ["Event", "TopicSummary", "TrialSummary", "History"])
def test_record_type_is_the_enum(schema, component):
    record_type = schema["components"]["schemas"][component]["properties"]["record_type"]
    assert "RecordTypeEnum" in str(record_type)
    enum = schema["components"]["schemas"]["RecordTypeEnum"]["enum"]
    assert set(enum) == {"topic", "intervention", "citation", "trial"}


# --- Real requests, one per operation of the schema --------------------------------------------


@pytest.fixture
def published(synthetic_records, editor_client, editor):
    """Approved evidence, a published snapshot, an open change request (so that bodies
    with null fields, such as decided_at, are validated too) and an import batch."""
    publish_latest(force=True)
    batches.start_batch(
        user=editor,
        kind="citations",
        raw=b"TY  - JOUR\nTI  - A batch for the schema check\nPY  - 2020\nER  - \n",
        filename="one.ris",
        fmt="ris",
        enqueue=False,
    )
    proposal = {
        "record_type": "citation",
        "action": "create",
        "document": {"slug": "open-proposal", "kind": "article", "title": "Still in review"},
        "rationale": "Open while the schema is checked.",
    }
    response = editor_client.post("/api/v1/change-requests/", proposal, format="json")
    assert response.status_code == 201
    # A thread with a reply, so that the discussion's bodies are validated too.
    thread = services.add_comment(response.json()["id"], user=editor, comment="A thread.")
    services.add_comment(thread.change_request_id, user=editor, comment="Reply.", parent=thread)
    return synthetic_records


def concrete_path(path: str) -> str:
    """A path of the schema with its parameters filled with things that exist."""
    if "{slug}" in path:
        plural = path.split("/")[3]
        entry = next(e for e in record_types.REGISTRY if e.plural == plural)
        model = RECORD_MODELS[entry.name]
        slug = model.objects.order_by("slug").values_list("slug", flat=True).first()
        path = path.replace("{slug}", slug)
    if "{comment_id}" in path:
        comment = Comment.objects.order_by("pk").first()
        path = path.replace("{comment_id}", str(comment.pk))
        path = path.replace("{id}", str(comment.change_request_id))
    if "{id}" in path:
        model = ImportBatch if path.startswith("/api/v1/imports/batches/") else ChangeRequest
        path = path.replace("{id}", str(model.objects.order_by("pk").first().pk))
    assert "{" not in path, path
    return path


def call(client: APIClient, method: str, path: str):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, {}, format="json")


@pytest.mark.parametrize("credentials", ["Token not-a-real-token", "Token ", "Bearer abc"])
def test_a_bad_token_is_401_with_www_authenticate_everywhere(schema, published, credentials):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=credentials)
    answered = []
    for path, method, _operation in operations(schema):
        if path in NO_TOKEN_PATHS:
            continue
        url = concrete_path(path)
        response = call(client, method, url)
        # "Bearer" is not a scheme we read: the request is anonymous, and anonymous reads fine.
        anonymous_read = method == "get" and not needs_login(_operation)
        if credentials.startswith("Bearer") and anonymous_read:
            assert response.status_code == 200, url
            continue
        assert response.status_code == 401, f"{method.upper()} {url}: {response.status_code}"
        assert response["WWW-Authenticate"].startswith("Token"), url
        assert response.json()["error"]["code"]
        answered.append(url)
    assert answered


def test_no_token_on_a_login_only_operation_is_401_with_www_authenticate(schema, published):
    client = APIClient()
    for path, method, operation in operations(schema):
        if path in NO_TOKEN_PATHS or not needs_login(operation):
            continue
        url = concrete_path(path)
        response = call(client, method, url)
        assert response.status_code == 401, f"{method.upper()} {url}: {response.status_code}"
        assert response["WWW-Authenticate"].startswith("Token"), url


def response_validator(schema, operation, status: str) -> Draft202012Validator:
    content = operation["responses"][status]["content"]["application/json"]["schema"]
    return Draft202012Validator({**content, "components": schema["components"]})


def test_every_read_answers_as_its_schema_says(schema, published, reviewer_client):
    validated = []
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        url = concrete_path(path)
        response = reviewer_client.get(url)
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        body = response.json()
        errors = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in response_validator(schema, operation, "200").iter_errors(body)
        ]
        assert errors == [], f"GET {url}"
        validated.append(path)
    assert "/api/v1/snapshots/latest/" in validated
    assert "/api/v1/change-requests/{id}/" in validated
    assert len(validated) >= 16


def test_a_required_field_missing_or_mistyped_fails_validation(schema, published, reviewer_client):
    # The check above would catch a drifting body: prove it on the real one, broken by hand.
    operation = schema["paths"]["/api/v1/snapshots/latest/"]["get"]
    validator = response_validator(schema, operation, "200")
    body = reviewer_client.get("/api/v1/snapshots/latest/").json()
    assert list(validator.iter_errors(body)) == []
    assert not validator.is_valid({k: v for k, v in body.items() if k != "finished_at"})
    assert not validator.is_valid({**body, "counts": {"trials": "two"}})
    event = reviewer_client.get("/api/v1/events/").json()
    events = schema["paths"]["/api/v1/events/"]["get"]
    broken = {**event, "results": [{**event["results"][0], "record_type": "drug"}]}
    assert not response_validator(schema, events, "200").is_valid(broken)


def test_every_error_status_an_operation_answers_is_documented(schema, published, editor_client):
    # Refusals a client meets in practice, and the schema's word for each.
    cases = [
        ("get", "/api/v1/trials/?limit=x", 400),
        ("get", "/api/v1/trials/no-such-trial/", 404),
        ("get", "/api/v1/change-requests/999999/", 404),
        ("post", "/api/v1/change-requests/", 400),
    ]
    for method, url, status in cases:
        response = call(editor_client, method, url)
        assert response.status_code == status, url
        path = re.sub(r"/change-requests/\d+/", "/change-requests/{id}/", url.split("?")[0])
        path = re.sub(r"/trials/[^/]+/", "/trials/{slug}/", path)
        assert str(status) in schema["paths"][path][method]["responses"], url
