"""Where a number comes from: the ``source`` of an outcome, a value or a comparison, as six
small fields (``source__citation`` ...) that ``fields.nest`` turns into the document's
``source`` object, or null when all are blank."""

from __future__ import annotations

from django import forms

from evidence import documents as docs
from evidence.models import Citation

from .fields import RecordSelectField, choice_field, small_text

SOURCE_PARTS = ("citation", "registry", "registry_id", "pointer", "quote", "page")
SOURCE_FIELDS = tuple(f"source__{part}" for part in SOURCE_PARTS)


class SourceFields(forms.Form):
    """The source fields a form adds (declared on a form class so subclasses inherit them)."""

    source__citation = RecordSelectField(Citation, label_field="title", label="Source citation")
    source__registry = choice_field(docs.Source, "registry", label="Source registry")
    source__registry_id = small_text(13, "Source registry id", max_length=80)
    source__pointer = small_text(
        18, "Source JSON pointer", help_text="Into the registry record, e.g. /resultsSection/..."
    )
    source__quote = forms.CharField(
        required=False,
        strip=False,
        label="Source quote",
        widget=forms.Textarea(attrs={"rows": 1, "cols": 22}),
        help_text="The source's words, verbatim.",
    )
    source__page = small_text(4, "Source page")

    def has_source(self) -> bool:
        """Whether the source part shows anything (it starts open then, and on errors)."""
        if self.is_bound and any(name in self.errors for name in SOURCE_FIELDS):
            return True
        return any(self[name].value() not in (None, "") for name in SOURCE_FIELDS)

    def source_errors(self) -> list[str]:
        """The source fields' errors, each naming its field (rows that list errors by
        field show them too; the outcome row shows them only here)."""
        if not self.is_bound:
            return []
        return [
            f"{self.fields[name].label}: {error}"
            for name in SOURCE_FIELDS
            for error in self.errors.get(name, [])
        ]
