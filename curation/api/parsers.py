"""The API's only request parser: JSON, size-limited, strict.

DRF's parsers read the request stream directly, which bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE check (it only guards ``request.body``), so the limit is enforced
here: an oversized body gets a 413 instead of being read into memory.
"""

from __future__ import annotations

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from .exceptions import RequestTooLarge


class LimitedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and limit is not None and int(declared) > limit:
            raise RequestTooLarge(f"the request body is larger than the limit of {limit} bytes")
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(f"the request body is larger than the limit of {limit} bytes")
        try:
            # orjson refuses NaN/Infinity and invalid UTF-8, which JSON does not allow either.
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(
                f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
