"""Putting the document validator's errors on the form fields that hold the values.

An error names a path such as ``document.outcomes[2].values[0].ci_low`` or
``document.sections[0].trials[2]``; ``ErrorPlacement.add_errors`` finds the form (through
the maps ``DocumentAssembly`` filled while building the document) and its field. An error
no field holds is shown above the form, naming its path.
"""

from __future__ import annotations

import re

from django import forms

_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """'outcomes[2].values[0].ci_low' -> ['outcomes', 2, 'values', 0, 'ci_low']."""
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


# Lists of keyed items a validator path can start with, by record type.
ITEM_LISTS = {
    "trial": ("arms", "outcomes", "conduct_notes", "findings"),
    "topic": ("sections", "findings"),
}


class ErrorPlacement:
    """Mixed into ``ProposalForms``: the service's errors ({path, message}) on its fields."""

    def add_errors(self, errors: list[dict[str, str]], *, beside_form_errors=False) -> None:
        """Put each service error ({path, message}) on the field that holds the value.

        ``beside_form_errors``: the document was assembled from forms that already have
        errors (so that every error shows in one round); a field that has its own error
        keeps only that one, and an error no field holds is dropped (the field's own error
        says what to fix first)."""
        self._taken = (
            {(id(form), name) for form in self.all_forms() for name in form.errors}
            if beside_form_errors
            else None
        )
        for error in errors:
            path, message = error.get("path") or "", error.get("message") or ""
            if not self._place(path, message) and self._taken is None:
                self.errors_without_field.append(f"{path or 'document'}: {message}")

    def _place(self, path: str, message: str) -> bool:
        parts = parse_path(path)
        if parts[:1] in (["rationale"], ["citations"], ["reviewer_note"]):
            self._add_error(self.meta, parts[0], message)
            return True
        if parts[:1] != ["document"] or len(parts) < 2:
            return False
        parts = parts[1:]
        name = _field_name(self.record, [p for p in parts if isinstance(p, str)])
        if name is not None and not self.record.fields[name].disabled:
            self._add_error(self.record, name, _with_item(parts, message))
            return True
        top = parts[0]
        is_item = len(parts) >= 2 and isinstance(parts[1], int)
        item_at = getattr(self, "item_at", {}).get(top, {})
        if not (is_item and top in ITEM_LISTS.get(self.record_type, ()) and parts[1] in item_at):
            return self._on_record_field(parts, message)
        i, rest = parts[1], parts[2:]
        if top == "arms" and rest[:1] == ["regimen"] and (i, *rest[1:2]) in self.regimen_at:
            return self._on_form(self.regimen_at[(i, rest[1])], rest[2:], path, message)
        if top == "outcomes":
            if rest[:1] == ["values"] and len(rest) >= 2 and (i, rest[1]) in self.cell_at:
                return self._on_form(self.cell_at[(i, rest[1])], rest[2:], path, message)
            if (
                rest[:1] == ["comparisons"]
                and len(rest) >= 2
                and (i, rest[1]) in self.comparison_at
            ):
                return self._on_form(self.comparison_at[(i, rest[1])], rest[2:], path, message)
        return self._on_form(item_at[i], rest, path, message)

    def _on_form(self, form: forms.Form, rest: list[str | int], path: str, message: str) -> bool:
        """Put an error on ``form``: on the field ``rest`` names (``["trials", 2]``: that
        field, naming item 3; ``["source", "page"]``: ``source__page``), or above the form's
        fields, naming the path."""
        names = [part for part in rest if isinstance(part, str)]
        field = _field_name(form, names) if all(isinstance(p, str) for p in rest) else None
        listed = len(rest) == 2 and isinstance(rest[0], str) and isinstance(rest[1], int)
        if field is not None:
            self._add_error(form, field, message)
        elif listed and rest[0] in form.fields:
            self._add_error(form, rest[0], f"item {rest[1] + 1}: {message}")
        else:
            self._add_error(form, None, f"{path}: {message}")
        return True

    def _add_error(self, form: forms.Form, field: str | None, message: str) -> None:
        taken = getattr(self, "_taken", None)
        if taken is not None:
            # Beside the forms' own errors: only errors on fields without one, and errors of
            # a whole row only where no field of the row has one.
            if (id(form), field or "__all__") in taken:
                return
            if field is None and any(form_id == id(form) for form_id, _ in taken):
                return
        form.add_error(field, message)

    def _on_record_field(self, parts, message) -> bool:
        name = str(parts[0])
        if name in self.record.fields and not self.record.fields[name].disabled:
            self._add_error(self.record, name, _with_item(parts, message))
            return True
        return False

    def non_field_errors(self) -> list[str]:
        return list(self.errors_without_field)


def _field_name(form: forms.Form, names: list[str]) -> str | None:
    """The form field that holds the document field ``names`` (``["source", "page"]``:
    ``source__page``); for a whole nested object (``["source"]``, ``["dates", "start"]``),
    its first field."""
    name = "__".join(names)
    if not name:
        return None
    if name in form.fields:
        return name
    return next((field for field in form.fields if field.startswith(f"{name}__")), None)


def _with_item(parts: list[str | int], message: str) -> str:
    indexes = [p for p in parts if isinstance(p, int)]
    return f"item {indexes[0] + 1}: {message}" if indexes else message
