"""Importing references as citation change requests: a file (PubMed XML, RIS, BibTeX,
CSL-JSON) or PMIDs and DOIs fetched online; one change request per reference.

A reference that is already a citation (same DOI, same PMID, or the same normalised title,
year and first author) is offered as a revision of that citation with what the reference adds
or corrects, never as a second record; one that changes nothing is reported as up to date.
Each reference is proposed on its own: a malformed entry, an unknown PMID or an invalid field
is an error for that reference only, named by where it is, and writes nothing for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from evidence import models as ev

from .. import selectors
from ..errors import CurationError, NotFound, ValidationFailed
from ..models import ChangeRequest
from ..services import propose
from ..services.policy import propose_refusal
from ..services.proposals import proposal
from . import citation_formats as formats
from . import fetch, sources
from .citation_formats import EntryError, Reference
from .registry_text import key_from

DOI = re.compile(r"^(doi:\s*|https?://(dx\.)?doi\.org/)?10\.\S+/\S+$", re.IGNORECASE)
FIELDS = ("kind", "title", "authors", "authors_et_al", "journal", "year", "volume", "issue",
          "pages", "published_on", "doi", "pmid", "url")  # fmt: skip


@dataclass
class CitationOutcome:
    where: str
    change_request: ChangeRequest | None = None
    up_to_date: str | None = None  # the citation's slug, when the reference changes nothing
    error: str | None = None


def import_citations(
    *,
    user,
    raw: bytes | str | None = None,
    label: str | None = None,
    fmt: str | None = None,
    identifiers: Iterable[str] | None = None,
    submit: bool = False,
) -> list[CitationOutcome]:
    """One outcome per reference, in the input's order."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    if (raw is None) == (identifiers is None):
        raise ValidationFailed([{"path": "", "message": "give a reference file or identifiers"}])
    if raw is not None:
        label = label or "the uploaded file"
        sources.check_size(raw.encode() if isinstance(raw, str) else raw, label)
        text = _decoded(raw, label)
        found = formats.parse(text, fmt, label)
        prefix = f"{label}: "
    else:
        found, prefix = _fetched(list(identifiers)), ""
    outcomes, seen = [], {}
    for reference in found:
        where = prefix + reference.where
        if isinstance(reference, EntryError):
            outcomes.append(CitationOutcome(where, error=reference.message))
            continue
        same = _identity(reference)
        if same & seen.keys():
            first = seen[next(iter(same & seen.keys()))]
            outcomes.append(CitationOutcome(where, error=f"the same reference as {first}"))
            continue
        seen.update(dict.fromkeys(same, reference.where))
        try:
            outcomes.append(_propose(user, reference, where, submit))
        except CurationError as exc:
            outcomes.append(CitationOutcome(where, error=exc.message))
    return outcomes


