"""The file table (``publishing.build.file_table``): a build's file entries on disk, read and
changed like the dict they replace."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from publishing.build import manifest as split_manifest
from publishing.build.file_entry import FileEntry
from publishing.build.file_table import FileTable, as_file_table

SHA = "ab" * 32
COMPOSITE = {"path": "evidence.json", "etag": "e" * 64, "size": 3, "parts": [["c" * 64, 3]]}


def entry(path: str, size: int = 1, inputs: str | None = "in-1") -> FileEntry:
    return FileEntry(path, SHA, size, inputs)


def test_it_reads_and_changes_like_the_dict_it_replaces():
    table, expected = FileTable(), {}
    for i in range(300):
        path = f"trials/t{i}.html"
        table[path] = expected[path] = entry(path, i, None if i % 2 else f"in-{i}")
    table["evidence.json"] = expected["evidence.json"] = COMPOSITE
    table["trials/t7.html"] = expected["trials/t7.html"] = entry("trials/t7.html", 99)  # replaced
    del table["trials/t8.html"], expected["trials/t8.html"]
    assert table.pop("trials/t9.html") == expected.pop("trials/t9.html")

    assert len(table) == len(expected) == 299
    assert sorted(table) == sorted(expected) and table == expected
    assert table["trials/t7.html"].size == 99 and table["trials/t7.html"]["inputs"] == "in-1"
    assert table["trials/t3.html"].get("inputs") is None  # None stays None
    assert table["evidence.json"] is COMPOSITE  # composites are kept as they are
    assert "trials/t8.html" not in table and table.get("trials/t8.html") is None
    assert 42 not in table
    with pytest.raises(KeyError):
        del table["trials/t8.html"]


def test_a_plain_files_dict_is_compacted_and_a_composite_replaces_a_file_of_its_path():
    table = FileTable({"a.json": {"path": "a.json", "sha256": SHA, "size": 5}})
    assert type(table["a.json"]) is FileEntry and table["a.json"].size == 5
    table["a.json"] = {**COMPOSITE, "path": "a.json"}
    assert len(table) == 1 and "parts" in table["a.json"]
    table["a.json"] = entry("a.json")
    assert len(table) == 1 and type(table["a.json"]) is FileEntry


def test_an_entry_listed_under_another_path_is_refused():
    table = FileTable()
    with pytest.raises(ValueError, match="'a.json' listed at 'b.json'"):
        table["b.json"] = entry("a.json")
    assert len(table) == 0


def test_a_shards_part_is_made_of_its_entries_bytes_in_path_order_composites_among_them():
    paths = [f"fhir/Group/g{i}.json" for i in range(2000)] + ["trials/é ü.html"]
    table = FileTable((path, entry(path, inputs=None if "é" in path else "in-1")) for path in paths)
    table["evidence.json"] = COMPOSITE
    by_shard: dict[int, list] = {}
    for path in [*paths, "evidence.json"]:
        by_shard.setdefault(split_manifest.shard_number(path), []).append(table[path])
    for shard in range(split_manifest.SHARDS):
        fragments = table.part_fragments(shard)
        members = by_shard.get(shard, [])
        assert len(fragments) == len(members)
        if members:  # the very bytes a part serialised whole has
            made = split_manifest.part_of_fragments(fragments)
            assert made == split_manifest.part_bytes(members)
    assert any(len(members) > 3 for members in by_shard.values())


def test_paths_missing_from_another_table():
    old = FileTable((p, entry(p)) for p in ("a.json", "b.json", "c.json"))
    new = FileTable((p, entry(p)) for p in ("b.json", "d.json"))
    assert sorted(old.paths_missing_from(new)) == ["a.json", "c.json"]
    assert list(as_file_table(new).paths_missing_from({})) == list(new)
    assert as_file_table(new) is new and as_file_table(None) == {}


def test_its_entries_are_not_python_objects():
    """What the table is for: 20,000 entries held in the process as objects took about 5 MB
    (270 bytes each); on disk they take a few hundred bytes of Python objects in all."""
    table = FileTable()
    paths = [f"fhir/Evidence/trial-{i:06d}-pfs.json" for i in range(20_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for path in paths:
            table[path] = entry(path)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(table) == 20_000 and held < 200_000


def test_a_dropped_table_leaves_no_cyclic_garbage():
    gc.collect()
    gc.disable()
    try:
        table = FileTable((p, entry(p)) for p in ("a.json", "b.json"))
        assert len(table) == 2
        del table
        assert gc.collect() == 0
    finally:
        gc.enable()
