import copy

import pytest

from evidence.diff import (
    MergeConflict,
    describe_path,
    diff_documents,
    flatten,
    labelled_changes,
    three_way_merge,
    unflatten,
)
from evidence.documents import validate_document
from tests import documents


def canonical_trial():
    return validate_document("trial", documents.ifm_trial(), lambda t, s: True)


def test_flatten_unflatten_round_trip():
    doc = canonical_trial()
    assert unflatten(flatten(doc)) == doc


def test_diff_follows_items_by_key_not_index():
    old = canonical_trial()
    new = copy.deepcopy(old)
    new["arms"].reverse()  # reorder only
    new["outcomes"][0]["values"][0]["value"] = 42
    changes = {c["path"]: (c["old"], c["new"]) for c in diff_documents(old, new)}
    assert changes["outcomes[key=pfs].values[arm=len].value"] == (41, 42)
    assert changes["arms[]"] == (["key=len", "key=pbo"], ["key=pbo", "key=len"])
    assert len(changes) == 2


def test_diff_of_creation_lists_every_field():
    doc = canonical_trial()
    changes = diff_documents(None, doc)
    assert {"path": "name", "old": None, "new": "IFM 2005-02"} in changes


def test_merge_of_non_overlapping_changes_keeps_both():
    base = canonical_trial()
    theirs = copy.deepcopy(base)
    theirs["summary"] = "Updated summary."
    mine = copy.deepcopy(base)
    mine["outcomes"][0]["values"][1]["value"] = 24
    merged = three_way_merge(base, theirs, mine)
    assert merged["summary"] == "Updated summary."
    assert merged["outcomes"][0]["values"][1]["value"] == 24
    assert merged["arms"] == base["arms"]


def test_merge_of_overlapping_changes_names_the_fields():
    base = canonical_trial()
    theirs = copy.deepcopy(base)
    theirs["outcomes"][0]["values"][0]["value"] = 40
    mine = copy.deepcopy(base)
    mine["outcomes"][0]["values"][0]["value"] = 39
    with pytest.raises(MergeConflict) as exc:
        three_way_merge(base, theirs, mine)
    assert exc.value.paths == ["outcomes[key=pfs].values[arm=len].value"]


def test_merge_conflicts_when_an_edited_item_was_removed():
    base = canonical_trial()
    theirs = copy.deepcopy(base)
    del theirs["outcomes"][1]
    mine = copy.deepcopy(base)
    mine["outcomes"][1]["title"] = "Second primary malignancies"
    with pytest.raises(MergeConflict):
        three_way_merge(base, theirs, mine)


def test_merge_adds_my_new_item_next_to_theirs():
    base = canonical_trial()
    theirs = copy.deepcopy(base)
    theirs["findings"][0]["statement"] = "Revised statement."
    mine = copy.deepcopy(base)
    mine["findings"].append(dict(mine["findings"][0], key="new-finding", statement="New."))
    merged = three_way_merge(base, theirs, mine)
    assert [f["statement"] for f in merged["findings"]] == ["Revised statement.", "New."]


def test_describe_path_uses_labels():
    doc = canonical_trial()
    label = describe_path("outcomes[key=pfs].values[arm=len].value", doc)
    assert "Average survival without myeloma progression" in label
    assert "Revlimid maintenance" in label
    assert "key=" not in label


def test_labelled_changes_describe_each_change_with_the_labels_of_the_new_document():
    old = documents.ifm_trial()
    new = copy.deepcopy(old)
    new["arms"][0]["label"] = "Lenalidomide maintenance"
    new["enrollment"] = 461
    changes = labelled_changes(old, new)
    assert [sorted(c) for c in changes] == [["label", "new", "old", "path"]] * len(changes)
    by_path = {c["path"]: c for c in changes}
    assert by_path["enrollment"]["new"] == 461
    assert "Lenalidomide maintenance" in by_path["arms[key=len].label"]["label"]
    # A stored diff (an event's) is labelled the same way; a removed record by its old labels.
    stored = diff_documents(old, new)
    assert labelled_changes(None, new, changes=stored) == changes
    assert labelled_changes(old, None)[0]["label"] == describe_path(
        labelled_changes(old, None)[0]["path"], old
    )


def _variants(doc: dict) -> list[dict]:
    """Changed copies of ``doc``: a field changed, added, removed or set to None, a number
    made a float or a boolean (equal in Python, not in JSON), items reordered, a value
    changed deep in an item, a name with "." or "[" beside the one it could be taken for."""
    out = []
    for name in doc:
        for value in (None, 1, 1.0, True, "x", [], {}, [doc[name]]):
            out.append({**doc, name: value})
        without = dict(doc)
        del without[name]
        out.append(without)
    reordered = copy.deepcopy(doc)
    reordered["arms"].reverse()
    out.append(reordered)
    deep = copy.deepcopy(doc)
    deep["outcomes"][0]["values"][0]["value"] = 42.0
    deep["summary"] = "Changed."
    out.append(deep)
    out.append({**doc, "added": {"a": 1}})
    out.append({**doc, "summary.x": 1, "arms[]": ["key=zzz"]})
    return out


def test_the_diff_skipping_equal_fields_is_the_whole_documents_diff():
    from evidence.diff import _flat_diff

    doc = canonical_trial()
    variants = _variants(doc)
    pairs = [(doc, v) for v in variants] + [(v, doc) for v in variants]
    pairs += list(zip(variants, variants[1:], strict=False)) + [(None, doc), (doc, None)]
    for old, new in pairs:
        assert diff_documents(old, new) == _flat_diff(old or {}, new or {})
    # Equal in Python but not in JSON: still a change, as the whole diff says.
    number = {**doc, "summary": 1}
    assert diff_documents(number, {**doc, "summary": 1.0}) == []  # as before: 1 == 1.0
    assert [c["path"] for c in diff_documents(doc, {**doc, "summary": None})] == ["summary"]
