"""Importing a ClinicalTrials.gov study as a change request: the one service the command, the
API and the admin call.

Only editors import (the policy of ``services.propose``, checked before anything is fetched).
The study comes as a file's bytes, a parsed JSON body, or an NCT id fetched from the registry.
A study whose NCT id is already a trial's registry id is proposed as a revision of that trial
with only what the registry changed (``reimport``); otherwise as a new trial. The change
request is a draft owned by the importer (``submit=True`` submits it at once), linked to the
stored source document with the group mapping and the warnings for the reviewer. Any refusal
writes nothing.

The admin imports in two steps: ``stage_ctgov_study`` stores the uploaded study, and
``groups_to_map`` says which results groups the importer must map before
``import_ctgov_study(staged=<sha256>, group_map=...)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evidence.diff import labelled_changes
from evidence.documents import DocumentInvalid, validate_document

from ..errors import NotFound, ValidationFailed
from ..models import SourceDocument
from ..services.policy import propose_refusal
from ..services.proposals import proposal
from . import ctgov, fetch, reimport, sources, study_writes
from .errors import NotAStudy, UnmappedGroups
from .study_reads import StudyReads
from .study_writes import ImportResult, PreparedImport

REGISTRY = "NCT"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_LISTED_CHANGES = 60


def stage_ctgov_study(*, user, raw: bytes | str, label: str) -> SourceDocument:
    """Store an uploaded study before its import, for an import in two steps (the admin's:
    upload, then say which arm each results group is). Only editors; only v2 studies."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    study = sources.parse_json(raw, label)
    nct = ctgov.study_id(study, label)
    return sources.store(
        study,
        registry=REGISTRY,
        registry_id=nct,
        last_updated=ctgov.last_update(study),
        origin=label,
    )


def groups_to_map(staged: str) -> UnmappedGroups | None:
    """What the importer must still say about a staged study's results groups (its
    ``groups`` and ``arms``), or None when every group matches an arm by title."""
    try:
        ctgov.map_study(sources.document_of(_staged(staged)))
    except UnmappedGroups as exc:
        return exc
    return None


def _staged(sha256: Any) -> SourceDocument:
    source = None
    if isinstance(sha256, str) and SHA256.match(sha256):
        source = SourceDocument.objects.filter(sha256=sha256).first()
    if source is None:
        raise NotFound(f"no stored study with sha256 {str(sha256)[:64]!r}")
    return source


def import_ctgov_study(**study_input) -> ImportResult:
    """Import one study: ``raw`` (a file's bytes), ``study`` (parsed JSON), ``nct_id``
    (fetched) or ``staged`` (the sha256 of a study ``stage_ctgov_study`` stored). ``label``
    names the input in errors (a file name). ``group_map``: results group title or id -> arm
    key, ``new:KEY`` or ``-`` (see ``ctgov.resolve_groups``)."""
    return study_writes.write(prepare_ctgov_study(**study_input))


def prepare_ctgov_study(
    *,
    user,
    raw: bytes | str | None = None,
    study: Any = None,
    nct_id: str | None = None,
    staged: str | None = None,
    label: str | None = None,
    group_map: Mapping[str, str] | None = None,
    submit: bool = False,
    remember: bool = True,
    reads: StudyReads | None = None,
) -> PreparedImport:
    """``import_ctgov_study`` up to its writes: every check, the mapping and the validation;
    refused as it refuses. ``remember=False``: the validated document is not cached;
    ``reads``: what a batch read for a whole chunk of studies (``StudyReads.prefetched``)."""
    if (refused := propose_refusal(user)) is not None:
        raise refused
    group_map = _checked_group_map(group_map)
    inputs = (("raw", raw), ("study", study), ("nct_id", nct_id), ("staged", staged))
    if len([name for name, value in inputs if value is not None]) != 1:
        raise ValidationFailed([{"path": "", "message": "give one study document or one NCT id"}])
    if staged is not None:
        source = _staged(staged)
        study, label, origin = sources.document_of(source), source.fetched_from, source.fetched_from
    elif nct_id is not None:
        study, label, origin = _fetched(nct_id)
    elif raw is not None:
        label = label or "the uploaded file"
        study, origin = sources.parse_json(raw, label), label
    else:
        label = label or "the request body"
        sources.check_size(sources.canonical(study), label)
        origin = label
    nct = ctgov.study_id(study, label)
    if nct_id is not None and nct != nct_id.strip().upper():
        raise NotAStudy(
            [{"path": "/protocolSection/identificationModule/nctId", "message": f"is {nct}"}],
            f"{label}: the registry answered with study {nct}, not {nct_id.strip().upper()}",
        )
    if nct not in label:
        label = f"{label} ({nct})"
    reads = reads or StudyReads()
    current = reads.trial_with_registry_id(nct)
    given = (user, study, nct, label, origin, group_map, submit, remember, reads)
    if current is None:
        return _create(*given)
    return _revise(current, *given)


