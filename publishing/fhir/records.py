"""Citations, interventions and topics as FHIR resources.

- a citation: ``Citation``, shaped after the EBM guide's journal-article citation
  (``ebm-ig-r5/*androgen-deprivation*``): ``citedArtifact`` with the DOI and PMID as
  identifiers (systems ``https://doi.org`` and ``https://pubmed.ncbi.nlm.nih.gov``), the
  title, ``publicationForm`` (journal as ``publishedIn``, volume, issue, pages, year) and the
  authors as ``contributorship`` entries. An article in a journal claims the guide's
  ``journal-article-citation`` profile (it requires the "Journal Article" classification);
- an intervention: ``MedicinalProductDefinition``. Neither MedicationKnowledge nor
  SubstanceDefinition: the EBM guide's own example of a drug with a generic and a brand name
  (MedicinalProductDefinition 399870, glucagon nasal powder / BAQSIMI) and HL7's
  clinical-study-protocol guide both use a MedicinalProductDefinition, one ``name`` per
  name with its type coded in the NCI Thesaurus (C97054 generic, C71898 proprietary). R5's
  ResearchStudy.focus accepts it, which is where a trial names its interventions;
- a topic: ``Composition``, one ``section`` per topic section (its paragraphs as narrative,
  its trials and interventions as entries), then the topic's findings and its numbered
  reference list (Citation entries, in order).
"""

from __future__ import annotations

from typing import Any

from evidence.documents import vocabulary

from . import codes
from .common import RecordContext, compact, fhir_id, narrative, notes, record_reference

GENERIC_NAME = ("C97054", "Generic Name")
PROPRIETARY_NAME = ("C71898", "Proprietary Name")


def citation(document: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    slug = document["slug"]
    identifiers = []
    if document.get("doi"):
        identifiers.append({"system": codes.DOI, "value": document["doi"]})
    if document.get("pmid"):
        identifiers.append({"system": codes.PUBMED, "value": document["pmid"]})
    journal = document.get("journal")
    publication = {
        "publishedIn": (
            {
                "type": codes.concept(codes.PUBLISHED_IN_TYPE, "D020492", "Periodical"),
                "title": journal,
            }
            if journal
            else None
        ),
        "volume": document.get("volume"),
        "issue": document.get("issue"),
        "pageString": document.get("pages"),
        "articleDate": str(document["year"]) if document.get("year") is not None else None,
        "publicationDateText": document.get("published_on"),
    }
    authors = document.get("authors", [])
    # A journal article claims the EBM guide's profile; what it requires beyond the base
    # Citation is the knowledge-artifact-type classification "Journal Article".
    journal_article = document["kind"] == "article" and bool(journal)
    classifications = [
        {"classifier": [{"text": vocabulary.CITATION_KIND_LABELS[document["kind"]]}]}
    ]
    if journal_article:
        classifications.append(
            {
                "type": codes.concept(
                    codes.CLASSIFICATION_TYPE, "knowledge-artifact-type", "Knowledge Artifact Type"
                ),
                "classifier": [codes.concept(codes.ARTIFACT_CLASSIFIER, *codes.JOURNAL_ARTICLE)],
            }
        )
    profile = codes.JOURNAL_ARTICLE_CITATION if journal_article else None
    return compact(
        {
            **ctx.head("Citation", fhir_id(slug), profile=profile),
            "identifier": [ctx.identifier(slug)],
            "title": document["title"],
            "status": "active",
            "note": notes(document.get("note")),
            "citedArtifact": {
                "identifier": identifiers,
                "title": [{"text": document["title"]}],
                "classification": classifications,
                "publicationForm": [publication],
                "webLocation": [{"url": document["url"]}] if document.get("url") else [],
                "contributorship": (
                    {
                        "complete": not document.get("authors_et_al", False),
                        "entry": [
                            {"contributor": {"display": name}, "rankingOrder": i + 1}
                            for i, name in enumerate(authors)
                        ],
                    }
                    if authors
                    else None
                ),
            },
        }
    )


def medicinal_product(document: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    slug = document["slug"]
    names = [_name(document["generic_name"], GENERIC_NAME)]
    names += [_name(brand, PROPRIETARY_NAME) for brand in document.get("brand_names", [])]
    return compact(
        {
            **ctx.head("MedicinalProductDefinition", fhir_id(slug), canonical=False),
            "identifier": [ctx.identifier(slug)],
            "description": document.get("description"),
            "classification": (
                [{"text": document["drug_class"]}] if document.get("drug_class") else []
            ),
            "route": [{"text": document["route"]}] if document.get("route") else [],
            "name": names,
            "characteristic": [
                {"type": {"text": "display name"}, "valueMarkdown": document["name"]},
                *(
                    [{"type": {"text": "note"}, "valueMarkdown": document["note"]}]
                    if document.get("note")
                    else []
                ),
            ],
        }
    )


def _name(text: str, kind: tuple[str, str]) -> dict[str, Any]:
    return {"productName": text, "type": codes.concept(codes.NCI_THESAURUS, *kind)}


def composition(document: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    slug = document["slug"]
    sections = [_topic_section(section) for section in document.get("sections", [])]
    findings = document.get("findings", [])
    if findings:
        trials = dict.fromkeys(trial for f in findings for trial in f.get("trials", []))
        sections.append(
            {
                "title": "Findings",
                "text": narrative([finding["statement"] for finding in findings]),
                "entry": [record_reference("ResearchStudy", trial) for trial in trials],
            }
        )
    if document.get("citations"):
        sections.append(
            {
                "title": "References",
                "orderedBy": {"text": "numbered reference list, in order"},
                "entry": [record_reference("Citation", c) for c in document["citations"]],
            }
        )
    return compact(
        {
            **ctx.head("Composition", fhir_id(slug)),
            "identifier": [ctx.identifier(slug)],
            "status": "final",
            "type": {"text": "Evidence summary"},
            "subject": [{"display": document["condition"]}],
            "date": ctx.updated,
            "author": [{"display": document.get("byline") or "Evidence curation service"}],
            "title": document["title"],
            "note": notes(
                document["summary"],
                f"Source updated: {document['source_updated']}"
                if document.get("source_updated")
                else None,
                document.get("notes"),
            ),
            "section": sections,
        }
    )


def _topic_section(section: dict[str, Any]) -> dict[str, Any]:
    setting = section.get("setting")
    return {
        "title": section["heading"],
        "code": {"text": vocabulary.SETTING_LABELS[setting]} if setting else None,
        "text": narrative(section["body"]) if section.get("body") else None,
        "entry": [
            *(record_reference("ResearchStudy", trial) for trial in section.get("trials", [])),
            *(
                record_reference("MedicinalProductDefinition", i)
                for i in section.get("interventions", [])
            ),
        ],
    }
