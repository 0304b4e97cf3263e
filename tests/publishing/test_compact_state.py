"""What a build and a warm worker hold, held compactly, gives back exactly what it stood for.

Documents packed in ``RecordState``, plain manifest entries as ``FileEntry``, FHIR bundle
entries spilled to disk and composite chunks remembered by a digest: each is checked here
against the plain value it replaces (the same dict, the same bytes). That whole snapshots
stay byte-identical with them is checked in ``test_incremental``.
"""

from __future__ import annotations

import os

import pytest

from publishing.build import composite
from publishing.build import manifest as split_manifest
from publishing.build.file_entry import FileEntry, plain
from publishing.build.spill import Spill, size_of
from publishing.selectors import RecordState, Version

SHA = "0123456789abcdef" * 4


def version() -> Version:
    return Version(1, 1, "created", None, "editor", "reviewer", "2026-01-05T03:04:00Z", "", None)


def test_a_packed_document_reads_back_equal_in_the_same_key_order():
    document = {"name": "T", "b": [1, 2.5, None, {"z": True, "a": "é"}], "a": 1 << 62}
    state = RecordState("trial", "id", "t", [version()], document)
    assert isinstance(state.packed, bytes) and len(state.packed) < len(repr(document))
    assert state.document == document
    assert list(state.document) == list(document)
    assert list(state.document["b"][3]) == ["z", "a"]
    state.document = None
    assert state.packed is None and state.document is None


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
