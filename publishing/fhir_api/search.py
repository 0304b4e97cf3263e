"""Search-type: the parameters we support, parsed strictly, and matched against resources.

FHIR servers must say what they did not apply; we answer 400 naming any parameter (or
modifier, or prefix) we do not support instead of ignoring it. Supported:

- ``_id`` (token): ids, comma-separated for "any of";
- ``identifier`` (token): ``system|value``, ``|value`` (no system), ``system|`` or ``value``;
  for types with an ``identifier`` element;
- ``url`` (uri): the canonical url, exact; for types with a ``url`` element;
- ``_lastUpdated`` (date): ``meta.lastUpdated`` with a prefix (eq, ne, gt, lt, ge, le, sa,
  eb; none means eq) and a date or dateTime of any precision; repeat it for a range;
- ``_count`` (0 to ``MAX_COUNT``, default ``DEFAULT_COUNT``) and ``_offset`` (where a page
  starts; the ``next`` and ``previous`` links carry it).

Repeated parameters must all match (AND); comma-separated values any (OR).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from fhir.resources import get_fhir_model_class

from .responses import FhirError

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 10**9
RESULT_PARAMETERS = ("_count", "_offset")
FORMAT_PARAMETER = "_format"
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2}))?)?)?$"
)


@dataclass(frozen=True)
class SearchParameter:
    name: str
    type: str  # FHIR search parameter type
    element: str | None  # the element a resource type needs for it to apply (None: all)
    documentation: str
    definition: str | None = None


SEARCH_PARAMETERS = (
    SearchParameter(
        "_id",
        "token",
        None,
        "The resource id; comma-separated ids match any of them.",
        "http://hl7.org/fhir/SearchParameter/Resource-id",
    ),
    SearchParameter(
        "identifier",
        "token",
        "identifier",
        "A business identifier: system|value, |value (no system), system| or value.",
    ),
    SearchParameter("url", "uri", "url", "The canonical url, exactly."),
    SearchParameter(
        "_lastUpdated",
        "date",
        None,
        "meta.lastUpdated, with a prefix eq, ne, gt, lt, ge, le, sa or eb (none: eq); repeat "
        "for a range.",
        "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
    ),
)


@cache
def parameters_for(resource_type: str) -> tuple[SearchParameter, ...]:
    """The search parameters that apply to a resource type (it must have their element)."""
    fields = get_fhir_model_class(resource_type).model_fields
    return tuple(p for p in SEARCH_PARAMETERS if p.element is None or p.element in fields)


@dataclass
class Search:
    """A parsed search: one matcher per parameter occurrence, and the page wanted."""

    matchers: list[Callable[[dict[str, Any]], bool]] = field(default_factory=list)
    criteria: list[tuple[str, str]] = field(default_factory=list)  # for the self/next links
    count: int = DEFAULT_COUNT
    offset: int = 0

    def matches(self, resource: dict[str, Any]) -> bool:
        return all(matcher(resource) for matcher in self.matchers)


def invalid(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def parse(resource_type: str, query) -> Search:
    """A Search from the query (a QueryDict), or FhirError 400 naming what is not supported."""
    supported = {p.name: p for p in parameters_for(resource_type)}
    search = Search()
    for name, values in query.lists():
        if name == FORMAT_PARAMETER:
            continue  # content negotiation, checked before any view runs
        base_name, _, modifier = name.partition(":")
        if name in RESULT_PARAMETERS:
            if len(values) > 1:
                raise invalid(f"{name} is given more than once")
            number = _whole_number(name, values[0], MAX_COUNT if name == "_count" else MAX_OFFSET)
            setattr(search, name.removeprefix("_"), number)
            continue
        if base_name not in supported:
            raise FhirError(
                400,
                "not-supported",
                f"search parameter {base_name} is not supported for {resource_type} "
                f"(supported: {', '.join(sorted([*supported, *RESULT_PARAMETERS]))})",
            )
        if modifier:
            raise FhirError(
                400, "not-supported", f"modifier :{modifier} of {base_name} is not supported"
            )
        for value in values:
            if value == "":
                raise invalid(f"{name} has no value")
            search.matchers.append(_matcher(base_name, value))
            search.criteria.append((name, value))
    return search


def _whole_number(name: str, value: str, maximum: int) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > maximum:
        raise invalid(f"{name} must be a whole number from 0 to {maximum}, not {value!r}")
    return int(value)


def _matcher(name: str, value: str) -> Callable[[dict[str, Any]], bool]:
    if name == "_id":
        ids = set(value.split(","))
        return lambda resource: resource.get("id") in ids
    if name == "url":
        urls = set(value.split(","))
        return lambda resource: resource.get("url") in urls
    if name == "identifier":
        tokens = [_token(part) for part in value.split(",")]
        return lambda resource: any(
            _identifier_matches(identifier, token)
            for identifier in _identifiers(resource)
            for token in tokens
        )
    return _date_matcher(value)


def _token(value: str) -> tuple[str | None, str | None]:
    """(system, value): None means "any"; "" system means "no system" (``|value``)."""
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code or None


def _identifiers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = resource.get("identifier") or []
    return [found] if isinstance(found, dict) else found


def _identifier_matches(identifier: dict[str, Any], token: tuple[str | None, str | None]) -> bool:
    system, value = token
    if system is not None and identifier.get("system", "") != system:
        return False
    return value is None or identifier.get("value") == value


def _date_matcher(value: str) -> Callable[[dict[str, Any]], bool]:
    # A prefix is two letters before the date's year ("ap2024"); "yesterday" is no date.
    has_prefix = value[:2].isalpha() and value[2:3].isdigit()
    prefix, text = (value[:2], value[2:]) if has_prefix else ("eq", value)
    if prefix not in DATE_PREFIXES:
        raise FhirError(
            400,
            "not-supported",
            f"_lastUpdated prefix {prefix!r} is not supported ({', '.join(DATE_PREFIXES)})",
        )
    start, end = _date_range(text)
    tests = {
        "eq": lambda t: start <= t < end,
        "ne": lambda t: not start <= t < end,
        "gt": lambda t: t >= end,
        "sa": lambda t: t >= end,
        "lt": lambda t: t < start,
        "eb": lambda t: t < start,
        "ge": lambda t: t >= start,
        "le": lambda t: t < end,
    }
    test = tests[prefix]

    def matches(resource: dict[str, Any]) -> bool:
        updated = resource.get("meta", {}).get("lastUpdated")
        return updated is not None and test(_instant(updated))

    return matches


def _date_range(text: str) -> tuple[datetime, datetime]:
    """The interval [start, end) a date or dateTime of any precision stands for (a value
    without a time zone is in UTC)."""
    match = DATE.match(text)
    if match is None:
        raise invalid(
            f"_lastUpdated value {text!r} is not a FHIR date or dateTime "
            "(YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]] with Z or +hh:mm)"
        )
    parts = match.groupdict()
    try:
        year = int(parts["year"])
        if parts["month"] is None:
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        month = int(parts["month"])
        if parts["day"] is None:
            start = datetime(year, month, 1, tzinfo=UTC)
            following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return start, following
        if parts["hour"] is None:
            start = datetime(year, month, int(parts["day"]), tzinfo=UTC)
            return start, start + timedelta(days=1)
        start = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise invalid(f"_lastUpdated value {text!r} is not a valid date ({exc})") from None
    if parts["fraction"]:
        step = timedelta(microseconds=max(1, 10 ** (6 - min(len(parts["fraction"]) - 1, 6))))
    elif parts["second"]:
        step = timedelta(seconds=1)
    else:
        step = timedelta(minutes=1)
    return start, start + step


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
