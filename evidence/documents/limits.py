"""How large a document and its parts may be, and the bounded types that enforce it.

The one definition of the limits: the read-model columns (``evidence.models``) take their
sizes from here, so whatever validates can be projected on SQLite and PostgreSQL alike; the
admin forms refuse more rows than a list may hold before building them. Generous for real
trials (the seed's largest trial has 3 arms and 5 outcomes).

The bounded types (``Number``, ``Count``, ``Slug``, ``Key``, the texts) and ``items()`` are
what the document models declare their fields with, so each limit also appears in the JSON
Schema.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KEY_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"

# --- Lengths and counts -----------------------------------------------------------------------

SLUG_MAX_LENGTH = 100
KEY_MAX_LENGTH = 64
SHORT_TEXT_MAX_LENGTH = 500  # names, labels, headings: CharField(500) columns
TEXT_MAX_LENGTH = 20_000  # paragraphs, statements, notes
URL_MAX_LENGTH = 2_000
DOI_MAX_LENGTH = 200
REGISTRY_ID_MAX_LENGTH = 80  # NCT00430365, ISRCTN..., EudraCT 2005-000384-10: 11 to 20
REGISTRY_IDS_TEXT_MAX_LENGTH = 1_000  # the registry ids joined by spaces, one column
# PositiveIntegerField is a 4-byte integer on PostgreSQL.
COUNT_MAX = 2**31 - 1
# Number columns are double precision: a larger whole number would not be stored exactly.
EXACT_INTEGER_MAX = 2**53

MAX_ARMS = 20
MAX_OUTCOMES = 200
MAX_COMPARISONS = 20  # per outcome
MAX_REGIMEN_PARTS = 20  # per arm
MAX_CONDUCT_NOTES = 50
MAX_FINDINGS = 200
MAX_REGISTRY_IDS = 12
MAX_CONDITIONS = 50
MAX_PHASES = 4
# The phases joined with spaces and padded, one column: " early_1 1 1/2 2 " at most.
PHASES_TEXT_MAX_LENGTH = 100
MAX_SECTIONS = 100
MAX_PARAGRAPHS = 200  # per section
MAX_AUTHORS = 200
MAX_BRAND_NAMES = 50
MAX_LINKS = 200  # slugs of other records in one list (citations, interventions, trials)
MAX_TOPIC_CITATIONS = 500  # a topic's numbered reference list

# Twelve ids of 80 characters and their spaces fit the registry_ids_text column by construction.
if MAX_REGISTRY_IDS * (REGISTRY_ID_MAX_LENGTH + 1) - 1 > REGISTRY_IDS_TEXT_MAX_LENGTH:
    raise ImportError("registry ids could outgrow Trial.registry_ids_text")


# --- Scalars ----------------------------------------------------------------------------------


def _number(value: Any) -> int | float:
    # bool is an int in Python; a JSON true is never a number here.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and value != value:  # NaN
        raise ValueError("must be a number, not NaN")
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and abs(value) > EXACT_INTEGER_MAX:
        raise ValueError(f"must be between -{EXACT_INTEGER_MAX} and {EXACT_INTEGER_MAX}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    if value < 0:
        raise ValueError("must not be negative")
    if value > COUNT_MAX:
        raise ValueError(f"must be at most {COUNT_MAX}")
    return value


Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
Count = Annotated[
    int,
    PlainValidator(_count),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": COUNT_MAX}),
]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=SLUG_MAX_LENGTH)]
Key = Annotated[str, Field(pattern=KEY_PATTERN, min_length=1, max_length=KEY_MAX_LENGTH)]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX_LENGTH)]
ShortText = Annotated[str, Field(min_length=1, max_length=SHORT_TEXT_MAX_LENGTH)]
# A JSON pointer (RFC 6901) into a registry's document: "" or "/a/0/b", "~0" and "~1" escaped.
JSON_POINTER_PATTERN = r"^(/([^~/]|~[01])*)*$"
JsonPointer = Annotated[str, Field(pattern=JSON_POINTER_PATTERN, max_length=SHORT_TEXT_MAX_LENGTH)]
# A date as precise as the source gives it; validation checks the month and the day exist.
PARTIAL_DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
PartialDateText = Annotated[str, Field(pattern=PARTIAL_DATE_PATTERN)]
# Optional free text may be empty, as before; only its length is bounded.
AnyText = Annotated[str, Field(max_length=TEXT_MAX_LENGTH)]
AnyShortText = Annotated[str, Field(max_length=SHORT_TEXT_MAX_LENGTH)]


def items(limit: int, **kwargs: Any) -> Any:
    """A list field of at most ``limit`` items (stated in the JSON Schema as maxItems)."""
    return Field(default_factory=list, max_length=limit, **kwargs)
