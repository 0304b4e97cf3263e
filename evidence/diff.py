"""Field-level diffs and three-way merges of record documents.

A document is flattened into ``path -> leaf value``. Lists of items that carry a ``key``
(arms, outcomes, values, comparisons, findings, sections, ...) are followed by key rather
than by index, so a change to one arm stays a change to that arm even when arms are
reordered or added: ``arms[key=len].n``. The order of such a list is itself a leaf
(``arms[]``), so reordering shows as its own change. Lists of scalars (citations, authors)
are leaves. Per-arm values are keyed by their ``arm``.
"""

from __future__ import annotations

import copy
from typing import Any

_MISSING = object()
# List items identified by a field other than "key".
_ITEM_ID_FIELDS = ("key", "arm")


def _item_id(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for field in _ITEM_ID_FIELDS:
        value = item.get(field)
        if isinstance(value, str):
            return f"{field}={value}"
    return None


def _is_keyed_list(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    ids = [_item_id(item) for item in value]
    return all(ids) and len(set(ids)) == len(ids)


def flatten(document: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}

    def walk_dict(prefix: str, value: dict) -> None:
        for name, child in value.items():
            path = prefix + name
            if isinstance(child, dict):
                walk_dict(path + ".", child)
            elif isinstance(child, list) and child:
                walk_list(path, child)
            else:
                flat[path] = child

    def walk_list(path: str, value: list) -> None:
        # A keyed list (``_is_keyed_list``), with each item's id worked out once.
        ids = [_item_id(item) for item in value]
        if all(ids) and len(set(ids)) == len(ids):
            flat[path + "[]"] = ids
            for item_id, item in zip(ids, value, strict=True):
                walk_dict(f"{path}[{item_id}].", item)
        else:
            flat[path] = value

    if isinstance(document, dict):
        walk_dict("", document)
    elif isinstance(document, list) and document:
        walk_list("", document)
    else:
        flat[""] = document
    return flat


def diff_documents(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Changed leaves between two documents: [{path, old, new}], in document order.

    Top-level fields equal in both are not flattened: they change nothing (equal values
    flatten to the same paths and equal leaves), and when no top-level name holds "." or
    "[", every path starts with its field's name, so no other field's path can be one of
    theirs. The result is ``_flat_diff``'s, which any other pair goes through."""
    old, new = old or {}, new or {}
    if not (isinstance(old, dict) and isinstance(new, dict) and _plain_names(old, new)):
        return _flat_diff(old, new)
    differing = {name for name, value in new.items() if name not in old or old[name] != value}
    differing.update(name for name in old if name not in new)
    if len(differing) == len(new.keys() | old.keys()):
        return _flat_diff(old, new)
    return _flat_diff(
        {name: value for name, value in old.items() if name in differing},
        {name: value for name, value in new.items() if name in differing},
    )


def _plain_names(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether every top-level name of both is text without "." or "[" (each name once, and
    searched in one string)."""
    try:
        names = "\n".join(old.keys() | new.keys())
    except TypeError:  # a name that is not text
        return False
    return "." not in names and "[" not in names


def _flat_diff(old: Any, new: Any) -> list[dict[str, Any]]:
    """``diff_documents`` by flattening both documents whole."""
    before = flatten(old)
    after = flatten(new)
    changes = []
    for path in list(after) + [p for p in before if p not in after]:
        old_value = before.get(path, None)
        new_value = after.get(path, None)
        if path not in before or path not in after or old_value != new_value:
            if old_value == new_value:
                continue
            changes.append({"path": path, "old": old_value, "new": new_value})
    return changes


def changed_paths(old: dict[str, Any] | None, new: dict[str, Any] | None) -> set[str]:
    return {change["path"] for change in diff_documents(old, new)}


class MergeConflict(Exception):
    def __init__(self, paths: list[str]):
        self.paths = paths
        super().__init__("both versions change: " + ", ".join(paths))


def _overlaps(a: str, b: str) -> bool:
    """Whether two changed paths touch the same data (one contains the other)."""
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return longer.startswith(shorter) and longer[len(shorter)] in ".["


def three_way_merge(
    base: dict[str, Any], theirs: dict[str, Any], mine: dict[str, Any]
) -> dict[str, Any]:
    """Apply the changes ``mine`` made to ``base`` onto ``theirs``.

    ``theirs`` is what was approved meanwhile. Raises MergeConflict naming the colliding
    paths when both sides changed the same field (or one changed a field inside an item the
    other added, removed or reordered).
    """
    my_changes = diff_documents(base, mine)
    their_paths = changed_paths(base, theirs)
    conflicts = sorted(
        {
            change["path"]
            for change in my_changes
            for theirs_path in their_paths
            if _overlaps(change["path"], theirs_path)
        }
    )
    # Two edits of the same leaf to the same value agree; they are not a conflict.
    mine_flat, theirs_flat = flatten(mine), flatten(theirs)
    conflicts = [p for p in conflicts if mine_flat.get(p, _MISSING) != theirs_flat.get(p, _MISSING)]
    if conflicts:
        raise MergeConflict(conflicts)
    merged = flatten(theirs)
    mine_flat = flatten(mine)
    for change in my_changes:
        path = change["path"]
        if path in mine_flat:
            merged[path] = mine_flat[path]
        else:
            merged.pop(path, None)
            # A removed item takes its fields with it.
            for other in [p for p in merged if _overlaps(path, p) and p != path]:
                merged.pop(other)
    return unflatten(merged, template=mine)


def unflatten(flat: dict[str, Any], template: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rebuild a document from ``flatten`` output."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        _insert(tree, _split(path), copy.deepcopy(value))
    return _materialise(tree)


def _split(path: str) -> list[str]:
    """'outcomes[key=pfs].values[arm=a].value' -> ['outcomes', '[key=pfs]', 'values', ...]."""
    parts: list[str] = []
    token = ""
    i = 0
    while i < len(path):
        char = path[i]
        if char == ".":
            if token:
                parts.append(token)
            token = ""
        elif char == "[":
            if token:
                parts.append(token)
            end = path.index("]", i)
            parts.append(path[i : end + 1])
            token = ""
            i = end
        else:
            token += char
        i += 1
    if token:
        parts.append(token)
    return parts


_ORDER = "__order__"


def _insert(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    node = tree
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "[]":
            node[_ORDER] = value
            return
        if last:
            node[part] = value
            return
        node = node.setdefault(part, {})


def _materialise(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if _ORDER in node:
        order = node[_ORDER]
        return [_materialise(node[f"[{item_id}]"]) for item_id in order if f"[{item_id}]" in node]
    return {name: _materialise(child) for name, child in node.items()}


def describe_path(path: str, document: dict[str, Any] | None) -> str:
    """A reader's label for a diff path: item keys replaced by their labels.

    'outcomes[key=pfs].values[arm=len].value' -> 'outcomes "Progression-free survival" /
    values "Lenalidomide" / value', using labels from ``document``.
    """
    labels: list[str] = []
    node: Any = document or {}
    arms = {a.get("key"): a.get("label") for a in (document or {}).get("arms", []) or []}
    for part in _split(path):
        if part == "[]":
            labels.append("(order)")
            continue
        if part.startswith("[") and part.endswith("]"):
            field, _, ident = part[1:-1].partition("=")
            item = None
            if isinstance(node, list):
                item = next(
                    (x for x in node if isinstance(x, dict) and x.get(field) == ident), None
                )
            name = (arms.get(ident) if field == "arm" else _item_label(item)) or ident
            labels[-1] = f"{labels[-1]} “{name}”" if labels else name
            node = item or {}
            continue
        labels.append(part.replace("_", " "))
        node = node.get(part) if isinstance(node, dict) else None
    return " › ".join(labels)


def labelled_changes(
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    *,
    changes: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new`` for people: [{path, label, old, new}] in document
    order, each path described (``describe_path``) with the labels of ``new`` (of ``old``
    when the record is gone). ``changes``: the diff when it is already known (an event
    stores its own), labelled the same way; ``old`` is then not needed.

    The admin's review page and History, the API and the published changelog all list
    changes this way; each only formats the values its own way.
    """
    document = new or old
    if changes is None:
        changes = diff_documents(old, new)
    return [
        {
            "path": change["path"],
            "label": describe_path(change["path"], document),
            "old": change["old"],
            "new": change["new"],
        }
        for change in changes
    ]


def _item_label(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for field in ("label", "title", "heading", "name", "statement", "text"):
        value = item.get(field)
        if isinstance(value, str) and value:
            return value if len(value) <= 60 else value[:57] + "…"
    return None
