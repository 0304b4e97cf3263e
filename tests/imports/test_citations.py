"""References to citation change requests: PubMed XML, RIS, BibTeX and CSL-JSON files, PMIDs
and DOIs fetched from a local server; duplicates offered as revisions; malformed entries named
and skipped, writing nothing for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation import services
from curation.errors import PermissionDenied
from curation.imports.citation_formats import NotReferences
from curation.imports.citation_services import import_citations
from curation.models import ChangeRequest

from .helpers import row_counts

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
ATTAL = {
    "kind": "article",
    "authors_et_al": False,
    "year": 2012,
    "volume": "366",
    "issue": "19",
    "doi": "10.1056/NEJMoa1114138",
    "pmid": "22571201",
}


def imported(editor, name, **kwargs):
    return import_citations(user=editor, raw=(DATA / name).read_bytes(), label=name, **kwargs)


def document_of(outcome):
    assert outcome.error is None, outcome.error
    return outcome.change_request.document


def test_pubmed_xml(editor):
    attal, mccarthy = imported(editor, "pubmed.xml")
    doc = document_of(attal)
    assert doc == {
        **doc,
        **ATTAL,
        "slug": "attal-2012",
        "title": "Lenalidomide maintenance after stem-cell transplantation for multiple myeloma.",
        "authors": ["Attal M", "Lauwers-Cances V", "IFM Investigators"],
        "journal": "The New England journal of medicine",
        "pages": "1782-91",
        "published_on": "2012 May 10",
    }
    assert attal.change_request.status == "draft" and attal.change_request.author == editor
    assert attal.change_request.rationale == "Imported from pubmed.xml: article 1 (PMID 22571201)."
    other = document_of(mccarthy)
    assert (other["authors"], other["authors_et_al"]) == (["McCarthy PL"], True)
    assert (other["year"], other["published_on"]) == (2012, "2012 May-Jun")
    assert other["doi"] == "10.1056/NEJMoa1114083"


def test_ris_with_a_broken_entry(editor):
    attal, palumbo, broken = imported(editor, "references.ris", submit=True)
    assert document_of(attal) == {
        **document_of(attal),
        **ATTAL,
        "authors": ["Attal M", "Lauwers-Cances V"],
        "pages": "1782-1791",
        "journal": "The New England journal of medicine",
    }
    assert attal.change_request.status == "submitted"
    assert document_of(palumbo)["pages"] == "1759-1769"
    assert broken.where == "references.ris: entry 3 (line 26)"
    assert broken.error == "the entry does not end with an ER line"
    assert broken.change_request is None and ChangeRequest.objects.count() == 2


def test_bibtex_with_a_broken_entry(editor):
    attal, broken = imported(editor, "references.bib")
    doc = document_of(attal)
    assert doc["authors"] == ["Attal M", "Lauwers-Cances V", "van der Berg JL"]
    assert (
        doc["title"]
        == "Lenalidomide Maintenance after Stem-Cell Transplantation for Multiple Myeloma"
    )
    assert (doc["pages"], doc["doi"], doc["pmid"], doc["journal"]) == (
        "1782-1791",
        "10.1056/NEJMoa1114138",
        "22571201",
        "N Engl J Med",
    )
    assert broken.where.startswith("references.bib: entry at line 13") and broken.error


def test_crossref_csl_json(editor):
    (attal,) = imported(editor, "crossref.json")
    doc = document_of(attal)
    assert (doc["authors"], doc["journal"], doc["pages"], doc["published_on"]) == (
        ["Attal M", "Lauwers-Cances V"],
        "New England Journal of Medicine",
        "1782-1791",
        "2012-5-10",
    )


def approved(editor, reviewer, outcome):
    cr = outcome.change_request
    services.submit(cr, user=editor)
    services.approve(cr, user=reviewer)


def test_duplicates_become_revisions_or_up_to_date(editor, reviewer):
    (attal, _) = imported(editor, "pubmed.xml")
    approved(editor, reviewer, attal)
    # The same article from Crossref (by DOI): a revision with what it gives differently.
    (again,) = imported(editor, "crossref.json")
    cr = again.change_request
    assert (cr.action, cr.record_slug, cr.base_version) == ("revise", "attal-2012", 1)
    assert (
        "the same reference as citation attal-2012 (by DOI 10.1056/NEJMoa1114138)" in cr.rationale
    )
    assert cr.document["pmid"] == "22571201"  # kept: Crossref does not give it
    assert cr.document["pages"] == "1782-1791"
    # The same PubMed record again changes nothing: reported, nothing proposed.
    before = ChangeRequest.objects.count()
    first, second = imported(editor, "pubmed.xml")
    assert first.up_to_date == "attal-2012" and first.change_request is None
    assert second.change_request is not None  # McCarthy's earlier draft was never approved
    assert ChangeRequest.objects.count() == before + 1


def test_duplicate_by_title_year_and_first_author(editor, reviewer):
    (_, palumbo, _) = imported(editor, "references.ris")
    approved(editor, reviewer, palumbo)
    bib = (
        "@article{p, author = {Palumbo, A.}, title = {Continuous Lenalidomide Treatment for "
        "Newly Diagnosed Multiple Myeloma}, year = {2012}, journal = {N Engl J Med}, "
        "pages = {1759--1769}}"
    )
    (outcome,) = import_citations(user=editor, raw=bib, label="p.bib")
    assert outcome.change_request.action == "revise"
    assert "by title, year and first author" in outcome.change_request.rationale


def test_the_same_reference_twice_in_one_file(editor):
    ris = (DATA / "references.ris").read_text().split("\n\n")[0] + "\n\n"
    outcomes = import_citations(user=editor, raw=ris + ris, label="twice.ris")
    assert outcomes[0].change_request is not None
    assert outcomes[1].error == "the same reference as entry 1 (line 1)"


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"just some words", "is no reference file"),
        (b"<html><body>no</body></html>", r"is not a PubMed \(efetch\) XML document"),
        (b"<PubmedArticleSet><oops></PubmedArticleSet>", "is not well-formed XML"),
        (b"\xff\xfe bad bytes", "is not UTF-8 text"),
    ],
)
def test_not_a_reference_file(editor, raw, words):
    before = row_counts()
    with pytest.raises(NotReferences, match=words):
        import_citations(user=editor, raw=raw, label="upload")
    assert row_counts() == before


def test_only_editors(reviewer):
    with pytest.raises(PermissionDenied):
        imported(reviewer, "pubmed.xml")
    assert ChangeRequest.objects.count() == 0


def test_pmids_and_dois_fetched(editor, registry):
    registry.pages["/efetch.fcgi?db=pubmed&retmode=xml&id=22571201,99999999"] = (
        DATA / "pubmed.xml"
    ).read_bytes()
    registry.pages["/doi/10.1056/NEJMoa1114083"] = (
        b'{"DOI": "10.1056/NEJMoa1114083", "type": "article-journal", "title": "Lenalidomide after'
        b' Stem-Cell Transplantation for Multiple Myeloma", "author": [{"family": "McCarthy",'
        b' "given": "Philip L."}], "issued": {"date-parts": [[2012]]}}'
    )
    outcomes = import_citations(
        user=editor,
        identifiers=["22571201", "99999999", "10.1056/NEJMoa1114083", "10.1000/unknown", "hello"],
    )
    assert document_of(outcomes[0])["pmid"] == "22571201"
    assert (outcomes[1].where, outcomes[1].error) == (
        "PMID 99999999",
        "PubMed does not know this PMID",
    )
    assert document_of(outcomes[2])["doi"] == "10.1056/NEJMoa1114083"
    assert outcomes[3].error == "the DOI resolver does not know this DOI"
    assert "neither a PMID" in outcomes[4].error
    assert ChangeRequest.objects.count() == 2
