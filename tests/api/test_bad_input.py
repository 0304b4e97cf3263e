"""Input that used to answer 500 (issue 9): each is now a 4xx in the API's error shape that
says what was wrong and where, and writes nothing.

Numbers in URLs and query strings are ASCII digits within the column's range ("²" is a digit
to str.isdigit() but not to int(); Python refuses int() of more than 4,300 digits; PostgreSQL
refuses a bigint beyond 2**63 - 1). Run on SQLite and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from curation.api.parsers import MAX_JSON_DEPTH
from curation.models import ChangeRequest, Event, Review
from tests import documents

from .conftest import revise_payload

pytestmark = pytest.mark.django_db

BIGINT_MAX = 2**63 - 1
HUGE = "9" * 5000  # beyond int()'s 4,300 digits
# Digits to str.isdigit() or to int(), but not ASCII: superscript two, Arabic-Indic 12,
# fullwidth 3.
NOT_ASCII = ["²", "١٢", "３"]
DETAIL = "/api/v1/trials/synthetic-trial/"


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "errors", "fields"}
    return error


def paths(error: dict) -> list[str]:
    return [item["path"] for item in error["errors"]]


def messages(error: dict) -> str:
    return " ".join(item["message"] for item in error["errors"])


@pytest.fixture
def nothing_written():
    """Asserts that the request under test created no change request, review or event."""
    before = ChangeRequest.objects.count(), Review.objects.count(), Event.objects.count()
    yield
    assert (ChangeRequest.objects.count(), Review.objects.count(), Event.objects.count()) == before


# --- as_of ---------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [*NOT_ASCII, "1²", "2024-05-01T12:00:00+٠٥:00"])
def test_as_of_with_digits_other_than_ascii_is_400(anon_client, synthetic_records, as_of):
    error = error_of(anon_client.get(DETAIL, {"as_of": as_of}), 400)
    assert paths(error) == ["as_of"] and "digits 0-9" in messages(error)


@pytest.mark.parametrize("as_of", [HUGE, str(BIGINT_MAX + 1), "0" * 10 + str(BIGINT_MAX + 1)])
def test_as_of_beyond_the_position_column_is_400(anon_client, synthetic_records, as_of):
    error = error_of(anon_client.get(DETAIL, {"as_of": as_of}), 400)
    assert paths(error) == ["as_of"] and f"at most {BIGINT_MAX}" in messages(error)


def test_as_of_the_largest_position_is_the_latest_version(anon_client, synthetic_records):
    response = anon_client.get(DETAIL, {"as_of": str(BIGINT_MAX)})
    assert response.status_code == 200 and response.json()["version"] == 1
    # Leading zeros do not count against the bound.
    assert anon_client.get(DETAIL, {"as_of": "0" * 40 + "3"}).json()["position"] == 3


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        # Before the first moment a datetime holds in UTC: nothing existed yet.
        ("0001-01-01T00:00:00+05:00", 404),
        ("0001-01-01T00:00:00+23:59", 404),
        ("0001-01-01T00:00:00", 404),
        # After the last: the latest version.
        ("9999-12-31T23:59:59-05:00", 200),
        ("9999-12-31T23:59:59.999999-23:59", 200),
        ("9999-12-31T23:59:59.999999", 200),
    ],
)
def test_as_of_at_the_ends_of_time_is_clamped(anon_client, synthetic_records, as_of, status):
    response = anon_client.get(DETAIL, {"as_of": as_of})
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["version"] == 1
    else:
        assert "did not exist yet" in response.json()["error"]["message"]


# --- ids in paths ----------------------------------------------------------------------------


@pytest.fixture
def open_request(editor):
    from curation import services

    return services.propose(
        user=editor,
        record_type="citation",
        action="create",
        document=documents.minimal_citation("c-open"),
        rationale="r",
    )


PATH_IDS = [*NOT_ASCII, HUGE, str(BIGINT_MAX + 1), "-1", "1.0", " 1"]


@pytest.mark.parametrize("raw", PATH_IDS)
def test_change_request_id_that_cannot_exist_is_404(reviewer_client, open_request, raw):
    error = error_of(reviewer_client.get(f"/api/v1/change-requests/{quote(raw)}/"), 404)
    # ("1.0" does not even match the route: the router's ids have no dots.)
    assert error["code"] == "not_found"


@pytest.mark.parametrize("raw", PATH_IDS)
def test_transition_on_an_id_that_cannot_exist_is_404_and_writes_nothing(
    reviewer_client, open_request, nothing_written, raw
):
    for action in ["approve", "reject", "comments", "withdraw", "rebase"]:
        url = f"/api/v1/change-requests/{quote(raw)}/{action}/"
        # The id is checked before the body: rebase takes no comment.
        response = reviewer_client.post(url, {"comment": "why"}, format="json")
        assert error_of(response, 404)["code"] == "not_found", action
    response = reviewer_client.patch(
        f"/api/v1/change-requests/{quote(raw)}/", {"rationale": "x"}, format="json"
    )
    assert error_of(response, 404)["code"] == "not_found"


def test_the_largest_id_is_a_plain_404(reviewer_client, open_request):
    response = reviewer_client.get(f"/api/v1/change-requests/{BIGINT_MAX}/")
    assert error_of(response, 404)["message"] == f"no change request {BIGINT_MAX}"


def test_an_id_with_leading_zeros_is_the_same_request(reviewer_client, open_request):
    response = reviewer_client.get(f"/api/v1/change-requests/000{open_request.pk}/")
    assert response.status_code == 200 and response.json()["id"] == open_request.pk


# --- the changes feed and pagination ---------------------------------------------------------


@pytest.mark.parametrize("name", ["after", "limit"])
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        *[(value, "digits 0-9") for value in NOT_ASCII],
        (HUGE, f"at most {BIGINT_MAX}"),
        (str(BIGINT_MAX + 1), f"at most {BIGINT_MAX}"),
        ("1\x00", "digits 0-9"),
    ],
)
def test_feed_numbers_are_ascii_within_bigint(anon_client, synthetic_records, name, raw, says):
    error = error_of(anon_client.get("/api/v1/events/", {name: raw}), 400)
    assert paths(error) == [name] and says in messages(error)


def test_feed_after_the_largest_position_is_empty(anon_client, synthetic_records):
    body = anon_client.get("/api/v1/events/", {"after": str(BIGINT_MAX)}).json()
    assert body["results"] == [] and body["next_after"] == BIGINT_MAX


LISTS = [
    "/api/v1/trials/",
    "/api/v1/topics/",
    "/api/v1/interventions/",
    "/api/v1/citations/",
    "/api/v1/change-requests/",
    "/api/v1/snapshots/",
]


PAGINATION_ERRORS = [
    ({"limit": "²"}, "limit", "digits 0-9"),
    ({"limit": "١٢"}, "limit", "digits 0-9"),
    ({"limit": "0"}, "limit", "at least 1"),
    ({"limit": HUGE}, "limit", f"at most {BIGINT_MAX}"),
    ({"offset": "-1"}, "offset", "digits 0-9"),
    ({"offset": HUGE}, "offset", f"at most {BIGINT_MAX}"),
    ({"offset": "1\x00"}, "offset", "digits 0-9"),
]


@pytest.mark.parametrize("url", LISTS)
def test_list_pagination_is_strict(reviewer_client, synthetic_records, url):
    for query, path, says in PAGINATION_ERRORS:
        error = error_of(reviewer_client.get(url, query), 400)
        assert paths(error) == [path] and says in messages(error), query


def test_list_limit_is_capped_and_offset_past_the_end_is_empty(anon_client, synthetic_records):
    body = anon_client.get("/api/v1/trials/", {"limit": str(BIGINT_MAX)}).json()
    assert len(body["results"]) == 2
    body = anon_client.get("/api/v1/trials/", {"offset": str(BIGINT_MAX)}).json()
    assert body["results"] == [] and body["count"] == 2


# Every query parameter of every list (filters, search, pagination, and some the lists do not
# have): PostgreSQL refuses NUL in a string, so it must stop before any query.
LIST_PARAMETERS = {
    "/api/v1/trials/": [
        "topic",
        "intervention",
        "citation",
        "setting",
        "phase",
        "registry_id",
        "search",
    ],
    "/api/v1/topics/": ["trial", "search"],
    "/api/v1/interventions/": ["trial", "topic", "search"],
    "/api/v1/citations/": ["trial", "kind", "year", "search"],
    "/api/v1/change-requests/": ["status", "record_type", "record", "author"],
    "/api/v1/events/": ["after"],
    "/api/v1/snapshots/": [],
}


JUNK = ["a\x00b", "\x00", "１\x00", "\x7f\x01\ud7ff"]


@pytest.mark.parametrize("url", LIST_PARAMETERS)
def test_junk_in_any_list_parameter_is_never_a_server_error(
    reviewer_client, synthetic_records, url
):
    names = [*LIST_PARAMETERS[url], "limit", "offset", "ordering", "format", "page", "x\x00"]
    for name in names:
        for value in JUNK:
            response = reviewer_client.get(url, {name: value})
            assert response.status_code in (200, 400, 404), (name, value, response.content)
            if response.status_code == 400:
                assert paths(response.json()["error"]) == [name], (name, value)


# --- request bodies --------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A JSON value of exactly ``depth`` levels of arrays."""
    return "[" * depth + "]" * depth


