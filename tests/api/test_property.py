"""Property-based: thousands of generated requests against the schema, none answered with a 500.

Schemathesis reads the API's own OpenAPI schema (through the WSGI app, no server) and generates
requests for every operation: valid ones (which exercise the real services: proposals with
generated documents, transitions on existing requests) and invalid ones (wrong types, missing
and unknown fields). Each goes out as a random role. Every answer must be a non-5xx, conform to
the schema (status code, content type, body), and an error must be in the API's error shape.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from curation import services
from curation.models import ChangeRequest
from tests.conftest import api_token

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION_AND_MODE = 24
MINIMUM_REQUESTS = 1000
TIME_BUDGET_SECONDS = 150
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly sends request_started/finished, whose handler closes the
    test's database connection (and its transaction) on PostgreSQL; Django's test client
    disconnects that handler the same way (and reconnects it after each of its requests, so
    this test makes none)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_generated_requests_never_cause_server_errors(
    keep_test_connection, monkeypatch, published, editor, reviewer, superuser
):
    # Generous limits: this test is about 500s, not about throttling.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100000/min", "user": "100000/min"}
    )
    # Some open requests for the generated ids to land on.
    for n in range(3):
        services.propose(
            user=editor,
            record_type="citation",
            action="create",
            document={"slug": f"c-{n}", "kind": "article", "title": "T"},
            rationale="r",
            submit=n > 0,
        )
    ids = list(ChangeRequest.objects.values_list("id", flat=True))
    slugs = ["synthetic-trial", "synthetic-topic", "testamide", "synthetic-2020"]
    known_targets = [{"id": i, "slug": slug} for i, slug in zip(ids[-4:], slugs, strict=True)]
    users = {user.username: user for user in (editor, reviewer, superuser)}
    headers_by_role = {"anonymous": {}} | {
        username: {"Authorization": f"Token {api_token(user)}"} for username, user in users.items()
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    sent = {"requests": 0}
    skipped: list[str] = []
    statuses: Counter = Counter()
    started = time.monotonic()

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(generation_mode=mode),
                role=st.sampled_from(ROLES),
                known=st.sampled_from([None, *known_targets]),
            )
            def run(case, role, known):
                # Half the time aim at something that exists, so that generated bodies reach
                # the services instead of stopping at a 404.
                if known is not None and case.path_parameters:
                    case.path_parameters.update(
                        {name: known[name] for name in case.path_parameters if name in known}
                    )
                headers = headers_by_role[role]
                if role in users and case.operation.path.startswith("/api/v1/auth/logout"):
                    # Logging out revokes the token: use one of its own, not the role's.
                    headers = {"Authorization": f"Token {api_token(users[role])}"}
                response = case.call(headers=headers)
                sent["requests"] += 1
                statuses[(case.operation.label, response.status_code)] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)
                if response.status_code >= 400:
                    error = response.json()["error"]
                    assert error["code"] and error["message"], error

            try:
                run()
            except Unsatisfiable:
                # Nothing about this operation can be made invalid (no body, no parameters).
                assert mode == GenerationMode.NEGATIVE, operation.label
                skipped.append(operation.label)

    elapsed = time.monotonic() - started
    for (label, code), count in sorted(statuses.items()):
        print(f"{count:5} x {code} {label}")
    # The valid requests really got through to the services, not only to the validators.
    succeeded = {label for (label, code), _ in statuses.items() if code < 300}
    # Which generated bodies happen to be valid shifts with the schema and the database, so
    # this asks for breadth rather than for particular operations; successful writes through
    # the API are covered by test_change_requests.py and the permission matrix.
    assert len(succeeded) >= 15, sorted(succeeded)
    assert sent["requests"] >= MINIMUM_REQUESTS, sent
    assert elapsed < TIME_BUDGET_SECONDS, f"{sent['requests']} requests took {elapsed:.0f}s"
    print(f"\n{sent['requests']} generated requests in {elapsed:.1f}s, no 500.")
    print(f"No invalid request exists for: {', '.join(skipped) or 'none'}")


ROLES = ["anonymous", "editor", "reviewer", "admin"]
