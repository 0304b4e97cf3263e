"""changes.json and changes.html are written as the changes are read (``changes_files``):
the bytes are those of the files made at once, whatever the batch and part sizes, and a
long range read again on each pass gives what a short range kept gives."""

from __future__ import annotations

import orjson
import pytest

from publishing import change_selectors, pages, services, templating
from publishing.build import PreviousSnapshot, SnapshotBuilder, composite
from publishing.build.files import dumps
from publishing.change_selectors import ChangesBetween, iter_changes
from tests import documents
from tests.factories import create_approved, retract_approved, revise_approved, seed_corpus

from .published import published_bytes, published_manifest

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_corpus(editor, reviewer, snapshot_root):
    """Snapshot 1 of two trials; then a trial revised twice, the citation revised, a trial
    made and retracted (from version 0: it is new to readers), and two trials new; returns
    (first snapshot, second snapshot)."""
    seed_corpus(editor, reviewer, trials=("trial-one", "trial-two"))
    first = services.publish_latest()
    create_approved(editor, reviewer, "trial", documents.drugex_trial("trial-gone", "GONE"))
    create_approved(editor, reviewer, "trial", documents.drugex_trial("trial-zero", "ZERO"))
    create_approved(editor, reviewer, "trial", documents.drugex_trial("trial-new", "NEW <b>"))

    def change(value):
        def apply(document):
            document["outcomes"][0]["values"][0]["value"] = value

        return apply

    revise_approved(editor, reviewer, "trial", "trial-one", change(47), "corrected median")
    revise_approved(editor, reviewer, "trial", "trial-one", change(48), "corrected again")
    revise_approved(
        editor, reviewer, "citation", "smith-2020", lambda d: d.update(pages="100-111"), "pages"
    )
    retract_approved(editor, reviewer, "trial", "trial-gone", 1, "made in error")
    return first, services.publish_latest()


def test_changes_json_is_the_whole_object_serialised_at_once(changed_corpus):
    first, second = changed_corpus
    published = published_bytes(second.seq, "changes.json")
    meta = {
        "previous_seq": first.seq,
        "from_position": first.position,
        "to_position": second.position,
    }
    rows = [pages.change_row(c) for c in iter_changes(first.position, second.position)]
    assert published == dumps({**meta, "records": rows})
    listed = [(r["record_type"], r["slug"], r["kind"]) for r in orjson.loads(published)["records"]]
    # By record type (registry order), then slug; each record once, with its net change.
    assert listed == [
        ("citation", "smith-2020", "revised"),
        ("trial", "trial-gone", "retracted"),
        ("trial", "trial-new", "created"),
        ("trial", "trial-one", "revised"),
        ("trial", "trial-zero", "created"),
    ]
    one = orjson.loads(published)["records"][3]
    assert (one["from_version"], one["to_version"]) == (1, 3)
    assert [v["rationale"] for v in one["versions"]] == ["corrected median", "corrected again"]
    assert [(f["old"], f["new"]) for f in one["fields"]] == [(46, 48)]
    entry = next(e for e in published_manifest(second.seq)["files"] if e["path"] == "changes.json")
    assert entry["size"] == len(published)


def test_changes_page_lists_sections_then_new_records_escaped(changed_corpus):
    _, second = changed_corpus
    html = published_bytes(second.seq, "changes.html").decode()
    assert "5 records changed." in html
    assert "2 new records, as first approved" in html
    assert html.index("Revised from version 1 to version 3") < html.index("<h2>New records</h2>")
    assert html.index("Retracted (was version 0)") < html.index("<h2>New records</h2>")
    assert "NEW &lt;b&gt;" in html and "NEW <b>" not in html


def test_empty_range_gives_empty_records_and_nothing_changed(published_corpus, tmp_path):
    snapshot = published_corpus
    previous = PreviousSnapshot(snapshot.seq, snapshot.position)
    SnapshotBuilder(snapshot.seq + 1, snapshot.position, previous).build(tmp_path)
    data = orjson.loads((tmp_path / "changes.json").read_bytes())
    assert data["records"] == [] and b'"records": []' in (tmp_path / "changes.json").read_bytes()
    assert "Nothing changed." in (tmp_path / "changes.html").read_text()


def test_small_batches_parts_and_re_reading_give_the_same_bytes(
    changed_corpus, tmp_path, monkeypatch
):
    first, second = changed_corpus
    previous = PreviousSnapshot(first.seq, first.position)
    SnapshotBuilder(second.seq, second.position, previous).build(tmp_path / "kept")
    # A long range (read again on each pass), one record resolved at a time, tiny parts.
    monkeypatch.setattr(change_selectors, "KEPT_EVENTS", 0)
    monkeypatch.setattr(change_selectors, "RESOLVE_BATCH", 1)
    monkeypatch.setattr(composite, "STREAM_PART", 64)
    render_pieces = templating.render_pieces
    monkeypatch.setattr(
        pages.snapshot_pages,
        "render_pieces",
        lambda template, context: render_pieces(template, context, size=1),
    )
    builder = SnapshotBuilder(second.seq, second.position, previous)
    builder.build(tmp_path / "streamed")
    for path in ("changes.json", "changes.html"):
        kept = (tmp_path / "kept" / path).read_bytes()
        assert (tmp_path / "streamed" / path).read_bytes() == kept
        assert published_bytes(second.seq, path) == kept
        assert len(builder.files[path]["parts"]) >= 5  # stored in parts as they came


def test_changes_between_reads_a_long_range_again_for_each_pass(changed_corpus, monkeypatch):
    first, second = changed_corpus
    kept = ChangesBetween(first.position, second.position)
    monkeypatch.setattr(change_selectors, "KEPT_EVENTS", 0)
    streamed = ChangesBetween(first.position, second.position)
    assert streamed._kept is None and kept._kept is not None
    rows = [pages.change_row(c) for c in kept]
    assert [pages.change_row(c) for c in streamed] == rows
    assert [pages.change_row(c) for c in streamed] == rows  # a second pass, read again
