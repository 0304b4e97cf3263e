"""Document limits and forbidden characters, without a database.

Whether a document at its limits also projects (and one past them is refused by the
services) is in tests/curation/test_bounds.py.
"""

from __future__ import annotations

import pytest

from evidence import documents as docs
from evidence import models as ev
from evidence.documents import DocumentInvalid, document_json_schema, validate_document
from tests import documents


def errors_of(record_type: str, document: dict) -> list[dict[str, str]]:
    with pytest.raises(DocumentInvalid) as exc:
        validate_document(record_type, document, exists=lambda t, s: True)
    return exc.value.errors


def _definition(schema: dict, *path: str) -> dict:
    """The schema of a property, following $ref and Optional's anyOf."""
    node = schema
    for name in path:
        node = node["properties"][name]
        while "$ref" in node or "anyOf" in node:
            if "$ref" in node:
                node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
            else:
                node = next(n for n in node["anyOf"] if n.get("type") != "null")
        if node.get("type") == "array" and name != path[-1]:
            node = node["items"]
            if "$ref" in node:
                node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.parametrize(
    ("record_type", "path", "key", "limit"),
    [
        ("trial", ("arms",), "maxItems", docs.MAX_ARMS),
        ("trial", ("outcomes",), "maxItems", docs.MAX_OUTCOMES),
        ("trial", ("outcomes", "comparisons"), "maxItems", docs.MAX_COMPARISONS),
        ("trial", ("outcomes", "values"), "maxItems", docs.MAX_ARMS),
        ("trial", ("arms", "regimen"), "maxItems", docs.MAX_REGIMEN_PARTS),
        ("trial", ("conduct_notes",), "maxItems", docs.MAX_CONDUCT_NOTES),
        ("trial", ("findings",), "maxItems", docs.MAX_FINDINGS),
        ("trial", ("registry_ids",), "maxItems", docs.MAX_REGISTRY_IDS),
        ("trial", ("citations",), "maxItems", docs.MAX_LINKS),
        ("trial", ("enrollment",), "maximum", docs.COUNT_MAX),
        ("trial", ("arms", "n"), "maximum", docs.COUNT_MAX),
        ("trial", ("outcomes", "subgroup"), "maxLength", docs.SHORT_TEXT_MAX_LENGTH),
        ("trial", ("registry_ids", "id"), "maxLength", docs.REGISTRY_ID_MAX_LENGTH),
        ("trial", ("summary",), "maxLength", docs.TEXT_MAX_LENGTH),
        ("citation", ("journal",), "maxLength", docs.SHORT_TEXT_MAX_LENGTH),
        ("citation", ("doi",), "maxLength", docs.DOI_MAX_LENGTH),
        ("citation", ("authors",), "maxItems", docs.MAX_AUTHORS),
        ("intervention", ("drug_class",), "maxLength", docs.SHORT_TEXT_MAX_LENGTH),
        ("topic", ("sections",), "maxItems", docs.MAX_SECTIONS),
        ("topic", ("sections", "body"), "maxItems", docs.MAX_PARAGRAPHS),
        ("topic", ("citations",), "maxItems", docs.MAX_TOPIC_CITATIONS),
    ],
)
def test_json_schema_states_the_limits(record_type, path, key, limit):
    assert _definition(document_json_schema(record_type), *path)[key] == limit


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (ev.Outcome, "subgroup", docs.SHORT_TEXT_MAX_LENGTH),
        (ev.Citation, "journal", docs.SHORT_TEXT_MAX_LENGTH),
        (ev.Citation, "doi", docs.DOI_MAX_LENGTH),
        (ev.Intervention, "drug_class", docs.SHORT_TEXT_MAX_LENGTH),
        (ev.Trial, "registry_ids_text", docs.REGISTRY_IDS_TEXT_MAX_LENGTH),
        (ev.Trial, "slug", docs.SLUG_MAX_LENGTH),
        (ev.Arm, "key", docs.KEY_MAX_LENGTH),
    ],
)
def test_columns_take_their_size_from_the_document_limits(model, field, limit):
    assert model._meta.get_field(field).max_length == limit


def test_the_most_registry_ids_fit_their_column():
    longest = " ".join(["x" * docs.REGISTRY_ID_MAX_LENGTH] * docs.MAX_REGISTRY_IDS)
    assert len(longest) <= ev.Trial._meta.get_field("registry_ids_text").max_length


@pytest.mark.parametrize(
    ("model", "field", "document_model", "document_field"),
    [
        (ev.Trial, "setting", docs.TrialDocument, "setting"),
        (ev.Citation, "kind", docs.CitationDocument, "kind"),
        (ev.Arm, "role", docs.Arm, "role"),
        (ev.Outcome, "endpoint", docs.Outcome, "endpoint"),
        (ev.Outcome, "measure", docs.Outcome, "measure"),
        (ev.Outcome, "unit", docs.Outcome, "unit"),
        (ev.Outcome, "treatment_phase", docs.Outcome, "treatment_phase"),
        (ev.Outcome, "type", docs.Outcome, "type"),
        (ev.Outcome, "dispersion", docs.Dispersion, "kind"),
        (ev.Outcome, "timepoint_unit", docs.Timepoint, "unit"),
        (ev.OutcomeValue, "qualifier", docs.ArmValue, "qualifier"),
        (ev.OutcomeValue, "missing", docs.ArmValue, "missing"),
        (ev.Comparison, "kind", docs.Comparison, "kind"),
        (ev.Comparison, "unit", docs.Comparison, "unit"),
        (ev.Comparison, "p_value_comparator", docs.Comparison, "p_value_comparator"),
        (ev.Finding, "kind", docs.Finding, "kind"),
    ],
)
def test_every_choice_fits_its_column(model, field, document_model, document_field):
    from curation.admin.forms import literal_values

    longest = max(map(len, literal_values(document_model, document_field)))
    assert longest <= model._meta.get_field(field).max_length