def _fetched(nct_id: Any) -> tuple[Any, str, str]:
    if not isinstance(nct_id, str) or not ctgov.NCT_ID.match(nct_id.strip().upper()):
        raise ValidationFailed(
            [
                {
                    "path": "nct_id",
                    "message": f"{str(nct_id)[:40]!r} is not an NCT id (NCT + 8 digits)",
                }
            ]
        )
    nct_id = nct_id.strip().upper()
    url = fetch.ctgov_study_url(nct_id)
    label = f"ClinicalTrials.gov study {nct_id}"
    raw = fetch.fetch(url, what=label)
    return sources.parse_json(raw, label), label, url


def _checked_group_map(group_map: Any) -> dict[str, str]:
    if group_map is None:
        return {}
    if not isinstance(group_map, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in group_map.items()
    ):
        raise ValidationFailed(
            [{"path": "group_map", "message": "map group titles or ids to arm keys (text to text)"}]
        )
    return {k.strip(): v.strip() for k, v in group_map.items()}


def _canonical(document: dict[str, Any], label: str) -> dict[str, Any]:
    """The mapped document in canonical form, or the validation errors naming the record."""
    try:
        return validate_document("trial", document)
    except DocumentInvalid as exc:
        raise ValidationFailed(
            [
                {
                    "path": f"document.{e['path']}" if e["path"] else "document",
                    "message": e["message"],
                }
                for e in exc.errors
            ],
            f"{label}: the imported trial is not valid",
        ) from None


def _create(user, study, nct, label, origin, group_map, submit, remember, reads) -> PreparedImport:
    mapped = ctgov.map_study(
        study, group_map=group_map, citations_by_pmid=reads.citations_by_pmid(study), label=label
    )
    slug = mapped.document["slug"]
    if reads.slug_taken("trial", slug):
        raise ValidationFailed(
            [
                {
                    "path": "document.slug",
                    "message": f"a trial with slug {slug!r} exists (or existed) without "
                    f"registry id {nct}",
                }
            ],
            f"{label}: add {nct} to that trial's registry ids to update it from the registry",
        )
    lines = [f"Imported from ClinicalTrials.gov {nct}" + _updated(mapped.last_updated) + "."]
    # Validated once, by ``propose`` (a trial document is the import's costliest check).
    try:
        return _prepare(
            user,
            mapped,
            study,
            origin,
            group_map,
            submit,
            lines,
            [],
            action="create",
            document=mapped.document,
            remember=remember,
            slug_taken=reads.slug_taken,
        )
    except ValidationFailed as exc:
        if not any(e.get("path", "").startswith("document") for e in exc.errors):
            raise
        raise ValidationFailed(exc.errors, f"{label}: the imported trial is not valid") from None


