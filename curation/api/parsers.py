"""The API's only request parser: JSON, size-limited, depth-limited, strict.

DRF's parsers read the request stream directly, which bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE check (it only guards ``request.body``), so the limit is enforced
here: an oversized body gets a 413 instead of being read into memory.

Nesting is limited too: orjson accepts 1,024 levels, but validating, copying, diffing or
printing such a value recurses past Python's stack (a RecursionError, a 500). No request needs
more than MAX_JSON_DEPTH: the deepest is a change request, whose document nests about ten.
"""

from __future__ import annotations

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from evidence.api.params import NotANumber, OutOfRange, parse_whole_number

from .exceptions import MalformedRequest, RequestTooLarge, join_path

MAX_JSON_DEPTH = 32


class LimitedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and limit is not None and _declares_more_than(declared, limit):
            raise RequestTooLarge(f"the request body is larger than the limit of {limit} bytes")
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(f"the request body is larger than the limit of {limit} bytes")
        try:
            # orjson refuses NaN/Infinity and invalid UTF-8, which JSON does not allow either.
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(
                f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        too_deep = path_beyond_depth(data, MAX_JSON_DEPTH)
        if too_deep is not None:
            message = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            raise MalformedRequest(message, [{"path": too_deep, "message": message}])
        return data


def _declares_more_than(declared: str, limit: int) -> bool:
    """Whether Content-Length says too much; one that is no number is left to the read."""
    try:
        parse_whole_number(declared, maximum=limit)
    except OutOfRange:
        return True
    except NotANumber:
        pass
    return False


def path_beyond_depth(data, max_depth: int) -> str | None:
    """The path of the first array or object nested deeper than max_depth, if any.

    Iterative, so that measuring a deep value cannot itself overflow the stack.
    """
    stack = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            children = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        if depth > max_depth:
            return path or "(body)"
        stack.extend((child, depth + 1, join_path(path, key)) for key, child in children)
    return None
