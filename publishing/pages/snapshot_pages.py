"""Pages of one snapshot as a whole: the index and what changed since the previous snapshot."""

from __future__ import annotations

from typing import Any

from evidence.diff import labelled_changes
from evidence.documents import record_types

from .. import formatting as fmt
from .. import trial_facts as facts
from ..selectors import EvidenceAsOf, RecordChange
from ..templating import render
from .contexts import account, page_footer

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
    context = {
        "title": "Published evidence",
        "topics": [
            {"slug": t.slug, "title": t.document["title"], "condition": t.document["condition"]}
            for t in evidence.records["topic"].values()
        ],
        "trials": [
            {
                "slug": t.slug,
                "name": t.document["name"],
                "setting": facts.setting_text(t.document),
            }
            for t in evidence.records["trial"].values()
        ],
        "changes_count": changes_count,
        "footer": page_footer(evidence, seq),
        "root": "",
    }
    return render("index.html", context)


def change_rows(changes: list[RecordChange]) -> list[dict[str, Any]]:
    rows = []
    for change in changes:
        fields = (
            labelled_changes(change.old_document, change.new_document)
            if change.kind == "revised"
            else []
        )
        rows.append(
            {
                "record_type": change.record_type,
                "slug": change.slug,
                "kind": change.kind,
                "from_version": change.from_version,
                "to_version": change.to_version,
                "versions": [v.as_dict() for v in change.versions],
                "fields": fields,
            }
        )
    return rows


def changes_page(rows: list[dict[str, Any]], meta: dict[str, Any], evidence, seq: int) -> bytes:
    display = []
    for row in rows:
        page = None
        record_type = record_types.get(row["record_type"])
        if row["kind"] != "retracted" and record_type.pages:
            page = record_type.page_path(row["slug"])
        display.append(
            {
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
        )
    # New records can number thousands (the first snapshot): one compact table row each;
    # changes get the detailed view.
    created = [c for c in display if c["kind"] == "created"]
    context = {
        "title": "What changed",
        "meta": meta,
        "count": len(display),
        "changes": [c for c in display if c["kind"] != "created"],
        "created": created,
        "footer": page_footer(evidence, seq),
        "root": "",
    }
    return render("changes.html", context)