def _revise(
    current, user, study, nct, label, origin, group_map, submit, remember, reads
) -> PreparedImport:
    cited = reads.citations_by_pmid(study)
    mapped = ctgov.map_study(
        study,
        group_map=group_map,
        existing=current.document,
        citations_by_pmid=cited,
        label=label,
    )
    now = _canonical(mapped.document, label)
    previous = sources.last_approved_import("trial", current.id, REGISTRY)
    if previous is not None and (mapped.last_updated or "") < previous.source.last_updated:
        raise ValidationFailed(
            [
                {
                    "path": "/protocolSection/statusModule/lastUpdatePostDateStruct",
                    "message": (
                        f"updated {mapped.last_updated or '(no date)'}, before the last import's "
                        f"{previous.source.last_updated}"
                    ),
                }
            ],
            f"{label}: an older version of {nct} than the one trial {current.slug} was last "
            f"imported from (change request {previous.change_request_id}); nothing proposed",
        )
    before = _previous_mapping(previous, current.document, label)
    changes = reimport.registry_changes(before, now)
    document = reimport.apply_changes(current.document, changes, now)
    if document == current.document or not changes:
        raise ValidationFailed(
            [
                {
                    "path": "document",
                    "message": "the registry says nothing the trial does not already hold",
                }
            ],
            f"{label}: trial {current.slug} is up to date with ClinicalTrials.gov {nct}"
            + _updated(mapped.last_updated),
        )
    if previous is not None:
        lines = [
            f"Re-imported from ClinicalTrials.gov {nct}"
            + _updated(mapped.last_updated)
            + f"; last imported in change request {previous.change_request_id}"
            + _updated(previous.source.last_updated)
            + ".",
            "The registry changed:",
        ]
    else:
        lines = [
            f"First import of ClinicalTrials.gov {nct}"
            + _updated(mapped.last_updated)
            + f" into trial {current.slug}, which was made by hand; the registry says:",
        ]
    described = labelled_changes(before or {}, now, changes=changes)
    lines += [
        f"- {c['label']}: {_short(c['old'])} → {_short(c['new'])}"
        for c in described[:MAX_LISTED_CHANGES]
    ]
    if len(described) > MAX_LISTED_CHANGES:
        lines.append(f"- ... and {len(described) - MAX_LISTED_CHANGES} more (see the diff)")
    return _prepare(
        user,
        mapped,
        study,
        origin,
        group_map,
        submit,
        lines,
        changes,
        action="revise",
        document=document,
        record=current.slug,
        base_version=current.version,
        remember=remember,
    )


def _previous_mapping(previous, current_document, label) -> dict[str, Any] | None:
    """The previous import mapped as now (same rules, same keys); None if there is none."""
    if previous is None:
        return None
    study = sources.document_of(previous.source)
    try:
        mapped = ctgov.map_study(
            study,
            group_map=previous.group_map,
            existing=current_document,
            citations_by_pmid=StudyReads().citations_by_pmid(study),
            label=label,
        )
        return validate_document("trial", mapped.document)
    except (UnmappedGroups, NotAStudy, ValidationFailed, DocumentInvalid):
        return None  # mapped differently then; the registry's fields are proposed in full


def _prepare(
    user, mapped, study, origin, group_map, submit, lines, changes, **proposed
) -> PreparedImport:
    if mapped.warnings:
        lines += ["", f"For the reviewer ({len(mapped.warnings)} warnings):"]
        lines += [f"- {w['message']} ({w['path']})" for w in mapped.warnings[:MAX_LISTED_CHANGES]]
        if len(mapped.warnings) > MAX_LISTED_CHANGES:
            lines.append(f"- ... and {len(mapped.warnings) - MAX_LISTED_CHANGES} more")
    source = sources.Source.of(
        study,
        registry=REGISTRY,
        registry_id=mapped.nct_id,
        last_updated=mapped.last_updated,
        origin=origin,
    )
    lines.append(f"Source document: sha256 {source.sha256}.")
    cr = proposal(
        user=user,
        record_type="trial",
        rationale="\n".join(lines),
        submit=submit,
        **proposed,
    )
    return PreparedImport(cr, source, group_map, mapped.warnings, changes, user, submit)


def _updated(date: str | None) -> str:
    return f" (updated {date})" if date else ""


def _short(value: Any) -> str:
    text = "(none)" if value is None else str(value)
    return text if len(text) <= 120 else text[:117] + "..."
