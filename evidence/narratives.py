"""Numbers in prose against numbers in structured values: the two places a record says a
number, which drift apart when only one of them is edited.

- ``prose_of(document, record_type)``: the prose of a document (summaries, findings, notes,
  conduct notes, topic paragraphs), each with its path as ``evidence.diff`` writes paths, in
  the order the record type's schema lists its fields;
- ``numbers_in(text)``: the numbers a text quotes, leaving out those that are not results:
  years, citation markers ("[12]", "reference 14"), page numbers ("p. 4"), confidence levels
  ("95% CI"), trial phases ("phase 3"), abstract numbers, ordinals ("1st"), numbers inside
  names ("CALGB 100104", "MM-015", "IFM 2005-02") and the rest of a list or range that
  starts with one of these ("references 10 and 11", "cited as '1-6,8'");
- ``stale_quotes(old, new, texts)``: for every number a change changes, the sentences that
  still quote the old number (the review's narrative warnings);
- ``unmatched_numbers(document, related)``: numbers in a document's prose that match no
  structured value of it (nor of ``related`` documents, the trials a topic shows), for
  ``manage.py check_narratives``.

Matching is numeric: "27" is 27 and 27.0; a prose number quoted with fewer decimals matches a
value that rounds to it ("39 months" for 38.9), and a percentage matches a proportion or a
ratio's complement (25% for 0.25, "50% lower" for a hazard ratio of 0.50).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .diff import diff_documents, flatten
from .documents.schema import document_json_schema

# Fields whose text is our prose (the last part of a flattened path).
PROSE_FIELDS = ("summary", "notes", "note", "statement", "body", "text")
# Item lists whose "text" is prose (a conduct note's); elsewhere "text" is a value as printed.
_PROSE_TEXT_IN = ("conduct_notes[",)

_NUMBER = re.compile(r"(?<![\w.,/])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|[.,]\d)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"'])")
_BEFORE_SKIPS = re.compile(
    r"(?:\b(?i:phase|phases|p\.|pp\.|page|pages|ref\.|reference|references|refs?\.?|version|"
    r"number|no\.|abstract|grade|type|stage|cycle|day|week|cited|citing|cites|listed)(?i:\s+as)?\s*|"
    r"[A-Za-z]-|\b(?:19|20)\d\d-|\[[\d,\s–-]*|#)$"
)
# A name with a number: "CALGB 100104", "IFM 2005" (an all-capitals word, then a whole number
# of three digits or more; "HR 0.48" and "PFS 27" are results).
_NAME_BEFORE = re.compile(r"\b[A-Z]{2,}[ -]$")
# An in-text citation quoted in a note: "cited as '7'", "cites '1-6,8'".
_QUOTED_CITATION = re.compile(
    r"\bcit(?:e|es|ed|ing|ation|ations)\b[^.]{0,60}['‘“\"][\d,\s–-]*$", re.IGNORECASE
)
# What joins the numbers of one list or range: "10 and 11", "1-6,8", "7,9".
_LIST_JOIN = re.compile(r"^\s*(?:[,–-]|and|or)\s*$")
_DATE_AFTER = re.compile(r"^/(?:19|20)\d\d\b")
_CI_LEVEL = re.compile(r"^\s*%\s*(?:CI\b|C\.I\.|confidence)", re.IGNORECASE)


@dataclass(frozen=True)
class Quoted:
    """A number quoted in a text: its value, its digits as written and where it is."""

    value: Decimal
    written: str
    start: int
    end: int


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


# An object's fields by name: (their place in the schema, the fields of the objects in them).
FieldOrder = dict[str, tuple[int, "FieldOrder | None"]]


@functools.cache
def _schema_order(record_type: str) -> FieldOrder | None:
    """The order in which the record type's schema (its document model) lists the fields of
    each object of its documents."""
    schema = document_json_schema(record_type)
    definitions = schema.get("$defs", {})
    built: dict[str, FieldOrder] = {}  # by definition, filled in place: a model may hold itself

    def order_of(node: dict[str, Any]) -> FieldOrder | None:
        if ref := node.get("$ref"):
            name = ref.rsplit("/", 1)[-1]
            if name not in built:
                built[name] = {}
                built[name].update(order_of(definitions[name]) or {})
            return built[name]
        if "properties" in node:
            return {
                field: (place, order_of(child))
                for place, (field, child) in enumerate(node["properties"].items())
            }
        if isinstance(node.get("items"), dict):
            return order_of(node["items"])
        merged: FieldOrder = {}  # a field that may hold one of several objects (or null)
        for option in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            for field, (_, inner) in (order_of(option) or {}).items():
                merged.setdefault(field, (len(merged), inner))
        return merged or None

    return order_of(schema)


def _in_schema_order(value: Any, order: FieldOrder | None) -> Any:
    """``value`` with each object's fields in ``order``; fields it does not list after those,
    by name. Lists keep their order."""
    if isinstance(value, dict):
        known = order or {}
        fields = sorted(value, key=lambda f: (0, known[f][0], "") if f in known else (1, 0, f))
        return {f: _in_schema_order(value[f], known[f][1] if f in known else None) for f in fields}
    if isinstance(value, list):
        return [_in_schema_order(item, order) for item in value]
    return value


def prose_of(
    document: dict[str, Any] | None, record_type: str | None = None
) -> list[tuple[str, str]]:
    """[(path, text)] of the document's prose, in document order: its lists' order, and its
    fields in the order the ``record_type``'s schema lists them (fields it does not list, or
    all of them when no record type is given, after those, by name). Not the order they were
    stored in: PostgreSQL's jsonb keeps an object's fields in an order of its own (shorter
    names first), SQLite as written, and a review's warnings follow this order."""
    order = _schema_order(record_type) if record_type else None
    found = []
    for path, value in flatten(_in_schema_order(document or {}, order)).items():
        field = path.rsplit(".", 1)[-1]
        if field not in PROSE_FIELDS:
            continue
        if field == "text" and not path.startswith(_PROSE_TEXT_IN):
            continue
        if isinstance(value, str) and value:
            found.append((path, value))
        elif isinstance(value, list):
            found += [(f"{path}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str)]
    return found


def numbers_in(text: str) -> Iterator[Quoted]:
    """The numbers ``text`` quotes as results (see the module's list of what is left out)."""
    skipped_to = -1  # where the last number left out ends: a list or range it starts goes too
    for match in _NUMBER.finditer(text):
        whole, decimals = match.group(1), match.group(2) or ""
        before, after = text[max(0, match.start() - 30) : match.start()], text[match.end() :]
        if _left_out(text, match, whole, decimals, before, after) or (
            skipped_to >= 0 and _LIST_JOIN.match(text[skipped_to : match.start()])
        ):
            skipped_to = match.end()
            continue
        if not decimals and len(whole) == 4 and 1900 <= int(whole) <= 2099:
            continue  # a year ("2012, 27 patients": what follows a year is still read)
        value = Decimal(whole.replace(",", "") + decimals)
        yield Quoted(value, whole + decimals, match.start(), match.end())


def _left_out(text: str, match: re.Match, whole: str, decimals: str, before: str, after: str):
    """Whether the number at ``match`` is one that is not a result (see the module)."""
    if _BEFORE_SKIPS.search(before) or _CI_LEVEL.match(after) or _DATE_AFTER.match(after):
        return True
    if _NAME_BEFORE.search(before) and not decimals and len(whole) >= 3:
        return True  # a name: "CALGB 100104"
    if after[:1] in ("-", "–") and after[1:2].isdigit() and len(whole) == 4:
        return True  # "2005-02": a name or a date, not a result
    if after.startswith("]") or (after[:1] == "," and "[" in before[-6:]):
        return True  # the end of a citation marker
    return bool(_QUOTED_CITATION.search(text[max(0, match.start() - 100) : match.start()]))


def sentence_at(text: str, position: int) -> str:
    """The sentence of ``text`` that holds ``position``."""
    start = 0
    for boundary in _SENTENCE_END.finditer(text):
        if boundary.start() >= position:
            return text[start : boundary.start()].strip()
        start = boundary.end()
    return text[start:].strip()


def _places(quoted: Quoted) -> int:
    return len(quoted.written.partition(".")[2])


def matches(quoted: Quoted, value: Decimal) -> bool:
    """Whether the prose number says ``value`` (rounded to the decimals it is written with)."""
    places = _places(quoted)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) == quoted.value


@dataclass(frozen=True)
class StaleQuote:
    path: str
    sentence: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sentence": self.sentence, "old": self.old, "new": self.new}


def changed_numbers(old: dict | None, new: dict | None) -> list[tuple[Any, Any]]:
    """(old, new) of every number the change from ``old`` to ``new`` changes, each pair once."""
    return numbers_changed_by(diff_documents(old, new))


def numbers_changed_by(changes: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """``changed_numbers`` given the change's ``diff_documents``."""
    pairs: list[tuple[Any, Any]] = []
    for change in changes:
        if change["path"].endswith("schema_version"):
            continue
        before, after = _decimal(change["old"]), _decimal(change["new"])
        changed = before is not None and after is not None and before != after
        if changed and (change["old"], change["new"]) not in pairs:
            pairs.append((change["old"], change["new"]))
    return pairs


def stale_quotes(
    old: dict | None, new: dict | None, texts: Iterable[tuple[str, str]]
) -> list[StaleQuote]:
    """Sentences of ``texts`` ([(path, text)]) that still quote a number the change from
    ``old`` to ``new`` changes (exactly, as written: "27" for 27, not "27.4")."""
    return quotes_of(changed_numbers(old, new), texts)


def quotes_of(pairs: list[tuple[Any, Any]], texts: Iterable[tuple[str, str]]) -> list[StaleQuote]:
    """``stale_quotes`` given the change's ``changed_numbers``."""
    found: list[StaleQuote] = []
    for path, text in texts:
        for quoted in numbers_in(text):
            for before, after in pairs:
                if quoted.value == Decimal(str(before)) and quoted.value != Decimal(str(after)):
                    found.append(StaleQuote(path, sentence_at(text, quoted.start), before, after))
    return found


def structured_values(document: dict[str, Any] | None) -> set[Decimal]:
    """Every number the document states outside its prose: numeric fields, and numbers in
    short texts such as a value as printed ("<0.001") or a time frame ("3 years")."""
    prose_paths = {path for path, _ in prose_of(document)}
    values: set[Decimal] = set()
    for path, value in flatten(document or {}).items():
        if (number := _decimal(value)) is not None:
            values.add(number)
        elif isinstance(value, str) and path not in prose_paths:
            values.update(q.value for q in numbers_in(value))
            values.update(Decimal(d) for d in re.findall(r"\d+(?:\.\d+)?", value))
    return values


def _derived(values: set[Decimal]) -> set[Decimal]:
    """The same numbers as percentages: 0.25 is 25%, a ratio of 0.50 is "50% lower"."""
    more = set(values)
    for value in values:
        if 0 < value < 1:
            more.add(value * 100)
            more.add((1 - value) * 100)
    return more


def unmatched_numbers(
    document: dict[str, Any] | None,
    related: Iterable[dict[str, Any]] = (),
    record_type: str | None = None,
) -> list[tuple[str, Quoted, str]]:
    """[(path, number, sentence)] of prose numbers that match no structured value of the
    document or of ``related`` documents, in ``prose_of`` order (``record_type``: the
    document's)."""
    values = structured_values(document)
    for other in related:
        values |= structured_values(other)
    values = _derived(values)
    found = []
    for path, text in prose_of(document, record_type):
        for quoted in numbers_in(text):
            if not any(matches(quoted, value) for value in values):
                found.append((path, quoted, sentence_at(text, quoted.start)))
    return found
