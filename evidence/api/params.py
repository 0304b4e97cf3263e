"""Numbers from URLs and query strings (ids, positions, seqs, after, limit, offset), read one way.

Only ASCII digits count: ``str.isdigit()`` and ``\\d`` accept "²" (which ``int()`` then refuses)
and "١٢" (which ``int()`` reads as 12), so neither is used on user input. A number is bounded by
the column it is compared with, before any ``int()`` (Python refuses to convert more than 4,300
digits) and before any query (PostgreSQL refuses a value beyond the column's type). The bounds
are PostgreSQL's, on every database, so that an input means the same everywhere.
"""

from __future__ import annotations

import re

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from rest_framework import serializers

# [0-9], not \d: \d matches every Unicode decimal digit.
_ASCII_DIGITS = re.compile(r"[0-9]+")

BIGINT_MAX = BaseDatabaseOperations.integer_field_ranges["BigIntegerField"][1]


def column_max(model: type[models.Model], field_name: str) -> int:
    """The largest value an integer column holds (PostgreSQL's range, on every database)."""
    internal_type = model._meta.get_field(field_name).get_internal_type()
    return BaseDatabaseOperations.integer_field_ranges[internal_type][1]


class NotANumber(ValueError):
    pass


class OutOfRange(ValueError):
    pass


def parse_whole_number(raw: str, *, minimum: int = 0, maximum: int = BIGINT_MAX) -> int:
    """``raw`` as an int within [minimum, maximum]; NotANumber or OutOfRange say why not."""
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        raise NotANumber("must be a whole number written with the digits 0-9")
    significant = raw.lstrip("0") or "0"
    # Compare lengths first: int() of a 5,000-digit string is itself an error.
    if len(significant) > len(str(maximum)) or int(significant) > maximum:
        raise OutOfRange(f"must be at most {maximum}")
    number = int(significant)
    if number < minimum:
        raise OutOfRange(f"must be at least {minimum}")
    return number


def path_number(raw: str, *, maximum: int) -> int | None:
    """A number in a URL path, or None when no row can have it (the caller answers 404)."""
    try:
        return parse_whole_number(raw, maximum=maximum)
    except ValueError:
        return None


def query_number(params, name: str, *, default: int, minimum: int = 0, maximum: int = BIGINT_MAX):
    """A number from the query string; absent is ``default``, anything else invalid is a 400."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return parse_whole_number(raw, minimum=minimum, maximum=maximum)
    except ValueError as exc:
        raise serializers.ValidationError({name: [str(exc)]}) from None


class WholeNumberField(serializers.IntegerField):
    """A query-string number for a serializer (min_value and max_value show in the schema)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return parse_whole_number(data, minimum=self.min_value, maximum=self.max_value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
