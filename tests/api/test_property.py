"""Property-based: at least 5,000 generated requests, none answered with a 500 (issue 9).

Three parts, each on SQLite and PostgreSQL (DATABASE_URL), reproducible (derandomized):

- the API from its own OpenAPI schema (schemathesis, through the WSGI app, no server): valid
  requests, which reach the services (proposals with generated documents, transitions on
  existing requests; writes as an editor or a reviewer) and invalid ones (wrong types, missing
  and unknown fields). Every answer must conform to the schema, an error in the error shape;
- query strings and path numbers (hypothesis text with NUL and other control characters,
  digits of other scripts, 5,000-digit numbers, dates at the ends of time) on every list, every
  record's ``as_of``, change-request ids and ``/published/<seq>/``: a 400 names the parameter;
- the admin's forms: a logged-in editor posts generated bodies to every record type's propose
  pages (new and existing), a reviewer to the review page; a refused form writes nothing.

Every request Django handles is counted (the request_started signal) and the total asserted.
"""

from __future__ import annotations

import time
from collections import Counter
from urllib.parse import quote

import pytest
import schemathesis
from django.contrib.auth import get_user_model
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
from curation import selectors, services
from curation.admin.forms import ProposalForms
from curation.models import ChangeRequest, Review
from evidence.api.params import BIGINT_MAX, path_number
from evidence.documents import RECORD_TYPES
from tests import documents
from tests.admin.post_data import form_post_data
from tests.conftest import api_token

from .conftest import token_client

pytestmark = pytest.mark.django_db

# Requests per part (each part asserts its own); together at least TOTAL_MINIMUM, asserted
# once all three ran. Sized so that the module takes about two minutes on 2 quiet cores (its
# time is printed, not asserted: a loaded machine must not fail it).
EXAMPLES_PER_OPERATION_AND_MODE = 36
MINIMUM = {"api": 2200, "query": 2500, "admin": 400}
TOTAL_MINIMUM = 5000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def hypothesis_settings(max_examples: int):
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


class RequestCount:
    """Requests Django handled, per part of this module (counted on request_started)."""

    def __init__(self):
        self.by_part: Counter = Counter()
        self.part = "other"

    def __call__(self, sender, **kwargs):
        self.by_part[self.part] += 1

    def start(self, part: str) -> float:
        self.part = part
        return time.monotonic()

    def finish(self, started: float) -> int:
        count, elapsed = self.by_part[self.part], time.monotonic() - started
        print(f"\n{self.part}: {count} generated requests in {elapsed:.1f}s, no 500.")
        assert count >= MINIMUM[self.part], (self.part, count)
        self.part = "other"
        return count


@pytest.fixture(scope="module")
def request_count():
    counter = RequestCount()
    signals.request_started.connect(counter, dispatch_uid="test_property.request_count")
    yield counter
    signals.request_started.disconnect(dispatch_uid="test_property.request_count")
    total = sum(counter.by_part[part] for part in MINIMUM)
    print(f"\ngenerated requests: {dict(counter.by_part)}, {total} in all")
    if all(counter.by_part[part] for part in MINIMUM):  # not when a part was deselected
        assert total >= TOTAL_MINIMUM, counter.by_part


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


def test_generated_api_requests_never_cause_server_errors(
    request_count, keep_test_connection, monkeypatch, synthetic_records, editor, reviewer, superuser
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
            document=documents.minimal_citation(f"c-{n}"),
            rationale="r",
            submit=n > 0,
        )
    ids = list(ChangeRequest.objects.values_list("id", flat=True))
    slugs = ["synthetic-trial", "synthetic-topic", "testamide", "synthetic-2020"]
    known_targets = [{"id": i, "slug": slug} for i, slug in zip(ids[-4:], slugs, strict=True)]
    users = {user.username: user for user in (editor, reviewer, superuser)}
    leaver = get_user_model().objects.create_user("leaver", password="pw-leaver")
    headers_by_role = {"anonymous": {}} | {
        username: {"Authorization": f"Token {api_token(user)}"} for username, user in users.items()
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    skipped: list[str] = []
    statuses: Counter = Counter()
    started = request_count.start("api")

    for operation in operations:
        # Reads as anyone; writes as the people who make them, so that they reach the services.
        roles = READ_ROLES if operation.method.upper() == "GET" else WRITE_ROLES
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis_settings(EXAMPLES_PER_OPERATION_AND_MODE)
            @given(
                case=operation.as_strategy(generation_mode=mode),
                role=st.sampled_from(roles),
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
                    # Logging out revokes the token, and logout-all every token of its user:
                    # a user of its own, so that the roles' tokens stay valid.
                    headers = {"Authorization": f"Token {api_token(leaver)}"}
                response = case.call(headers=headers)
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

    for (label, code), count in sorted(statuses.items()):
        print(f"{count:5} x {code} {label}")
    # The valid requests really got through to the services, not only to the validators.
    succeeded = {label for (label, code), _ in statuses.items() if code < 300}
    # Which generated bodies happen to be valid shifts with the schema and the database, so
    # this asks for breadth rather than for particular operations; successful writes through
    # the API are covered by test_change_requests.py and the permission matrix.
    assert len(succeeded) >= 15, sorted(succeeded)
    # Writes reached the services' rules: done (2xx), or refused by a rule (403: not yours to
    # decide, 409: not in a state that allows it), not only by the validators.
    reached = {
        label
        for (label, code), _ in statuses.items()
        if not label.startswith("GET ") and (code < 300 or code in (403, 409))
    }
    assert len(reached) >= 8, sorted(reached)
    request_count.finish(started)
    print(f"No invalid request exists for: {', '.join(skipped) or 'none'}")


READ_ROLES = ["anonymous", "editor", "reviewer", "admin"]
WRITE_ROLES = ["editor", "reviewer"]


# --- Query strings and path numbers ----------------------------------------------------------

# What broke before (issue 9), plus generated text of every kind.
AWKWARD = [
    "\x00",
    "a\x00b",
    "²",
    "١٢",
    "３",
    "9" * 5000,
    str(2**63),
    str(2**63 - 1),
    str(2**31),
    "-1",
    "0",
    "1e309",
    "NaN",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999-23:59",
    "2024-02-30T00:00:00Z",
    "2024-05-01T12:00:00+٠٥:00",
]
NUMBER_LIKE = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.from_regex(r"\A\d{1,30}\Z"),  # \d: digits of every script
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=8),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
)
JUNK = st.one_of(
    st.sampled_from(AWKWARD),
    NUMBER_LIKE,
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs"]), max_size=8),
)

