"""Characters no document or free text may hold, and where they are in a document.

Used on every string of a document before validation (``validation.validate_document``) and
by the curation services on free text and slugs given beside a document.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .paths import format_path

# Characters no document or free text may hold: C0 controls but tab and newline (carriage
# return included: the admin turns a browser's CRLF into LF), DEL, C1 controls, and lone
# surrogates. PostgreSQL cannot store NUL at all (a 500 instead of a 400); the others are
# invisible in published pages or cannot be encoded as UTF-8.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CHARACTER_NAMES = {"\x00": "NUL", "\r": "carriage return", "\x7f": "DEL"}


def forbidden_character(text: str) -> str | None:
    """What is wrong with ``text`` (which character, at which offset), or None."""
    match = FORBIDDEN_CHARACTERS.search(text)
    if match is None:
        return None
    char = match.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    name = _CHARACTER_NAMES.get(char)
    named = f"{kind} (U+{ord(char):04X}{' ' + name if name else ''})"
    return f"contains {named} at offset {match.start()}; remove it"


# What a forbidden character becomes in orjson's output: controls but tab and newline as
# escapes (\r, \b, \f, \u00XX), DEL and C1 controls as themselves (orjson refuses lone
# surrogates). A match may be innocent (a backslash before an r); no match means no problem.
_SERIALISED_FORBIDDEN = re.compile(rb"\\(?:u00[01][0-9a-fA-F]|[rbf])|\x7f|\xc2[\x80-\x9f]")


def forbidden_character_errors(data: Any) -> list[dict[str, str]]:
    """Every string anywhere in ``data`` (a JSON value) holding a forbidden character, by path.

    Iterative, so a deeply nested value cannot exhaust the stack here. A large document is
    serialised once first (in C): most hold no forbidden character, and then no string needs
    to be looked at one by one."""
    try:
        if not _SERIALISED_FORBIDDEN.search(orjson.dumps(data)):
            return []
    except (TypeError, orjson.JSONEncodeError):
        pass  # lone surrogates, keys that are not text, ...: look at each string
    errors = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, str):
            problem = forbidden_character(value)
            if problem:
                errors.append({"path": format_path(loc), "message": problem})
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if isinstance(key, str) and (problem := forbidden_character(key)):
                    errors.append(
                        {
                            "path": format_path(loc),
                            "message": f"a field name {problem}",
                        }
                    )
                stack.append((item, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((item, (*loc, i)) for i, item in reversed(list(enumerate(value))))
    return errors
