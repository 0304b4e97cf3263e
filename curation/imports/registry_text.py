"""Reading the registry's strings: Markdown escapes, numbers, p-values, missing-value comments,
and the stable keys of imported items. Pure functions, no Django.

ClinicalTrials.gov writes every number as a string ("12", "-1.696", "NA"), a p-value with its
comparator ("<0.001", "=0.247"), and free text Markdown-escaped ("\\<=50", "\\[ln\\]").
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation

from evidence.documents import KEY_MAX_LENGTH

# A backslash before one of Markdown's escapable characters is the registry's escape.
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=])")


# Control characters documents may not hold (carriage returns included): line ends become
# newlines, the rest are dropped; the registry's text is otherwise kept as written.
_LINE_ENDS = re.compile(r"\r\n?")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def unescape(text: str | None) -> str | None:
    """'\\<=50' -> '<=50'; other text unchanged; None stays None."""
    if text is None:
        return None
    text = str(text)
    if "\\" not in text and text.isprintable():
        # Most of the registry's text: no escape, no control character, no line end.
        return text.strip()
    text = _CONTROL.sub("", _LINE_ENDS.sub("\n", text))
    return _MARKDOWN_ESCAPE.sub(r"\1", text).strip()


NOT_AVAILABLE = "NA"
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def number(text: str | None) -> int | float | None:
    """A registry number string as a JSON number (whole numbers stay integers); None for
    anything else ("NA", "", None). The caller decides what a non-number means."""
    if not isinstance(text, str) or not _NUMBER.match(text.strip()):
        return None
    if text.isascii() and text.isdigit():
        return int(text)  # most of the registry's numbers: counts
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if value == value.to_integral_value() and "." not in text and "e" not in text.lower():
        return int(value)
    return float(value)


def count(text: str | None) -> int | None:
    value = number(text)
    return value if isinstance(value, int) and value >= 0 else None


_P_VALUE = re.compile(r"^\s*(?P<comparator><=|>=|≤|≥|<|>|=)?\s*(?P<number>[0-9.eE+-]+)\s*$")
_COMPARATORS = {"≤": "<=", "≥": ">="}


def p_value(text: str | None) -> tuple[int | float | None, str | None]:
    """'<0.001' -> (0.001, '<'); '0.04' -> (0.04, None): a bare number states no comparator,
    and none is invented. (None, None) when the text is no p-value ('NA')."""
    if not isinstance(text, str):
        return None, None
    match = _P_VALUE.match(text)
    if not match:
        return None, None
    value = number(match["number"])
    comparator = match["comparator"]
    return value, _COMPARATORS.get(comparator, comparator) if comparator else None


# --- Why a value is missing ---------------------------------------------------------------------

_BELOW_QUANTIFICATION = re.compile(
    r"below (the )?(lower )?(level|limit) of (quantification|quantitation)|\bBLQ\b|\bLLOQ\b|"
    r"below (the )?LLOQ",
    re.IGNORECASE,
)
_NOT_REACHED = re.compile(r"\bnot (yet )?(been )?reached\b", re.IGNORECASE)
# The registry's usual wording of a median not reached: "could not be calculated because less
# than 50% of participants experienced the event".
_TOO_FEW_EVENTS = re.compile(
    r"\b(less|fewer) than (50|75|25) ?(%|percent) (and (50|75|25) ?(%|percent) )?of "
    r"(the )?(participants|patients|subjects)\b.*\b(experienced|had|reported)\b.*\bevents?\b",
    re.IGNORECASE,
)
_MEDIAN = re.compile(r"\bmedian\b", re.IGNORECASE)
_UPPER = re.compile(r"\b(upper (bound|limit)|Q3|third quartile)\b", re.IGNORECASE)
_LOWER = re.compile(r"\b(lower (bound|limit)|Q1|first quartile)\b", re.IGNORECASE)


def value_missing_reason(comment: str | None) -> str:
    """Why a value the registry gives as NA is missing, as its comment says: ``not_reached``
    only when the comment says the median was not reached (or that too few participants had
    the event to compute it); ``below_limit_of_quantification`` when it says so; ``other``
    otherwise (the comment is kept beside it)."""
    if not comment:
        return "other"
    if _BELOW_QUANTIFICATION.search(comment):
        return "below_limit_of_quantification"
    if _MEDIAN.search(comment) and (
        _NOT_REACHED.search(comment) or _TOO_FEW_EVENTS.search(comment)
    ):
        return "not_reached"
    return "other"


def bound_missing_reason(comment: str | None, bound: str) -> str:
    """Why the ``bound`` ("upper" or "lower") of an interval is NA, by the same rule: the
    comment must speak of that bound (or a limit) not being reached."""
    if not comment:
        return "other"
    if _BELOW_QUANTIFICATION.search(comment):
        return "below_limit_of_quantification"
    names_bound = (_UPPER if bound == "upper" else _LOWER).search(comment)
    if names_bound and (_NOT_REACHED.search(comment) or _TOO_FEW_EVENTS.search(comment)):
        return "not_reached"
    return "other"


# --- Keys ---------------------------------------------------------------------------------------

_NON_KEY = re.compile(r"[^a-z0-9]+")


def key_from(*parts: str | None, prefix: str = "") -> str:
    """A document key from text: 'Time (Days) to Discharge' -> 'time-days-to-discharge'.

    Deterministic, so a re-import of the same item yields the same key. Text too long for a
    key is cut and given a short hash of the whole, so two long titles sharing their start
    still get different keys."""
    text = " ".join(p for p in parts if p)
    slug = _NON_KEY.sub("-", text.lower()).strip("-") or "item"
    if prefix:
        slug = f"{prefix}-{slug}"
    if len(slug) <= KEY_MAX_LENGTH:
        return slug
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{slug[: KEY_MAX_LENGTH - 9].rstrip('-')}-{digest}"


def unique_key(key: str, taken: set[str]) -> str:
    """``key``, or ``key-2``, ``key-3``... if it is taken; adds the result to ``taken``."""
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = key[: KEY_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
    taken.add(candidate)
    return candidate


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from its reference tokens."""
    tokens = []
    for part in parts:
        token = str(part)
        if "~" in token or "/" in token:
            token = token.replace("~", "~0").replace("/", "~1")
        tokens.append("/" + token)
    return "".join(tokens)


def loose(title: str) -> str:
    """A title without spaces or case, to suggest (never to decide) which arm a results
    group is: 'RDV,Cohort 5' and 'RDV, Cohort 5' look alike."""
    return re.sub(r"\s+", "", title).casefold()