LIST_PARAMETERS = {
    "/api/v1/trials/": ["topic", "intervention", "citation", "setting", "phase", "registry_id"],
    "/api/v1/topics/": ["trial"],
    "/api/v1/interventions/": ["trial", "topic"],
    "/api/v1/citations/": ["trial", "kind", "year"],
    "/api/v1/change-requests/": ["status", "record_type", "record", "author"],
    "/api/v1/events/": ["after"],
    "/api/v1/snapshots/": [],
}
COMMON_PARAMETERS = ["search", "limit", "offset", "ordering", "format", "page"]
QUERY_TARGETS = {
    **{url: [*names, *COMMON_PARAMETERS] for url, names in LIST_PARAMETERS.items()},
    **{
        f"/api/v1/{slug_path}/": ["as_of"]
        for slug_path in (
            "trials/synthetic-trial",
            "topics/synthetic-topic",
            "interventions/testamide",
            "citations/synthetic-2020",
        )
    },
}
QUERY_EXAMPLES_PER_TARGET = 160
PATH_EXAMPLES_PER_TARGET = 220


def assert_api_error_shape(response, query: dict | None = None):
    error = response.json()["error"]
    assert error["code"] and error["message"], error
    if response.status_code == 400 and query is not None:
        # A refused query names the parameter that was wrong.
        named = {item["path"] for item in error["errors"]}
        assert named and named <= set(query), (query, error)


def test_generated_query_strings_never_cause_server_errors(
    request_count, synthetic_records, editor, reviewer
):
    client = token_client(reviewer)
    for n in range(2):
        services.propose(
            user=editor,
            record_type="citation",
            action="create",
            document=documents.minimal_citation(f"q-{n}"),
            rationale="r",
        )
    started = request_count.start("query")

    for url, names in QUERY_TARGETS.items():

        @hypothesis_settings(QUERY_EXAMPLES_PER_TARGET)
        @given(
            url=st.just(url),
            query=st.dictionaries(
                st.one_of(st.sampled_from(names), st.text(max_size=6)), JUNK, max_size=3
            ),
        )
        def run(url, query):
            response = client.get(url, query)
            assert response.status_code < 500, (url, query)
            if response.status_code >= 400:
                assert_api_error_shape(response, query)

        run()

    # Numbers in paths: change-request ids (read, and a transition that must write nothing)
    # and snapshot numbers.
    @hypothesis_settings(PATH_EXAMPLES_PER_TARGET)
    @given(raw=st.one_of(st.sampled_from(AWKWARD), NUMBER_LIKE).filter(lambda raw: raw))
    def change_request_ids(raw):
        number = path_number(raw, maximum=BIGINT_MAX)
        if number is not None and ChangeRequest.objects.filter(pk=number).exists():
            return  # a real request: not what this asks about
        before = ChangeRequest.objects.filter(status="submitted").count(), Review.objects.count()
        for response in (
            client.get(f"/api/v1/change-requests/{quote(raw, safe='')}/"),
            client.post(
                f"/api/v1/change-requests/{quote(raw, safe='')}/reject/",
                {"comment": "no"},
                format="json",
            ),
        ):
            assert response.status_code == 404, (raw, response.content)
            assert_api_error_shape(response)
        after = ChangeRequest.objects.filter(status="submitted").count(), Review.objects.count()
        assert after == before

    change_request_ids()

    @hypothesis_settings(PATH_EXAMPLES_PER_TARGET)
    @given(raw=st.one_of(st.sampled_from(AWKWARD), NUMBER_LIKE).filter(lambda raw: raw))
    def snapshot_numbers(raw):
        for url in (
            f"/published/{quote(raw, safe='')}/",
            f"/published/{quote(raw, safe='')}/index.html",
        ):
            # Nothing is published in this test: every number is a 404, never a 500.
            assert client.get(url).status_code == 404, (url, raw)

    snapshot_numbers()
    request_count.finish(started)


