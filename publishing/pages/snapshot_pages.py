"""Pages of one snapshot as a whole: the index and what changed since the previous snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from markupsafe import escape

from evidence.diff import labelled_changes
from evidence.documents import record_types

from .. import formatting as fmt
from .. import trial_facts as facts
from ..change_selectors import RecordChange
from ..selectors import EvidenceAsOf
from ..templating import render, render_pieces
from .contexts import account, page_footer
from .outlines import topic_outlines

RECORD_TYPE_NAMES = {
    "trial": "Trial",
    "topic": "Topic",
    "citation": "Reference",
    "intervention": "Treatment",
}


def record_name(evidence: EvidenceAsOf, record_type: str, slug: str) -> str:
    """What readers call a record: a trial's or treatment's name, a topic's or reference's
    title; the slug only for a record no longer published (retracted)."""
    record = evidence.get(record_type, slug)
    if record is None:
        return slug
    return record.document.get("name") or record.document.get("title") or slug


def index_page(evidence: EvidenceAsOf, seq: int, changes_count: int) -> bytes:
    """The whole index, rendered at once (a build stores it in parts: ``index_head_tail``
    and ``index_row``, which give the same bytes)."""
    trials = [_index_trial(t) for t in evidence.records["trial"].values()]
    return render("index.html", _index_context(evidence, seq, changes_count, trials))


def _index_trial(trial) -> dict[str, Any]:
    return {
        "slug": trial.slug,
        "name": trial.document["name"],
        "setting": facts.setting_text(trial.document),
    }


def _index_context(evidence: EvidenceAsOf, seq: int, changes_count: int, trials) -> dict:
    return {
        "title": "Published evidence",
        "topics": [
            {"slug": topic.slug, "title": outline.title, "condition": outline.condition}
            for topic, outline in topic_outlines(evidence)
        ],
        "trials": trials,
        "changes_count": changes_count,
        "footer": page_footer(evidence, seq),
        "root": "",
    }


# Stands for the trial list when the index's head and tail are rendered (never a slug: not
# [a-z0-9-]); the template's row for it is cut out.
_MARK = "\u2063list\u2063"


def index_head_tail(evidence: EvidenceAsOf, seq: int, changes_count: int) -> tuple[bytes, bytes]:
    """The index's bytes before and after its trial rows (``index_row`` each, in slug order).
    With no trials, the head is the whole page and the tail empty."""
    if not evidence.records["trial"]:
        return render("index.html", _index_context(evidence, seq, changes_count, [])), b""
    marked = {"slug": _MARK, "name": _MARK, "setting": ""}
    page = render("index.html", _index_context(evidence, seq, changes_count, [marked]))
    row = index_row_of(marked)
    head, found, tail = page.partition(row)
    if not found or row in tail:
        raise AssertionError("index.html: its trial row is not where index_row expects it")
    return head, tail


def index_row(trial) -> bytes:
    """One trial's row of the index, as the template's loop renders it."""
    return index_row_of(_index_trial(trial))


def index_row_of(trial: dict[str, Any]) -> bytes:
    setting = trial["setting"]
    setting = f' <span class="muted">· {escape(setting)}</span>' if setting else ""
    return (
        f'<li><a href="trials/{escape(trial["slug"])}.html">{escape(trial["name"])}</a>'
        f"{setting}</li>\n"
    ).encode()


def change_row(change: RecordChange) -> dict[str, Any]:
    """One record's entry in ``changes.json``."""
    fields = (
        labelled_changes(change.old_document, change.new_document)
        if change.kind == "revised"
        else []
    )
    return {
        "record_type": change.record_type,
        "slug": change.slug,
        "kind": change.kind,
        "from_version": change.from_version,
        "to_version": change.to_version,
        "versions": [v.as_dict() for v in change.versions],
        "fields": fields,
    }


def changes_page(
    changes: Iterable[RecordChange],
    meta: dict[str, Any],
    evidence: EvidenceAsOf,
    seq: int,
    counts: tuple[int, int],
) -> Iterator[bytes]:
    """changes.html in pieces, made as it is written: ``changes`` (iterable twice) is walked
    for the revised and retracted records' sections, then for the new records' rows (a first
    snapshot lists every record). ``counts``: how many records changed, how many are new."""
    count, created_count = counts

    def display(created: bool) -> Iterator[dict[str, Any]]:
        for change in changes:
            if (change.kind == "created") == created:
                yield _change_display(change_row(change), evidence)

    # New records can number thousands (the first snapshot): one compact table row each;
    # changes get the detailed view.
    context = {
        "title": "What changed",
        "meta": meta,
        "count": count,
        # Walked only when there is something to show (a first snapshot has no revisions).
        "changes": display(created=False) if count > created_count else [],
        "created": display(created=True),
        "created_count": created_count,
        "footer": page_footer(evidence, seq),
        "root": "",
    }
    return render_pieces("changes.html", context)


def _change_display(row: dict[str, Any], evidence: EvidenceAsOf) -> dict[str, Any]:
    page = None
    record_type = record_types.get(row["record_type"])
    if row["kind"] != "retracted" and record_type.pages:
        page = record_type.page_path(row["slug"])
    return {
        **row,
        "name": record_name(evidence, row["record_type"], row["slug"]),
        "type_name": RECORD_TYPE_NAMES.get(row["record_type"], row["record_type"]),
        "page": page,
        "fields": [
            {**f, "old": fmt.scalar_text(f["old"]), "new": fmt.scalar_text(f["new"])}
            for f in row["fields"]
        ],
        "versions": [
            {
                **v,
                "proposer": account(v["proposer"]),
                "approver": account(v["approver"]),
                "approved_at": fmt.readable_time(v["approved_at"]),
            }
            for v in row["versions"]
        ],
    }
