"""What a build and a warm worker hold, held compactly, gives back exactly what it stood for.

Documents packed in ``RecordState``, plain manifest entries as ``FileEntry`` (sha256 and size
in one bytes object), the part table's paths as tuples, page references NUL-joined, FHIR
bundle entries spilled to disk (named by handle and spill generation) and composite chunks
remembered by a digest: each is checked here against the plain value it replaces (the same
dict, the same bytes). That whole snapshots stay byte-identical with them is checked in
``test_incremental`` and ``test_cold_worker``.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from publishing.build import composite, fingerprints
from publishing.build import manifest as split_manifest
from publishing.build.fhir_items import FhirItems
from publishing.build.file_entry import FileEntry, plain
from publishing.build.file_table import FileTable
from publishing.build.fingerprints import _references_cache, references_of
from publishing.build.previous_bundle import KnownEntries
from publishing.build.rendering import PendingPages
from publishing.build.warm_pages import MentionTable, WarmPages
from publishing.selectors import RecordState, Version
from publishing.spill import Spill, size_of
from tests.documents import drugex_trial

SHA = "0123456789abcdef" * 4


def version() -> Version:
    return Version(1, 1, "created", None, "editor", "reviewer", "2026-01-05T03:04:00Z", "", None)


def test_a_packed_document_reads_back_equal_in_the_same_key_order():
    document = {"name": "T", "b": [1, 2.5, None, {"z": True, "a": "é"}], "a": 1 << 62}
    state = RecordState("trial", "id", "t", [version()], document)
    assert isinstance(state.packed, int)  # a handle: the packed bytes are on disk
    assert size_of(state.packed) < len(repr(document))
    assert state.document == document
    assert list(state.document) == list(document)
    assert list(state.document["b"][3]) == ["z", "a"]
    state.document = None
    assert state.packed is None and state.document is None


def test_kept_documents_move_to_a_new_spill_file_when_most_of_the_old_is_dead(monkeypatch):
    from publishing import selectors

    monkeypatch.setattr(selectors, "DEAD_DOCUMENTS", 0)
    cache = selectors.LogCache()
    documents = [drugex_trial(f"t{i}") for i in range(3)]
    states = [
        RecordState("trial", str(i), d["slug"], [version()], d) for i, d in enumerate(documents)
    ]
    cache.streams = {state.id: state for state in states}
    old = selectors.DOCUMENTS.current
    for _ in range(5):  # versions replaced: their bytes stay in the file, dead
        for state, document in zip(states, documents, strict=True):
            state.document = document
    gone = RecordState("trial", "x", "x", [version()], documents[0])  # no longer kept
    cache.compact_documents()
    new = selectors.DOCUMENTS.current
    assert new is not old and new.end < old.end / 5
    assert all(state.spill is new for state in states)
    assert [state.document for state in states] == documents  # read from the new file
    assert gone.spill is old and gone.document == documents[0]  # the old file stays open
    cache.compact_documents()  # not grown since: nothing to do
    assert selectors.DOCUMENTS.current is new


def test_a_file_entry_reads_and_serialises_as_its_dict():
    for entry in (
        {"path": "trials/a.html", "sha256": SHA, "size": 10, "inputs": "abc"},
        {"path": "schema.json", "sha256": SHA, "size": 0},
    ):
        compact = FileEntry.of(entry)
        assert isinstance(compact, FileEntry)
        assert compact == entry and entry == compact and plain(compact) == entry
        assert dict(compact) == entry and len(compact) == len(entry)
        assert compact["sha256"] == SHA and compact.get("inputs") == entry.get("inputs")
        assert ("inputs" in compact) == ("inputs" in entry) and "parts" not in compact
        with pytest.raises(KeyError):
            compact["etag"]
    entries = [
        {"path": "b", "sha256": SHA, "size": 3, "inputs": "x"},
        {"path": "a", "sha256": SHA.replace("0", "f"), "size": 300},
    ]
    assert split_manifest.part_bytes([FileEntry.of(e) for e in entries]) == (
        split_manifest.part_bytes(entries)
    )
    assert split_manifest.parse_part(split_manifest.part_bytes(entries)) == {
        e["path"]: e for e in entries
    }


@pytest.mark.parametrize(
    "entry",
    [
        {"path": "evidence.json", "etag": SHA, "size": 5, "parts": [[SHA, 5]]},  # a composite
        {"path": "a", "sha256": SHA, "size": 1, "inputs": None},  # would lose its key
        {"path": "a", "sha256": SHA, "size": 1, "inputs": ""},
        {"path": "a", "sha256": SHA.upper(), "size": 1},  # would be written lower case
        {"path": "a", "sha256": "xyz", "size": 1},
        {"path": "a", "sha256": SHA, "size": 1.0},
        {"path": "a", "sha256": SHA, "size": 1, "other": 2},
        {"path": "a", "sha256": "0a" * 30 + " 0a ", "size": 1},  # 31 bytes: fromhex skips spaces
        {"path": "a", "sha256": SHA, "size": 1 << 64},  # does not fit the packed size
        {"path": "a", "sha256": SHA, "size": -1},
    ],
)
def test_entries_a_file_entry_could_not_give_back_exactly_stay_dicts(entry):
    assert FileEntry.of(entry) is entry


def test_spilled_bytes_read_back_and_survive_compaction():
    spill = Spill()
    try:
        blobs = [os.urandom(n) for n in (0, 1, 5000, 70_000)] + [b"same", b"same"]
        handles = [spill.put(blob) for blob in blobs]
        assert [spill.get(h) for h in handles] == blobs
        assert [size_of(h) for h in handles] == [len(b) for b in blobs]
        assert spill.end == sum(map(len, blobs))
        kept = handles[2:4]
        renamed = spill.compact(kept)
        assert set(renamed) == set(kept)
        assert [spill.get(renamed[h]) for h in kept] == blobs[2:4]
        assert spill.end == len(blobs[2]) + len(blobs[3])
        assert spill.get(spill.put(b"after")) == b"after"
    finally:
        spill.close()


def test_a_forked_process_may_not_add_to_its_parents_spill():
    spill = Spill()
    handle = spill.put(b"parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            ok = spill.get(handle) == b"parent"
            try:
                spill.put(b"child")
            except RuntimeError:
                os.write(write, b"refused" if ok else b"unread")
            else:
                os.write(write, b"added")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"refused"
    os.close(read)
    assert spill.get(spill.put(b"more")) == b"more"
    spill.close()


def test_chunk_keys_differ_when_any_item_key_does():
    def chunk(*keys):
        return [(False, key, None) for key in keys]

    assert composite.chunk_key(chunk("a", "b")) == composite.chunk_key(chunk("a", "b"))
    digests = {
        composite.chunk_key(c)
        for c in (
            chunk("a", "b"),
            chunk("b", "a"),
            chunk("ab"),
            chunk(("a", "b")),
            chunk(("findings", "a")),
            chunk(("index", "a")),
        )
    }
    assert len(digests) == 6


@pytest.mark.parametrize("size", [0, 1, 255, 1 << 32, (1 << 64) - 1])
def test_a_file_entry_packs_its_sha256_and_size_in_one_bytes_object(size):
    entry = {"path": "fhir/Group/a.json", "sha256": SHA, "size": size, "inputs": "fhir-x"}
    compact = FileEntry.of(entry)
    assert isinstance(compact.packed, bytes) and len(compact.packed) == 40
    assert not hasattr(compact, "__dict__")
    assert compact.size == size and compact["size"] == size and compact.digest.hex() == SHA
    assert plain(compact) == entry


def stored_parts(path: str, data: bytes, count: int) -> dict:
    return split_manifest.part_entry(path, hashlib.sha256(data).hexdigest(), len(data), count)


def test_a_partial_split_gives_the_whole_splits_parts_and_keeps_the_untouched_ones():
    files = FileTable(
        (f"trials/t{i}.html", FileEntry(f"trials/t{i}.html", SHA, i)) for i in range(3000)
    )
    empty = split_manifest.PartTable.empty()
    _, first = split_manifest.split(files, split_manifest.shards_of(files), empty, stored_parts)

    del files["trials/t5.html"]
    files["trials/new.html"] = FileEntry("trials/new.html", SHA, 7)
    changed = ["trials/t5.html", "trials/new.html"]
    made = []

    def store_counting(path: str, data: bytes, count: int) -> dict:
        made.append(path)
        return stored_parts(path, data, count)

    parts, second = split_manifest.split(
        files, split_manifest.shards_of(changed), first, store_counting
    )
    whole, table = split_manifest.split(files, split_manifest.shards_of(files), empty, stored_parts)
    assert parts == whole and second.parts == table.parts
    dirty = {split_manifest.shard_of(path) for path in changed}
    assert sorted(made) == sorted(split_manifest.part_path(shard) for shard in dirty)
    untouched = [shard for shard in first.parts if shard not in dirty]
    assert untouched and all(second.parts[s] is first.parts[s] for s in untouched)


def test_a_snapshot_without_parts_has_every_part_made_though_nothing_changed():
    files = FileTable(
        (f"trials/t{i}.html", FileEntry(f"trials/t{i}.html", SHA, i)) for i in range(50)
    )
    whole, _ = split_manifest.split(
        files, split_manifest.shards_of(files), split_manifest.PartTable.empty(), stored_parts
    )
    parts, _ = split_manifest.split(files, set(), split_manifest.PartTable.missing(), stored_parts)
    assert parts == whole and sum(part["files"] for part in parts) == 50


def test_page_references_are_kept_as_one_string_and_read_back_in_order():
    document = drugex_trial("t")
    state = RecordState("trial", "id", "t", [version()], document, current_hash="h-refs")
    try:
        references = references_of(state)
        assert references == sorted(references) and ("citation", "smith-2020") in references
        assert isinstance(_references_cache["h-refs"], str)
        assert references_of(state) == references  # from the cached string
        bare = RecordState("trial", "id", "u", [version()], {}, current_hash="h-none")
        assert references_of(bare) == [] and references_of(bare) == []
    finally:
        _references_cache.pop("h-refs", None)
        _references_cache.pop("h-none", None)


def test_the_references_cache_keeps_only_the_newest_records(monkeypatch):
    monkeypatch.setattr(fingerprints, "REFERENCES_CACHED", 3)
    monkeypatch.setattr(fingerprints, "_references_cache", {})
    states = [
        RecordState("trial", "id", f"t{i}", [version()], drugex_trial(f"t{i}"), f"h{i}")
        for i in range(5)
    ]
    expected = [references_of(state) for state in states]
    assert list(fingerprints._references_cache) == ["h2", "h3", "h4"]  # oldest out first
    # What fell out is read again from the document, the same as before.
    assert [references_of(state) for state in states] == expected
    assert len(fingerprints._references_cache) == 3


def test_pending_pages_give_back_each_groups_pages_in_order():
    pending = PendingPages()
    pending.add_group(4, [("trials/b.html", "f" * 32), ("trials/b.json", "0" * 32)])
    pending.add_group(1, [("topics/x.html", "1" * 32)])
    pending.add_group(2, [])  # nothing to render: not a group
    assert len(pending) == 3 and pending.groups() == [1, 4]
    assert pending.of_group(4) == [("trials/b.html", "f" * 32), ("trials/b.json", "0" * 32)]
    assert pending.of_group(2) == [] and pending.of_group(9) == []
    assert list(pending) == [
        (1, "topics/x.html", "1" * 32),
        (4, "trials/b.html", "f" * 32),
        (4, "trials/b.json", "0" * 32),
    ]
    with pytest.raises(ValueError, match="render group 4 was planned twice"):
        pending.add_group(4, [("trials/c.html", "2" * 32)])


def test_a_new_spill_file_is_a_new_generation():
    spill = Spill()
    try:
        handle = spill.put(b"first")
        generation = spill.generation
        renamed = spill.compact([handle])
        assert renamed[handle] == handle  # the same offset, in another file...
        assert spill.generation != generation  # ...which the generation tells apart
    finally:
        spill.close()


def test_known_entries_are_the_tables_for_the_same_key_else_the_previous_bundles_once():
    def record(slug: str):
        return RecordState("trial", "id", slug, [version()], {}, current_hash=f"h-{slug}")

    items, by_inputs = FhirItems(), FhirItems()
    items.put("fhir/x/a.json", 11, "trial:a")
    items.note_record("trial:a", "h-a", "in-a")
    by_inputs.put("fhir/x/b.json", 12, "in-b")
    by_inputs.put("fhir/y/b.json", 13, "in-b")
    known = KnownEntries(items=items, by_inputs=by_inputs)
    assert known.take(record("a"), "in-a") == [("fhir/x/a.json", 11)]
    assert known.take(record("a"), "in-a2") is None  # another version
    other_database = RecordState("trial", "id", "a", [version()], {}, current_hash="h-other")
    assert known.take(other_database, "in-a") is None  # the same version, another event
    assert known.take(record("b"), "in-b") == [("fhir/x/b.json", 12), ("fhir/y/b.json", 13)]
    assert known.take(record("b"), "in-b") is None and not by_inputs  # taken once
    assert KnownEntries().take(record("a"), "in-a") is None  # nothing known: mapped


def test_a_split_emptying_a_part_or_naming_a_path_twice_gives_the_whole_splits_parts():
    files = FileTable(
        (f"fhir/Group/g{i}.json", FileEntry(f"fhir/Group/g{i}.json", SHA, i)) for i in range(40)
    )
    empty = split_manifest.PartTable.empty()
    _, first = split_manifest.split(
        files, split_manifest.shards_of([*files, *files]), empty, stored_parts
    )
    assert sum(part["files"] for part in first.parts.values()) == len(files)
    alone = next(shard for shard, part in first.parts.items() if part["files"] == 1)
    (gone,) = [path for path in files if split_manifest.shard_of(path) == alone]
    del files[gone]
    files["fhir/Group/new.json"] = FileEntry("fhir/Group/new.json", SHA, 1)
    changed = [gone, "fhir/Group/new.json", "fhir/Group/new.json", "fhir/Group/never.json"]
    parts, second = split_manifest.split(
        files, split_manifest.shards_of(changed), first, stored_parts
    )
    whole, table = split_manifest.split(files, split_manifest.shards_of(files), empty, stored_parts)
    assert parts == whole and alone not in second.parts and second.parts == table.parts


def test_the_owners_naming_a_record_are_those_whose_pages_inputs_name_it(monkeypatch):
    pages = WarmPages()
    assert pages.owners_naming("citation:c") == set()  # nothing noted: no table made
    monkeypatch.setattr(MentionTable, "BATCH", 2)  # some pairs written, some still buffered
    pages.note("trials/a.html", "trial:a", ["trial:a@2", "citation:c@1", "topic:t@1"])
    pages.note("trials/b.html", "trial:b", ["trial:b@1", "citation:c@1"])
    pages.note("trials/b.json", "trial:b", ["trial:b@1"])
    pages.note("topics/t.html", "topic:t", ["topic:t@1"])
    assert pages.owners_naming("trial:a") == {"trial:a"}
    assert pages.owners_naming("trial:b") == {"trial:b"}  # named twice by its own pages
    assert pages.owners_naming("citation:c") == {"trial:a", "trial:b"}
    assert pages.owners_naming("topic:t") == {"trial:a", "topic:t"}
    assert pages.owners_naming("citation:unnamed") == set()
    pages.note("trials/c.html", "trial:c", ["trial:c@1", "citation:c@1"])  # after a read
    assert pages.owners_naming("citation:c") == {"trial:a", "trial:b", "trial:c"}


def test_the_fhir_items_table_is_the_dict_of_path_to_handle_it_replaces():
    items, plain_items = FhirItems(), {}
    spill = Spill()
    try:
        for n, (path, record) in enumerate(
            [
                ("fhir/Observation/t-b.json", "trial:t"),
                ("fhir/ResearchStudy/t.json", "trial:t"),
                ("fhir/CodeSystem/codes.json", None),
                ("fhir/Observation/t-a.json", "trial:t"),
                ("fhir/Citation/c.json", "citation:c"),
            ]
        ):
            handle = spill.put(b"x" * (n + 1))
            items.put(path, handle, record)
            plain_items[path] = handle
        items.put("fhir/Citation/c.json", plain_items["fhir/Citation/c.json"], "citation:c")
        assert dict(items) == plain_items and len(items) == 5  # replaced, not added
        assert list(items) == sorted(plain_items)  # the bundle's order
        assert [path for path, _ in items.of_record("trial:t")] == [
            "fhir/Observation/t-a.json",
            "fhir/Observation/t-b.json",
            "fhir/ResearchStudy/t.json",
        ]
        assert items.of_record("trial:gone") == []
        assert items.paths_between(None, None) == sorted(plain_items)
        assert items.paths_between("fhir/Observation/t-a.json", "fhir/ResearchStudy/t.json") == [
            "fhir/Observation/t-b.json",
            "fhir/ResearchStudy/t.json",
        ]
        assert items.paths_between(None, "fhir/CodeSystem/codes.json") == sorted(plain_items)[:2]
        assert items.paths_between("fhir/Observation/t-b.json", None) == [
            "fhir/ResearchStudy/t.json"
        ]
        assert items.live_bytes() == 1 + 2 + 3 + 4 + 5
        del items["fhir/Observation/t-b.json"]
        assert "fhir/Observation/t-b.json" not in items and len(items) == 4
        with pytest.raises(KeyError):
            items["fhir/Observation/t-b.json"]
        with pytest.raises(KeyError):
            del items["fhir/Observation/t-b.json"]
        renamed = spill.compact(items.handles())
        items.rename(renamed)
        assert sorted(spill.get(items[path]) for path in items) == [b"x" * n for n in (2, 3, 4, 5)]
    finally:
        spill.close()
        items.close()