# --- The admin's forms -----------------------------------------------------------------------

# A trial's propose page is by far the heaviest to render (0.1-0.4 s): fewer examples there.
ADMIN_EXAMPLES_PER_PAGE = {"trial": 20, "topic": 50, "intervention": 50, "citation": 50}
REVIEW_EXAMPLES = 100
# Besides the fields shown: the "Add ..." buttons, and names no form has.
EXTRA_FIELDS = ["_add_rows", "proposal-base_version", "proposal-rationale", "x\x00"]


# How many rows a formset has (its management form): junk, huge counts (refused before any
# form is built) and small real ones.
SMALL_COUNT = st.one_of(
    st.sampled_from(["", "-1", "²", "١٢", "\x00", "1.5", "9" * 5000, "1889058318", "100000"]),
    st.integers(min_value=0, max_value=12).map(str),
)


FORM_TEXT = st.one_of(st.sampled_from(AWKWARD), JUNK)


def form_changes(fields: list[str]):
    """1-4 fields of the form, each given generated text (a row count: SMALL_COUNT)."""
    return st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True).flatmap(
        lambda names: st.fixed_dictionaries(
            {name: SMALL_COUNT if name.endswith("_FORMS") else FORM_TEXT for name in names}
        )
    )


def shown_form_data(record_type: str, live) -> dict:
    """What a browser sends for the propose page as shown, with a rationale."""
    forms = ProposalForms(
        record_type,
        base_document=live.document if live else None,
        base_version=live.version if live else 0,
    )
    return {**form_post_data(forms), "proposal-rationale": "The source article says so."}


def test_generated_admin_forms_never_cause_server_errors(
    request_count, client, synthetic_records, editor, reviewer
):
    pages = []
    for record_type in RECORD_TYPES:
        live = selectors.live_record(record_type, synthetic_records[record_type].slug)
        for url, shown in (
            (f"/admin/evidence/{record_type}/add/", shown_form_data(record_type, None)),
            (
                f"/admin/evidence/{record_type}/{live.pk}/change/",
                shown_form_data(record_type, live),
            ),
        ):
            pages.append((url, shown, ADMIN_EXAMPLES_PER_PAGE[record_type]))
    started = request_count.start("admin")

    client.force_login(editor)
    for url, shown, examples in pages:
        fields = sorted({*shown, *EXTRA_FIELDS})

        @hypothesis_settings(examples)
        @given(
            url=st.just(url),
            shown=st.just(shown),
            changes=form_changes(fields),
            dropped=st.sets(st.sampled_from(sorted(shown)), max_size=2),
        )
        def propose(url, shown, changes, dropped):
            data = {name: value for name, value in shown.items() if name not in dropped}
            data.update(changes)
            before = ChangeRequest.objects.count()
            response = client.post(url, data)
            assert response.status_code < 500, (url, changes, dropped)
            if response.status_code != 302:  # refused: nothing proposed
                assert ChangeRequest.objects.count() == before, (url, changes)

        propose()

    # The review page, on a request that stays open whatever is tried (an editor's own request
    # cannot be decided by its author; a reviewer's comment or refusal leaves it open).
    client.force_login(reviewer)

    def open_request() -> str:
        """A new submitted request by the editor, and its review page's URL."""
        cr = services.propose(
            user=editor,
            record_type="citation",
            action="create",
            document=documents.minimal_citation(f"under-review-{ChangeRequest.objects.count()}"),
            rationale="r",
        )
        return f"/admin/curation/changerequest/{cr.pk}/change/"

    review_url = [open_request()]
    actions = st.one_of(
        st.sampled_from(["reject", "request_changes", "comment", "withdraw", "submit", "rebase"]),
        JUNK,
    )

    @hypothesis_settings(REVIEW_EXAMPLES)
    @given(
        data=st.fixed_dictionaries(
            {"action": actions}, optional={"comment": JUNK, "x\x00": JUNK, "csrf": JUNK}
        )
    )
    def review(data):
        response = client.post(review_url[0], data)
        assert response.status_code < 500, data
        if response.status_code == 302:
            # It was decided (a reject or a send-back with a comment), and decisions are final
            # (the database refuses to reopen one): go on with a new open request.
            review_url[0] = open_request()

    review()
    request_count.finish(started)


def test_a_result_value_of_5000_digits_is_a_form_error(client, synthetic_records, editor):
    live = selectors.live_record("trial", "synthetic-trial")
    data = {**shown_form_data("trial", live), "cell-0-0-value": "9" * 5000}
    client.force_login(editor)
    response = client.post(f"/admin/evidence/trial/{live.pk}/change/", data)
    assert response.status_code == 400
    assert "Enter at most 40 characters for a number." in response.content.decode()
