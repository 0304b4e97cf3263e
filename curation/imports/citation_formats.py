"""Reference files -> ``Reference``s: PubMed XML (E-utilities efetch), RIS (rispy), BibTeX
(bibtexparser) and CSL-JSON (Crossref, doi.org). Pure: no database, no network.

Each entry is read on its own: a malformed entry becomes an ``EntryError`` naming where it is
(the entry's number, its key or line), and the file's other entries are still read. A file
that is no such format at all is refused whole (``NotAStudy``'s sibling, ``NotReferences``).
Values are kept as the source writes them (titles, page ranges, dates); only BibTeX's LaTeX is
decoded and its "--" page ranges written with one hyphen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import bibtexparser
import orjson
import rispy
from bibtexparser import middlewares
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ..errors import ValidationFailed
from .registry_text import unescape

FORMATS = ("pubmed", "ris", "bibtex", "csl")


class NotReferences(ValidationFailed):
    code = "not_references"


@dataclass
class Reference:
    where: str  # "entry 2 (line 14)", "PMID 22571201": named in errors and rationales
    kind: str = "article"
    title: str = ""
    authors: list[str] = field(default_factory=list)
    authors_et_al: bool = False
    journal: str | None = None
    year: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    published_on: str | None = None
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None


@dataclass
class EntryError:
    where: str
    message: str


def sniff(text: str) -> str | None:
    start = text.lstrip("\ufeff \t\r\n")[:200]
    if start.startswith("<"):
        return "pubmed"
    if re.match(r"^TY  -", start):
        return "ris"
    if start.startswith("@") or re.match(r"^%.*\n\s*@", start):
        return "bibtex"
    if start.startswith(("[", "{")):
        return "csl"
    return None


def parse(text: str, fmt: str | None, label: str) -> list[Reference | EntryError]:
    fmt = fmt or sniff(text)
    if fmt not in FORMATS:
        raise NotReferences(
            [{"path": "format", "message": f"say which format: one of {', '.join(FORMATS)}"}],
            f"{label} is no reference file this import reads (PubMed XML, RIS, BibTeX or CSL-JSON)",
        )
    return {"pubmed": pubmed, "ris": ris, "bibtex": bibtex, "csl": csl}[fmt](text, label)


# --- PubMed XML -------------------------------------------------------------------------------


def pubmed(text: str, label: str) -> list[Reference | EntryError]:
    try:
        root = ElementTree.fromstring(text.encode())
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise NotReferences(
            [{"path": "", "message": str(exc)}], f"{label} is not well-formed XML"
        ) from None
    articles = root.findall(".//PubmedArticle") if root.tag != "PubmedArticle" else [root]
    if not articles:
        raise NotReferences(
            [{"path": "", "message": "no PubmedArticle element"}],
            f"{label} is not a PubMed (efetch) XML document",
        )
    return [_pubmed_article(article, i) for i, article in enumerate(articles, start=1)]


def _text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _pubmed_article(article, number: int) -> Reference | EntryError:
    pmid = _text(article.find("./MedlineCitation/PMID"))
    where = f"article {number}" + (f" (PMID {pmid})" if pmid else "")
    cite = article.find("./MedlineCitation/Article")
    if cite is None or not _text(cite.find("ArticleTitle")):
        return EntryError(where, "no ArticleTitle")
    issue = cite.find("./Journal/JournalIssue")
    date = issue.find("PubDate") if issue is not None else None
    published = (
        _text(date.find("MedlineDate"))
        or " ".join(_text(date.find(p)) for p in ("Year", "Month", "Day") if _text(date.find(p)))
        if date is not None
        else ""
    )
    authors = []
    author_list = cite.find("AuthorList")
    for author in author_list.findall("Author") if author_list is not None else []:
        name = _text(author.find("CollectiveName")) or " ".join(
            p for p in (_text(author.find("LastName")), _text(author.find("Initials"))) if p
        )
        if name:
            authors.append(name)
    doi = next(
        (
            _text(e)
            for e in [*article.findall(".//ArticleIdList/ArticleId"), *cite.findall("ELocationID")]
            if (e.get("IdType") or e.get("EIdType")) == "doi"
        ),
        None,
    )
    types = {_text(t) for t in cite.findall("./PublicationTypeList/PublicationType")}
    return Reference(
        where=where,
        kind="editorial" if "Editorial" in types else "article",
        title=_text(cite.find("ArticleTitle")),
        authors=authors,
        authors_et_al=author_list is not None and author_list.get("CompleteYN") == "N",
        journal=_text(cite.find("./Journal/Title")) or None,
        year=_year(published),
        volume=_text(issue.find("Volume")) if issue is not None else None,
        issue=_text(issue.find("Issue")) if issue is not None else None,
        pages=_text(cite.find("./Pagination/MedlinePgn")) or None,
        published_on=published or None,
        doi=doi or None,
        pmid=pmid or None,
    )


# --- RIS --------------------------------------------------------------------------------------

RIS_KINDS = {
    "JOUR": "article",
    "JFULL": "article",
    "ABST": "abstract",
    "EDIT": "editorial",
    "ELEC": "web_page",
    "WEB": "web_page",
    "CONF": "presentation",
    "CPAPER": "presentation",
    "SLIDE": "presentation",
}


def ris(text: str, label: str) -> list[Reference | EntryError]:
    """Entry by entry (TY ... ER), so a broken entry is named and the others are read."""
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^TY  -", line):
            blocks.append((number, [line]))
        elif blocks and line.strip():
            blocks[-1][1].append(line)
        elif line.strip() and not blocks:
            return [EntryError(f"line {number}", "text before the first TY (type) line")]
    if not blocks:
        raise NotReferences([{"path": "", "message": "no TY line"}], f"{label} holds no RIS entry")
    found: list[Reference | EntryError] = []
    for i, (line, lines) in enumerate(blocks, start=1):
        where = f"entry {i} (line {line})"
        if not re.match(r"^ER  -", lines[-1]):
            found.append(EntryError(where, "the entry does not end with an ER line"))
            continue
        try:
            (entry,) = rispy.loads("\n".join(lines) + "\n")
        except Exception as exc:  # rispy raises plain exceptions on broken entries
            found.append(EntryError(where, f"not a RIS entry: {exc}"))
            continue
        if entry.get("unknown_tag"):
            bad = next(iter(entry["unknown_tag"].values()))[0]
            found.append(EntryError(where, f"not a RIS line: {bad[:80]!r}"))
            continue
        found.append(_ris_reference(entry, where))
    return found


def _ris_reference(entry: dict[str, Any], where: str) -> Reference | EntryError:
    title = entry.get("title") or entry.get("primary_title")
    if not title:
        return EntryError(where, "no title (TI or T1)")
    authors = [
        _surname_initials(a) for a in entry.get("authors") or entry.get("first_authors") or []
    ]
    start, end = entry.get("start_page"), entry.get("end_page")
    accession = str(entry.get("accession_number") or "")
    return Reference(
        where=where,
        kind=RIS_KINDS.get(entry.get("type_of_reference", ""), "other"),
        title=title,
        authors=authors,
        journal=entry.get("journal_name") or entry.get("secondary_title") or None,
        year=_year(entry.get("year") or entry.get("publication_year") or entry.get("date") or ""),
        volume=entry.get("volume"),
        issue=entry.get("number"),
        pages=f"{start}-{end}" if start and end else start or None,
        published_on=entry.get("date") or None,
        doi=_doi(entry.get("doi")),
        pmid=accession if accession.isdigit() else None,
        url=(entry.get("urls") or [None])[0],
    )


# --- BibTeX -----------------------------------------------------------------------------------

BIBTEX_KINDS = {"article": "article", "inproceedings": "presentation", "online": "web_page"}


def bibtex(text: str, label: str) -> list[Reference | EntryError]:
    library = bibtexparser.parse_string(
        text,
        append_middleware=[
            middlewares.LatexDecodingMiddleware(),
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
        ],
    )
    found: list[tuple[int, Reference | EntryError]] = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        found.append((line, EntryError(f"entry at line {line}", _first_line(block.error))))
    for entry in library.entries:
        line = (entry.start_line or 0) + 1
        found.append((line, _bibtex_reference(entry, f"entry {entry.key} (line {line})")))
    if not found:
        raise NotReferences(
            [{"path": "", "message": "no @entry"}], f"{label} holds no BibTeX entry"
        )
    return [reference for _, reference in sorted(found, key=lambda pair: pair[0])]


def _bibtex_reference(entry, where: str) -> Reference | EntryError:
    fields = {f.key.lower(): f.value for f in entry.fields}
    if not isinstance(fields.get("title"), str) or not fields["title"].strip():
        return EntryError(where, "no title")
    authors = [
        " ".join([*name.von, *name.last]) + (" " + _initials(name.first) if name.first else "")
        for name in fields.get("author") or []
        if hasattr(name, "last")
    ]
    pages = fields.get("pages")
    return Reference(
        where=where,
        kind=BIBTEX_KINDS.get(entry.entry_type.lower(), "other"),
        title=" ".join(fields["title"].split()),
        authors=authors,
        journal=fields.get("journal"),
        year=_year(str(fields.get("year") or "")),
        volume=fields.get("volume"),
        issue=fields.get("number"),
        pages=pages.replace("--", "-").replace("–", "-") if isinstance(pages, str) else None,
        doi=_doi(fields.get("doi")),
        pmid=str(fields["pmid"]) if str(fields.get("pmid", "")).isdigit() else None,
        url=fields.get("url"),
    )


# --- CSL-JSON ---------------------------------------------------------------------------------

CSL_KINDS = {
    "article-journal": "article",
    "journal-article": "article",  # Crossref's own name
    "paper-conference": "presentation",
    "webpage": "web_page",
    "post-weblog": "web_page",
}


def csl(text: str, label: str) -> list[Reference | EntryError]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise NotReferences([{"path": "", "message": exc.msg}], f"{label} is not JSON") from None
    if isinstance(data, dict) and isinstance(data.get("message"), dict):
        data = data["message"]  # Crossref's /works/{doi} envelope
    items = data if isinstance(data, list) else [data]
    return [_csl_reference(item, f"item {i}") for i, item in enumerate(items, start=1)]


def _csl_reference(item: Any, where: str) -> Reference | EntryError:
    if not isinstance(item, dict):
        return EntryError(where, "a CSL item is a JSON object")
    title = item.get("title")
    title = title[0] if isinstance(title, list) and title else title
    if not isinstance(title, str) or not title.strip():
        return EntryError(where, "no title")
    authors = []
    for author in item.get("author") or []:
        if isinstance(author, dict) and author.get("family"):
            given = _initials(str(author.get("given") or "").split())
            authors.append(f"{author['family']} {given}".strip())
        elif isinstance(author, dict) and author.get("literal"):
            authors.append(author["literal"])
    journal = item.get("container-title")
    journal = journal[0] if isinstance(journal, list) and journal else journal
    issued = (item.get("issued") or item.get("published-print") or {}).get("date-parts") or [[]]
    parts = [str(p) for p in (issued[0] if issued and isinstance(issued[0], list) else [])]
    return Reference(
        where=where,
        kind=CSL_KINDS.get(item.get("type", ""), "other"),
        title=" ".join(unescape(title).split()),
        authors=authors,
        journal=journal or None,
        year=int(parts[0]) if parts and parts[0].isdigit() else None,
        volume=_str(item.get("volume")),
        issue=_str(item.get("issue")),
        pages=_str(item.get("page")),
        published_on="-".join(parts) or None,
        doi=_doi(item.get("DOI")),
        pmid=_str(item.get("PMID")),
        url=item.get("URL"),
    )


# --- Shared -----------------------------------------------------------------------------------


def _year(text: str) -> int | None:
    match = re.search(r"\b(1[89][0-9]{2}|2[01][0-9]{2})\b", str(text))
    return int(match[1]) if match else None


def _doi(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", text.strip(), flags=re.IGNORECASE)
    return doi or None


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _initials(first_names: list[str]) -> str:
    """['Jean-Luc', 'A.'] -> 'JLA' (PubMed's way: 'Attal M')."""
    return "".join(
        part[0].upper() for name in first_names for part in re.split(r"[-.\s]+", name) if part
    )


def _surname_initials(name: str) -> str:
    """RIS 'Attal, Michel' -> 'Attal M'; a name without a comma is kept as written."""
    if "," not in name:
        return name.strip()
    last, _, first = name.partition(",")
    initials = _initials(first.split())
    return f"{last.strip()} {initials}".strip()


def _first_line(error: Any) -> str:
    lines = str(error or "").strip().splitlines()
    return lines[0][:300] if lines else "not a well-formed BibTeX entry"