def test_deeply_nested_document_is_refused_at_parse_time(editor_client, nothing_written):
    document = documents.synthetic_trial(summary="__DEEP__")
    body = revise_payload(document, 1)
    raw = __import__("json").dumps(body).replace('"__DEEP__"', nested(1000))
    response = editor_client.post("/api/v1/change-requests/", raw, content_type="application/json")
    error = error_of(response, 400)
    assert error["code"] == "malformed_request"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in error["message"]
    # Where: the body's document, then as many levels down as the limit allows.
    (item,) = error["errors"]
    assert item["path"] == "document.summary" + "[0]" * (MAX_JSON_DEPTH - 2)


@pytest.mark.parametrize("action", ["comments", "approve", "reject"])
def test_deeply_nested_comment_is_refused(reviewer_client, open_request, nothing_written, action):
    raw = '{"comment": ' + nested(1000) + "}"
    url = f"/api/v1/change-requests/{open_request.pk}/{action}/"
    response = reviewer_client.post(url, raw, content_type="application/json")
    assert error_of(response, 400)["code"] == "malformed_request"
    assert paths(response.json()["error"])[0].startswith("comment[0][0]")


def test_nesting_up_to_the_limit_reaches_validation(reviewer_client, open_request):
    url = f"/api/v1/change-requests/{open_request.pk}/comments/"
    # The body object is level 1, so the comment may nest MAX_JSON_DEPTH - 1 levels.
    at_limit = '{"comment": ' + nested(MAX_JSON_DEPTH - 1) + "}"
    error = error_of(reviewer_client.post(url, at_limit, content_type="application/json"), 400)
    assert error["code"] == "invalid" and paths(error) == ["comment"]
    beyond = '{"comment": ' + nested(MAX_JSON_DEPTH) + "}"
    error = error_of(reviewer_client.post(url, beyond, content_type="application/json"), 400)
    assert error["code"] == "malformed_request"


