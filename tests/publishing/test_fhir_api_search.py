"""Search-type on the FHIR API: _id, identifier, url, _lastUpdated, paging with _count and
``next`` links, and a 400 naming every parameter, modifier or value we cannot apply."""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
import pytest
from fhir.resources import get_fhir_model_class

from publishing import services
from tests.factories import revise_approved
from tests.publishing.test_fhir_api import BASE, outcome

pytestmark = pytest.mark.django_db


def searchset(client, query: str) -> dict:
    response = client.get(f"{BASE}/{query}")
    assert response.status_code == 200, response.content
    bundle = orjson.loads(response.content)
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "searchset"
    return bundle


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def link(bundle: dict, relation: str) -> str | None:
    return next((li["url"] for li in bundle["link"] if li["relation"] == relation), None)


def test_search_by_id_identifier_and_url(fhir_client, published_corpus, settings):
    base = settings.FHIR_CANONICAL_BASE
    everything = searchset(fhir_client, "ResearchStudy")
    assert (everything["total"], ids(everything)) == (2, ["trial-one", "trial-two"])
    entry = everything["entry"][0]
    assert entry["fullUrl"] == f"http://testserver{BASE}/ResearchStudy/trial-one"
    assert entry["search"] == {"mode": "match"}
    cases = {
        "_id=trial-two": ["trial-two"],
        "_id=trial-two,trial-one": ["trial-one", "trial-two"],
        "_id=trial-one&_id=trial-two": [],  # repeated: both must hold
        "_id=nothing": [],
        f"identifier={base}/trial|trial-one": ["trial-one"],
        f"identifier={base}/trial|": ["trial-one", "trial-two"],
        "identifier=trial-two": ["trial-two"],
        "identifier=|trial-two": [],  # our identifiers all have a system
        "identifier=elsewhere|trial-two": [],
        f"url={base}/ResearchStudy/trial-two": ["trial-two"],
        "url=trial-two": [],
    }
    for query, expected in cases.items():
        found = searchset(fhir_client, f"ResearchStudy?{query.replace('|', '%7C')}")
        assert (ids(found), found["total"]) == (expected, len(expected)), query


def test_search_by_last_updated(fhir_client, published_corpus, editor, reviewer):
    revise_approved(
        editor, reviewer, "trial", "trial-two", lambda d: d.update(name="TRIAL TWO, revised")
    )
    services.publish_latest()
    first = searchset(fhir_client, "ResearchStudy?_id=trial-one")["entry"][0]["resource"]
    updated = first["meta"]["lastUpdated"].replace("+", "%2B")
    year = first["meta"]["lastUpdated"][:4]
    cases = {
        f"gt{updated}": ["trial-two"],
        f"sa{updated}": ["trial-two"],
        f"ge{updated}": ["trial-one", "trial-two"],
        f"le{updated}": ["trial-one"],
        f"eq{updated}": ["trial-one"],
        f"{updated}": ["trial-one"],
        f"ne{updated}": ["trial-two"],
        f"lt{updated}": [],
        f"eb{updated}": [],
        year: ["trial-one", "trial-two"],
        f"eq{year}-01-01&_lastUpdated=ne{year}": [],
        "ge2000-01-01T00:00:00Z&_lastUpdated=lt2000-01-02": [],
        "gt2000-02": ["trial-one", "trial-two"],
        "lt1999-12-31T23:59:59%2B01:00": [],
    }
    for query, expected in cases.items():
        found = searchset(fhir_client, f"ResearchStudy?_lastUpdated={query}")
        assert ids(found) == expected, query


def test_paging_follows_next_links_through_every_match(fhir_client, published_corpus):
    everything = searchset(fhir_client, "Evidence?_count=100")
    total = everything["total"]
    assert total == len(everything["entry"]) > 5
    assert link(everything, "next") is None
    seen, url, pages = [], f"{BASE}/Evidence?_count=3", 0
    while url:
        page = searchset(fhir_client, url.removeprefix(BASE + "/"))
        assert page["total"] == total
        assert len(page.get("entry", [])) <= 3
        seen += ids(page)
        pages += 1
        following = link(page, "next")
        url = urlsplit(following).path + "?" + urlsplit(following).query if following else None
    assert seen == ids(everything)
    assert pages == -(-total // 3)
    last = searchset(fhir_client, f"Evidence?_count=3&_offset={total - 1}")
    assert len(last["entry"]) == 1
    assert f"_offset={total - 4}" in link(last, "previous")
    only_total = searchset(fhir_client, "Evidence?_count=0")
    assert only_total["total"] == total
    assert "entry" not in only_total
    default = searchset(fhir_client, "Provenance")
    assert len(default["entry"]) == min(default["total"], 20)
    # Criteria ride along on the links.
    filtered = searchset(fhir_client, "Evidence?_id=x,y&_count=1")
    assert "_id=x%2Cy" in link(filtered, "self")


def test_search_answers_carry_etags(fhir_client, published_corpus):
    response = fhir_client.get(f"{BASE}/ResearchStudy?_id=trial-one")
    assert response["ETag"]
    again = fhir_client.get(
        f"{BASE}/ResearchStudy?_id=trial-one", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304
    other = fhir_client.get(
        f"{BASE}/ResearchStudy?_id=trial-two", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("query", "code", "named"),
    [
        ("ResearchStudy?title=TRIAL", "not-supported", "title"),
        ("ResearchStudy?_sort=title", "not-supported", "_sort"),
        ("ResearchStudy?_summary=count", "not-supported", "_summary"),
        ("ResearchStudy?_id=trial-one&status=active", "not-supported", "status"),
        ("ResearchStudy?identifier:exact=trial-one", "not-supported", ":exact"),
        ("ResearchStudy?_id:missing=true", "not-supported", ":missing"),
        ("Provenance?url=x", "not-supported", "url"),
        ("Provenance?identifier=x", "not-supported", "identifier"),
        ("MedicinalProductDefinition?url=x", "not-supported", "url"),
        ("ResearchStudy?_id=", "invalid", "_id"),
        ("ResearchStudy?_count=-1", "invalid", "_count"),
        ("ResearchStudy?_count=abc", "invalid", "_count"),
        ("ResearchStudy?_count=101", "invalid", "_count"),
        ("ResearchStudy?_count=%D9%A3", "invalid", "_count"),  # a non-ASCII digit
        ("ResearchStudy?_count=1&_count=2", "invalid", "_count"),
        ("ResearchStudy?_offset=-5", "invalid", "_offset"),
        ("ResearchStudy?_lastUpdated=yesterday", "invalid", "yesterday"),
        ("ResearchStudy?_lastUpdated=2024-13", "invalid", "2024-13"),
        ("ResearchStudy?_lastUpdated=2024-02-30", "invalid", "2024-02-30"),
        ("ResearchStudy?_lastUpdated=2024-01-01T10:00", "invalid", "2024-01-01T10:00"),
        ("ResearchStudy?_lastUpdated=ap2024", "not-supported", "ap"),
        ("ResearchStudy?_lastUpdated=", "invalid", "_lastUpdated"),
    ],
)
def test_unsupported_or_bad_search_input_is_400_naming_it(
    fhir_client, published_corpus, query, code, named
):
    assert named in outcome(fhir_client.get(f"{BASE}/{query}"), 400, code)