def test_the_most_phases_fit_their_column():
    from evidence.documents.limits import MAX_PHASES
    from evidence.documents.record_types import phases_text

    longest = sorted(docs.literal_values(docs.TrialPhase), key=len)[-MAX_PHASES:]
    assert len(phases_text(longest)) <= ev.Trial._meta.get_field("phases_text").max_length


def test_list_errors_name_the_list_and_the_limit():
    arms = [
        {"key": f"arm{i}", "label": f"Arm {i}", "role": "experimental"}
        for i in range(docs.MAX_ARMS + 1)
    ]
    errors = errors_of("trial", documents.ifm_trial(arms=arms, outcomes=[], findings=[]))
    assert errors == [
        {"path": "arms", "message": f"at most {docs.MAX_ARMS} items allowed, not {len(arms)}"}
    ]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("enrollment", docs.COUNT_MAX + 1, f"must be at most {docs.COUNT_MAX}"),
        ("enrollment", 2**64, f"must be at most {docs.COUNT_MAX}"),
        ("median_follow_up_months", 10**400, "must be between"),
        ("median_follow_up_months", -(2**53) - 1, "must be between"),
    ],
)
def test_numbers_stay_within_what_the_columns_hold(path, value, message):
    errors = errors_of("trial", documents.ifm_trial(**{path: value}))
    assert errors[0]["path"] == path and message in errors[0]["message"]


def test_numbers_at_their_limits_are_valid():
    document = documents.ifm_trial(enrollment=docs.COUNT_MAX, median_follow_up_months=2**53)
    assert validate_document("trial", document, exists=lambda t, s: True)["enrollment"] == (
        docs.COUNT_MAX
    )


# --- Forbidden characters ---------------------------------------------------------------------

# (character, how the message names it); a list, as ruff folds lone surrogates together
FORBIDDEN = [
    ("\x00", "U+0000 NUL"),
    ("\x01", "U+0001"),
    ("\x08", "U+0008"),
    ("\x0b", "U+000B"),
    ("\x0c", "U+000C"),
    ("\r", "U+000D carriage return"),
    ("\x1b", "U+001B"),
    ("\x1f", "U+001F"),
    ("\x7f", "U+007F DEL"),
    ("\x80", "U+0080"),
    ("\x85", "U+0085"),
    ("\x9f", "U+009F"),
    ("\ud800", "U+D800"),
    ("\udfff", "U+DFFF"),
]


@pytest.mark.parametrize(
    ("char", "named"), FORBIDDEN, ids=[f"U+{ord(c):04X}" for c, _ in FORBIDDEN]
)
def test_control_characters_are_refused_with_character_and_offset(char, named):
    errors = errors_of("trial", documents.ifm_trial(summary=f"abc{char}def"))
    assert errors == [
        {"path": "summary", "message": errors[0]["message"]},
    ]
    assert named in errors[0]["message"] and "at offset 3" in errors[0]["message"]


def test_tab_newline_and_ordinary_unicode_are_kept():
    text = "Line one\twith a tab\nline two: ≥ 50 % — Müller 🙂 \u00a0 \u2028"
    assert validate_document("trial", documents.ifm_trial(summary=text), exists=lambda t, s: True)[
        "summary"
    ] == (text)


@pytest.mark.parametrize(
    ("record_type", "document", "path"),
    [
        ("trial", documents.ifm_trial(name="IFM\x00"), "name"),
        ("trial", documents.ifm_trial(slug="ifm\x00"), "slug"),
        ("trial", documents.ifm_trial(setting="relapsed\x00"), "setting"),
        ("trial", documents.ifm_trial(registry_ids=[{"registry": "NCT", "id": "NCT\x00"}]), None),
        ("citation", documents.ifm_citation(authors=["Attal M", "Marit\x07 G"]), "authors[1]"),
        ("intervention", documents.ifm_intervention(drug_class="IMiD\x1b"), "drug_class"),
    ],
)
def test_every_string_anywhere_is_checked(record_type, document, path):
    errors = errors_of(record_type, document)
    path = path or "registry_ids[0].id"
    assert any(e["path"] == path and "control character" in e["message"] for e in errors), errors


def test_nested_strings_and_field_names_are_checked_and_reported_with_other_errors():
    document = documents.ifm_trial(enrollment=-1)
    document["arms"][0]["regimen"][0]["description"] = "Rev\x00limid"
    document["outcomes"][1]["values"][0]["note"] = "\x85"
    document["arms"][1]["x\x00"] = 1
    errors = {e["path"]: e["message"] for e in errors_of("trial", document)}
    assert "offset 3" in errors["arms[0].regimen[0].description"]
    assert "offset 0" in errors["outcomes[1].values[0].note"]
    assert errors["arms[1]"].startswith("a field name contains")
    assert errors["enrollment"] == "must not be negative"


def test_a_deeply_nested_value_is_walked_without_recursion():
    nested: list = []
    inner = nested
    for _ in range(50_000):
        inner.append([])
        inner = inner[0]
    inner.append("\x00")
    assert docs.forbidden_character_errors({"notes": nested})[0]["message"].startswith(
        "contains a control character (U+0000 NUL) at offset 0"
    )
