"""The "why" of every proposal (base version, rationale, supporting citations), and
``RationaleForms``: all there is to edit of a retraction, which proposes no document."""

from __future__ import annotations

from django import forms

from .error_summary import error_summary
from .fields import citations_field
from .placement import parse_path


class ProposalMetaForm(forms.Form):
    """Why the change is made, and what supports it."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    rationale = forms.CharField(
        label="Rationale (public)",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=(
            "Why this change is needed, and where it comes from. Published in the audit "
            "trail: readers of the published pages see it once the change is approved."
        ),
    )
    reviewer_note = forms.CharField(
        label="Note for reviewers",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="For reviewers only; never published. Leave it empty if there is nothing to add.",
    )
    citations = citations_field(label="Supporting citations")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            selected = self.data.getlist(self.add_prefix("citations"))
        else:
            selected = list(self.initial.get("citations") or [])
        self.fields["citations"].load_choices(selected)


def proposal_meta_form(
    data, base_version: int, rationale: str, citations, reviewer_note: str = ""
) -> ProposalMetaForm:
    """The "why" part every proposal form has: base version, rationale (public), the note
    for reviewers, citations."""
    return ProposalMetaForm(
        data,
        prefix="proposal",
        initial={
            "base_version": base_version,
            "rationale": rationale,
            "reviewer_note": reviewer_note,
            "citations": list(citations or []),
        },
    )


class ProposalMeta:
    """What every proposal's forms give besides the document: the version it is based on,
    the rationale and the citations (read from ``self.meta``, a ``ProposalMetaForm``)."""

    meta: ProposalMetaForm

    @property
    def base_version(self) -> int:
        return self.meta.cleaned_data["base_version"]

    @property
    def rationale(self) -> str:
        return self.meta.cleaned_data["rationale"]

    @property
    def reviewer_note(self) -> str:
        return self.meta.cleaned_data.get("reviewer_note") or ""

    @property
    def citations(self) -> list[str]:
        return list(self.meta.cleaned_data.get("citations") or [])


class RationaleForms(ProposalMeta):
    """The "why" of a retraction: a retraction proposes no document, so only the rationale
    and citations can be edited. Same interface as ``ProposalForms`` (``record`` is None)."""

    is_trial = False
    is_topic = False
    adding_rows = False
    record = None

    def __init__(
        self, *, base_version: int, data=None, rationale="", citations=None, reviewer_note=""
    ):
        self.is_bound = data is not None
        self.errors_without_field: list[str] = []
        self.meta = proposal_meta_form(data, base_version, rationale, citations, reviewer_note)

    def all_forms(self) -> list[forms.Form]:
        return [self.meta]

    def is_valid(self) -> bool:
        return self.meta.is_valid() and not self.errors_without_field

    def to_document(self) -> None:
        return None

    def add_errors(self, errors: list[dict[str, str]]) -> None:
        for error in errors:
            path, message = error.get("path") or "", error.get("message") or ""
            field = parse_path(path)[:1]
            if field in (["rationale"], ["citations"], ["reviewer_note"]):
                self.meta.add_error(field[0], message)
            else:
                self.errors_without_field.append(f"{path or 'request'}: {message}")

    def non_field_errors(self) -> list[str]:
        return list(self.errors_without_field)

    def add_document_errors(self, check) -> None:
        """A retraction proposes no document: nothing more to check."""

    def error_summary(self):
        """Every error of the page, with the id of its field, for the list at the top."""
        return error_summary(self)
