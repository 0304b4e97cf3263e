"""A composite array kept between builds (``composite.ChunkedArray``) and updated with only
the items that changed gives exactly the chunks a walk over the whole array gives: the same
parts, so the same bytes, whatever was inserted, changed or removed (boundaries moved, the
first chunk emptied, chunks cut at MAX_CHUNK)."""

from __future__ import annotations

import random
import zlib

import pytest

from publishing.build import composite
from publishing.build.composite import ChunkedArray, CompositeWriter
from publishing.build.sinks import ObjectDirectorySink


def ends(key: str) -> bool:
    return zlib.crc32(key.encode()) % 4 == 0


def item(key: str, version: int) -> tuple:
    return (ends(key), f"{key}@{version}", (key, version))


def make(payload) -> bytes:
    key, version = payload
    return f'"{key}@{version}"'.encode()


def whole(sink, array: dict[str, int], separator: bytes) -> list[list]:
    writer = CompositeWriter(sink, "array.json", separator)
    keys = sorted(array)
    writer.array_items([item(k, array[k]) for k in keys], make)
    return writer.parts


@pytest.fixture
def sink(tmp_path):
    composite.forget()
    yield ObjectDirectorySink(tmp_path / "objects")
    composite.forget()


def keys_in(array: dict[str, int]):
    """``ChunkedArray``'s ``keys_between`` over ``array`` as it is when asked."""

    def keys_between(low, high):
        return sorted(k for k in array if (low is None or k > low) and (high is None or k <= high))

    return keys_between


@pytest.mark.parametrize("separator", [b",", b""])
@pytest.mark.parametrize("max_chunk", [512, 5])
@pytest.mark.parametrize("keys_held", ["in the array", "outside"])
def test_updating_only_what_changed_gives_the_chunks_of_a_whole_walk(
    sink, monkeypatch, separator, max_chunk, keys_held
):
    monkeypatch.setattr(composite, "MAX_CHUNK", max_chunk)
    rng = random.Random(16)
    pool = [f"k{n:04d}" for n in range(400)]
    for trial in range(40):
        array = {key: 1 for key in rng.sample(pool, rng.randint(0, 60))}
        kept = ChunkedArray(keys_in(array) if keys_held == "outside" else None)
        writer = CompositeWriter(sink, "array.json", separator)
        keys = sorted(array)
        writer.array_items([item(k, array[k]) for k in keys], make, keys=keys, kept=kept)
        assert writer.parts == whole(sink, array, separator)
        for _ in range(6):
            changed = set()
            for _ in range(rng.randint(1, 5)):
                move = rng.random()
                key = rng.choice(pool)
                if move < 0.3 and array:  # removed, often a whole chunk's worth
                    for gone in rng.sample(sorted(array), min(len(array), rng.randint(1, 8))):
                        del array[gone]
                        changed.add(gone)
                elif move < 0.6 and array:  # changed
                    key = rng.choice(sorted(array))
                    array[key] += 1
                    changed.add(key)
                else:  # new (a boundary key or not)
                    array[key] = array.get(key, 0) + 1
                    changed.add(key)
            writer = CompositeWriter(sink, "array.json", separator)

            def lookup(key, array=array):
                return item(key, array[key]) if key in array else None

            writer.kept_array(kept, changed, lookup, make)
            assert writer.parts == whole(sink, array, separator), (trial, sorted(changed))
            if keys_held == "outside":
                assert kept.keys == [] and len(kept.lasts) == len(kept.parts)
            else:
                assert [k for chunk in kept.keys for k in chunk] == sorted(array)


def test_emptying_the_first_chunk_makes_the_next_one_lead_without_a_comma(sink):
    keys = [f"k{n:04d}" for n in range(60)]
    array = dict.fromkeys(keys, 1)
    kept = ChunkedArray()
    CompositeWriter(sink, "array.json").array_items(
        [item(k, 1) for k in keys], make, keys=keys, kept=kept
    )
    assert len(kept.keys) > 2
    first = list(kept.keys[0])
    for key in first:
        del array[key]
    writer = CompositeWriter(sink, "array.json")
    writer.kept_array(kept, first, lambda k: item(k, 1) if k in array else None, make)
    assert writer.parts == whole(sink, array, b",")
    data = b"".join(_read(sink, sha) for sha, _ in writer.parts)
    assert not data.startswith(b",")


def _read(sink, sha: str) -> bytes:
    with open(sink.name(sha), "rb") as handle:
        return handle.read()