@pytest.mark.parametrize("declared", ["²", HUGE, "-1", "1e3"])
def test_odd_content_length_is_not_a_server_error(reviewer_client, open_request, declared):
    url = f"/api/v1/change-requests/{open_request.pk}/comments/"
    response = reviewer_client.post(
        url, '{"comment": "x"}', content_type="application/json", CONTENT_LENGTH=declared
    )
    # DRF reads a Content-Length that is no number (for int()) as "no body": 400, comment
    # required; one beyond the limit is a 413.
    assert response.status_code in (201, 400, 413), response.content
    if response.status_code >= 400:
        error_of(response, response.status_code)


def test_base_version_beyond_its_column_is_400(editor_client, synthetic_records, nothing_written):
    payload = revise_payload(documents.synthetic_trial(summary="x"), 2**31)
    error = error_of(editor_client.post("/api/v1/change-requests/", payload, format="json"), 400)
    assert paths(error) == ["base_version"]


# --- slugs that cannot exist, wherever they come from -----------------------------------------


@pytest.mark.parametrize("slug", ["\x00", "synthetic-2020\x00", "a\nb"])
def test_a_citation_slug_with_nul_is_an_unknown_citation(
    client, editor, synthetic_records, nothing_written, slug
):
    # Found by the admin part of test_property on PostgreSQL: the propose form's citations
    # reached a query (services -> selectors.record_exists) with a NUL in it.
    from curation import selectors

    live = selectors.live_record("topic", "synthetic-topic")
    from curation.admin.forms import ProposalForms
    from tests.admin.post_data import form_post_data

    forms = ProposalForms("topic", base_document=live.document, base_version=live.version)
    data = {**form_post_data(forms), "proposal-rationale": "r", "proposal-citations": slug}
    client.force_login(editor)
    response = client.post(f"/admin/evidence/topic/{live.pk}/change/", data)
    assert response.status_code == 400
    assert selectors.record_exists("citation", slug) is False
    assert selectors.live_record("citation", slug) is None


def test_api_citations_with_nul_are_400(editor_client, synthetic_records, nothing_written):
    payload = revise_payload(
        documents.synthetic_trial(summary="x"), 1, citations=["synthetic-2020\x00"]
    )
    error = error_of(editor_client.post("/api/v1/change-requests/", payload, format="json"), 400)
    assert paths(error) == ["citations[0]"]
