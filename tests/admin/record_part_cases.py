"""The admin's record-part cases: each adds, edits or removes one part of a seed record.

Used by ``test_admin_record_parts``: a case says what the editor changes in the form, what
revision (approved through the services) it starts from, what the proposal must then be and
which diff paths it must show. Content is always the seed's own, put back where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from curation.seed import corrected_document, seed_corrections, seed_records

TOPIC = "multiple-myeloma-maintenance"


def index(items: list[dict], key: str) -> int:
    return next(i for i, item in enumerate(items) if item["key"] == key)


def without(items: list[dict], key: str) -> list[dict]:
    return [item for item in items if item["key"] != key]


@dataclass
class Case:
    id: str
    record_type: str
    slug: str
    edit: Callable[[dict, dict], None]  # (form data, document shown) -> None
    paths: set[str] | Callable[[dict], set[str]]  # the diff's paths, exactly (from the seed)
    start: Callable[[dict], None] | None = None  # set-up revision before the editor's change
    expect: Callable[[dict], None] = field(default=lambda seed: None)  # seed -> expected


def _add_finding(data, doc):
    # The seed's "second_cancers" finding, put back at its place (position 3).
    new = len(doc["findings"])
    data.update(
        {
            f"findings-{new}-key": "second_cancers",
            f"findings-{new}-statement": "Among those receiving Revlimid maintenance, 25 "
            "secondary primary malignancies were observed, compared to 10 in the placebo arm.",
            f"findings-{new}-kind": "safety",
            f"findings-{new}-ORDER": "3",
        }
    )
    data.setlist(
        f"findings-{new}-outcomes", [str(index(doc["outcomes"], "second_primary_malignancies"))]
    )
    data.setlist(f"findings-{new}-citations", CALGB_REPORTS)


# The seed corrections cite both reports of CALGB 100104 for every finding of the trial.
CALGB_REPORTS = ["mccarthy-2012-nejm", "calgb-100104-updated-analysis-abstract-8523"]


def _cite_finding(data, doc):
    data.setlist(f"findings-{index(doc['findings'], 'longer_ttp')}-citations", CALGB_REPORTS)


def _add_conduct_note(data, doc):
    new = len(doc["conduct_notes"])
    data.update(
        {
            f"conduct_notes-{new}-key": "unblinding",
            f"conduct_notes-{new}-kind": "unblinding",
            f"conduct_notes-{new}-text": "The study was unblinded at 18 months median follow-up.",
            f"conduct_notes-{new}-at_months": "18",
            f"conduct_notes-{new}-ORDER": "1",
        }
    )


def _add_regimen_part(data, doc):
    krd = index(doc["arms"], "krd")
    new = len(doc["arms"][krd]["regimen"])
    data.update(
        {
            f"regimen-{krd}-{new}-intervention": "dexamethasone",
            f"regimen-{krd}-{new}-description": "Dexamethasone maintenance following ASCT",
            f"regimen-{krd}-{new}-phase": "maintenance",
        }
    )


def seed_document_of(slug: str) -> dict:
    """A seed record as ``load_seed`` leaves it: its seed file with its corrections made."""
    record_type, document = next((t, d) for t, d in seed_records() if d["slug"] == slug)
    for correction in seed_corrections():
        if (correction["record_type"], correction["slug"]) == (record_type, slug):
            document = corrected_document(document, correction["changes"])[0] or document
    return document


def _seed_section(slug: str, key: str) -> dict:
    return _section_of(seed_document_of(slug), key)


def _add_section(data, doc):
    velcade = _seed_section(TOPIC, "velcade")
    new = len(doc["sections"])
    data.update(
        {
            f"sections-{new}-key": "velcade",
            f"sections-{new}-heading": velcade["heading"],
            f"sections-{new}-body": "\r\n\r\n".join(velcade["body"]),  # as a browser sends it
            f"sections-{new}-ORDER": "9",
        }
    )
    data.setlist(f"sections-{new}-interventions", velcade["interventions"])


def _set_section_trials(key: str, trials: list[str]):
    def edit(data, doc):
        # The section's numbered boxes, as chosen by the editor; empty boxes are sent too.
        data.setlist(f"sections-{index(doc['sections'], key)}-trials", [*trials, ""])

    return edit


def _set_body(data, doc):
    section = _seed_section(TOPIC, "revlimid")
    data[f"sections-{index(doc['sections'], 'revlimid')}-body"] = section["body"][0]


def _section_positions(data, doc):
    # The editor numbers the two swapped sections back into the seed's order.
    data[f"sections-{index(doc['sections'], 'revlimid')}-ORDER"] = "1"
    data[f"sections-{index(doc['sections'], 'revlimid-after-asct')}-ORDER"] = "2"


def _remove(prefix: str, list_name: str, key: str):
    def edit(data, doc):
        data[f"{prefix}-{index(doc[list_name], key)}-DELETE"] = "on"

    return edit


def set_field(name: Callable[[dict], str], value: str):
    def edit(data, doc):
        data[name(doc)] = value

    return edit


def _finding_of(doc: dict, key: str) -> dict:
    return doc["findings"][index(doc["findings"], key)]


def _section_of(doc: dict, key: str) -> dict:
    return doc["sections"][index(doc["sections"], key)]


def _krd(doc: dict) -> dict:
    return doc["arms"][index(doc["arms"], "krd")]


def _pfs_value(doc: dict) -> dict:
    return doc["outcomes"][index(doc["outcomes"], "pfs")]["values"][0]


def item_paths(list_name: str, key: str) -> Callable[[dict], set[str]]:
    """The diff paths of adding or removing the seed's item: its order and its fields
    (a null field of an added item is no change)."""

    def paths(seed_document: dict) -> set[str]:
        item = seed_document[list_name][index(seed_document[list_name], key)]
        fields = {f"{list_name}[key={key}].{name}" for name, v in item.items() if v is not None}
        return {f"{list_name}[]", *fields}

    return paths


CASES = [
    Case(
        "add a trial finding",
        "trial",
        "calgb-100104",
        start=lambda d: d.update(findings=without(d["findings"], "second_cancers")),
        edit=_add_finding,
        paths=item_paths("findings", "second_cancers"),
    ),
    Case(
        "edit a trial finding's citations",
        "trial",
        "calgb-100104",
        start=lambda d: _finding_of(d, "longer_ttp").update(citations=[]),
        edit=_cite_finding,
        paths={"findings[key=longer_ttp].citations"},
    ),
    Case(
        "remove a trial finding",
        "trial",
        "calgb-100104",
        edit=_remove("findings", "findings", "unblinding_crossover"),
        expect=lambda d: d.update(findings=without(d["findings"], "unblinding_crossover")),
        paths=item_paths("findings", "unblinding_crossover"),
    ),
    Case(
        "add a conduct note",
        "trial",
        "calgb-100104",
        start=lambda d: d.update(conduct_notes=without(d["conduct_notes"], "unblinding")),
        edit=_add_conduct_note,
        paths=item_paths("conduct_notes", "unblinding"),
    ),
    Case(
        "edit a conduct note",
        "trial",
        "calgb-100104",
        start=lambda d: d["conduct_notes"][index(d["conduct_notes"], "crossover")].update(
            patients=None
        ),
        edit=set_field(
            lambda d: f"conduct_notes-{index(d['conduct_notes'], 'crossover')}-patients", "86"
        ),
        paths={"conduct_notes[key=crossover].patients"},
    ),
    Case(
        "remove a conduct note",
        "trial",
        "calgb-100104",
        edit=_remove("conduct_notes", "conduct_notes", "crossover"),
        expect=lambda d: d.update(conduct_notes=without(d["conduct_notes"], "crossover")),
        paths=item_paths("conduct_notes", "crossover"),
    ),
    Case(
        "add a regimen part",
        "trial",
        "atlas",
        start=lambda d: _krd(d).update(regimen=_krd(d)["regimen"][:2]),
        edit=_add_regimen_part,
        paths={"arms[key=krd].regimen"},
    ),
    Case(
        "edit a regimen part",
        "trial",
        "atlas",
        start=lambda d: _krd(d)["regimen"][0].update(phase=None),
        edit=set_field(lambda d: f"regimen-{index(d['arms'], 'krd')}-0-phase", "maintenance"),
        paths={"arms[key=krd].regimen"},
    ),
    Case(
        "remove a regimen part",
        "trial",
        "atlas",
        edit=set_field(lambda d: f"regimen-{index(d['arms'], 'krd')}-1-DELETE", "on"),
        expect=lambda d: _krd(d)["regimen"].pop(1),
        paths={"arms[key=krd].regimen"},
    ),
    Case(
        "edit the note on a single result value",
        "trial",
        "myeloma-xi",
        start=lambda d: _pfs_value(d).update(note=None),
        edit=set_field(
            lambda d: f"cell-{index(d['outcomes'], 'pfs')}-0-note",
            _pfs_value(seed_document_of("myeloma-xi"))["note"],
        ),
        paths={"outcomes[key=pfs].values[arm=lenalidomide].note"},
    ),
    Case(
        "add a section",
        "topic",
        TOPIC,
        start=lambda d: d.update(sections=without(d["sections"], "velcade")),
        edit=_add_section,
        paths=item_paths("sections", "velcade"),
    ),
    Case(
        "edit a section's body",
        "topic",
        TOPIC,
        start=lambda d: _section_of(d, "revlimid").update(body=[]),
        edit=_set_body,
        paths={"sections[key=revlimid].body"},
    ),
    Case(
        "remove a section",
        "topic",
        TOPIC,
        edit=_remove("sections", "sections", "ninlaro"),
        expect=lambda d: d.update(sections=without(d["sections"], "ninlaro")),
        paths=item_paths("sections", "ninlaro"),
    ),
    Case(
        "reorder sections by position",
        "topic",
        TOPIC,
        start=lambda d: d["sections"].insert(0, d["sections"].pop(1)),
        edit=_section_positions,
        paths={"sections[]"},
    ),
    Case(
        "add a trial to a section",
        "topic",
        TOPIC,
        start=lambda d: _section_of(d, "revlimid-after-asct").update(trials=["ifm-2005-02"]),
        edit=_set_section_trials("revlimid-after-asct", ["ifm-2005-02", "calgb-100104"]),
        paths={"sections[key=revlimid-after-asct].trials"},
    ),
    Case(
        "reorder a section's trials",
        "topic",
        TOPIC,
        start=lambda d: _section_of(d, "revlimid-after-asct")["trials"].reverse(),
        edit=_set_section_trials("revlimid-after-asct", ["ifm-2005-02", "calgb-100104"]),
        paths={"sections[key=revlimid-after-asct].trials"},
    ),
    Case(
        "remove a trial from a section",
        "topic",
        TOPIC,
        edit=_set_section_trials("revlimid-asct-ineligible", ["mm-015"]),
        expect=lambda d: _section_of(d, "revlimid-asct-ineligible").update(trials=["mm-015"]),
        paths={"sections[key=revlimid-asct-ineligible].trials"},
    ),
    Case(
        "add a topic finding",
        "topic",
        TOPIC,
        start=lambda d: d.update(findings=without(d["findings"], "duration-evidence")),
        edit=lambda data, doc: _put_back_topic_finding(data, doc, "duration-evidence", 7),
        paths=item_paths("findings", "duration-evidence"),
    ),
    Case(
        "remove a topic finding",
        "topic",
        TOPIC,
        edit=_remove("findings", "findings", "mrd-tailoring"),
        expect=lambda d: d.update(findings=without(d["findings"], "mrd-tailoring")),
        paths=item_paths("findings", "mrd-tailoring"),
    ),
]


def _put_back_topic_finding(data, doc, key: str, position: int):
    finding = _finding_of(seed_document_of(TOPIC), key)
    new = len(doc["findings"])
    data.update(
        {
            f"findings-{new}-key": key,
            f"findings-{new}-statement": finding["statement"],
            f"findings-{new}-kind": finding["kind"],
            f"findings-{new}-note": finding["note"] or "",
            f"findings-{new}-ORDER": str(position),
        }
    )
    data.setlist(f"findings-{new}-trials", finding["trials"])
    data.setlist(f"findings-{new}-citations", finding["citations"])