def _decoded(raw: bytes | str, label: str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise formats.NotReferences(
            [{"path": "", "message": f"byte {exc.start} is not UTF-8"}],
            f"{label} is not UTF-8 text",
        ) from None


def _fetched(identifiers: list[str]) -> list[Reference | EntryError]:
    """PMIDs in one efetch request, DOIs one by one (CSL-JSON from the resolver)."""
    pmids = [i.strip() for i in identifiers if i.strip().isdigit()]
    found: dict[str, Reference | EntryError] = {}
    if pmids:
        what = f"PubMed PMID{'s' if len(pmids) > 1 else ''} {', '.join(pmids)}"
        body = fetch.fetch(fetch.pubmed_efetch_url(pmids), what=what, accept="application/xml")
        for reference in formats.pubmed(body.decode("utf-8", "replace"), what):
            if isinstance(reference, Reference) and reference.pmid:
                found[reference.pmid] = reference
    results: list[Reference | EntryError] = []
    for identifier in identifiers:
        identifier = identifier.strip()
        if identifier.isdigit():
            results.append(
                found.get(identifier)
                or EntryError(f"PMID {identifier}", "PubMed does not know this PMID")
            )
        elif DOI.match(identifier):
            results.append(_by_doi(formats._doi(identifier)))
        else:
            results.append(
                EntryError(identifier[:80], "neither a PMID (digits) nor a DOI (10.x/y)")
            )
    return results


def _by_doi(doi: str) -> Reference | EntryError:
    where = f"DOI {doi}"
    try:
        body = fetch.fetch(
            fetch.doi_url(doi), what=where, accept="application/vnd.citationstyles.csl+json"
        )
    except NotFound:
        return EntryError(where, "the DOI resolver does not know this DOI")
    (reference,) = formats.csl(body.decode("utf-8", "replace"), where)
    if isinstance(reference, Reference):
        reference.where = where
    return reference


# --- One reference -> one change request ------------------------------------------------------


def _normalised_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", title.casefold())


def _first_surname(authors: list[str]) -> str:
    return authors[0].split()[0].casefold() if authors and authors[0].split() else ""


def _identity(reference: Reference) -> set[str]:
    keys = {f"title:{_normalised_title(reference.title)}:{reference.year}:"
            f"{_first_surname(reference.authors)}"}  # fmt: skip
    if reference.doi:
        keys.add(f"doi:{reference.doi.casefold()}")
    if reference.pmid:
        keys.add(f"pmid:{reference.pmid}")
    return keys


def existing_citation(reference: Reference) -> tuple[ev.Citation, str] | None:
    """The citation this reference already is, and by what it was recognised."""
    if reference.doi:
        found = ev.Citation.objects.filter(doi__iexact=reference.doi).first()
        if found:
            return found, f"DOI {reference.doi}"
    if reference.pmid:
        found = ev.Citation.objects.filter(pmid=reference.pmid).first()
        if found:
            return found, f"PMID {reference.pmid}"
    if reference.year is not None:
        title, surname = _normalised_title(reference.title), _first_surname(reference.authors)
        for citation in ev.Citation.objects.filter(year=reference.year):
            if (
                _normalised_title(citation.title) == title
                and _first_surname(citation.document.get("authors") or []) == surname
            ):
                return citation, "title, year and first author"
    return None


def citation_fields(reference: Reference) -> dict[str, Any]:
    """What the reference says, as citation document fields (absent ones left out)."""
    authors = reference.authors
    fields: dict[str, Any] = {
        "kind": reference.kind,
        "title": reference.title,
        "authors": authors[:200],
        "authors_et_al": reference.authors_et_al or len(authors) > 200,
    }
    for name in FIELDS[4:]:
        value = getattr(reference, name)
        if value not in (None, ""):
            fields[name] = value
    return fields


def _new_slug(reference: Reference) -> str:
    surname = reference.authors[0].split()[0] if reference.authors else reference.title
    base = key_from(surname, str(reference.year or "")).replace("_", "-")[:90].strip("-")
    slug, n = base, 1
    while selectors.stream_id_for_slug("citation", slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


def import_reference(*, user, reference: Reference, where: str, submit: bool) -> CitationOutcome:
    """One reference already read from a file (a batch's item) -> its change request."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    return _propose(user, reference, where, submit)


def prepare_reference(*, user, reference: Reference, where: str, submit: bool) -> CitationOutcome:
    """``import_reference`` up to its writes: the outcome's change request is checked and
    built, not saved (a batch saves a chunk's together: ``proposals.save_proposals``)."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    return _propose(user, reference, where, submit, build=partial(proposal, remember=False))


def identity(reference: Reference) -> set[str]:
    """The keys by which two references are the same one."""
    return _identity(reference)


def _propose(
    user, reference: Reference, where: str, submit: bool, build=propose
) -> CitationOutcome:
    fields = citation_fields(reference)
    match = existing_citation(reference)
    if match is None:
        document = {"slug": _new_slug(reference), **fields}
        cr = build(
            user=user, record_type="citation", action="create", document=document,
            rationale=f"Imported from {where}.", submit=submit,
        )  # fmt: skip
        return CitationOutcome(where, change_request=cr)
    citation, recognised_by = match
    current = citation.document
    # The editors' kind and note stay; what the reference gives replaces what it differs from.
    proposal = {**current, **{k: v for k, v in fields.items() if k != "kind"}}
    changed = [k for k in FIELDS if proposal.get(k) != current.get(k)]
    if not changed:
        return CitationOutcome(where, up_to_date=citation.slug)
    lines = [f"Imported from {where}: the same reference as citation {citation.slug} "
             f"(by {recognised_by}); it gives:"]  # fmt: skip
    lines += [f"- {k}: {current.get(k)!r} → {proposal.get(k)!r}" for k in changed]
    cr = build(
        user=user, record_type="citation", action="revise", record=citation.slug,
        base_version=citation.version, document=proposal, rationale="\n".join(lines),
        submit=submit,
    )  # fmt: skip
    return CitationOutcome(where, change_request=cr)
