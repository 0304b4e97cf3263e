"""Importing a ClinicalTrials.gov study in the admin: upload the study file; if a results
group's title matches no arm (or several), say which arm each is; then the change request's
review page. A thin caller of ``curation.imports.services``, like the command and the API.

A batch file (a JSON array or a zip of studies) starts a batch instead
(``curation.imports.batches``) and leads to its progress page (``curation.admin.batches``).

The uploaded study is stored (content-addressed, ``stage_ctgov_study``) before the mapping
step, so the second step names it by its sha256 instead of sending the file again.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from curation import services
from curation.errors import CurationError
from curation.imports import ctgov
from curation.imports.batch_files import is_study_batch
from curation.imports.batches import start_batch
from curation.imports.errors import UnmappedGroups
from curation.imports.services import groups_to_map, import_ctgov_study, stage_ctgov_study

from .guards import refused

TEMPLATE = "admin/curation/import_ctgov.html"
NEW_ARM, LEAVE_OUT = "__new__", "__leave_out__"


def import_ctgov_view(request, admin_site):
    reason = services.propose_refusal(request.user)
    if reason:
        return refused(request, reason)
    context = {
        **admin_site.each_context(request),
        "title": "Import a study from ClinicalTrials.gov",
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "batch_max_bytes": settings.IMPORT_BATCH_MAX_BYTES,
        "NEW_ARM": NEW_ARM,
        "LEAVE_OUT": LEAVE_OUT,
    }
    if request.method != "POST":
        return TemplateResponse(request, TEMPLATE, context)
    submit = request.POST.get("submit_now") == "on"
    context["submit_now"] = submit
    staged = request.POST.get("staged")
    try:
        if staged:
            group_map = _group_map(request.POST)
            context["chosen"] = group_map
            result = import_ctgov_study(
                user=request.user, staged=staged, group_map=group_map, submit=submit
            )
        else:
            upload = request.FILES.get("study")
            if upload is None:
                context["error"] = "Choose a study file (ClinicalTrials.gov API v2 JSON)."
                return TemplateResponse(request, TEMPLATE, context, status=400)
            # A batch file may be larger than one study; one study is held to its own limit.
            if upload.size > settings.IMPORT_BATCH_MAX_BYTES:
                context["error"] = (
                    f"{upload.name} is {upload.size} bytes, over the limit of "
                    f"{settings.IMPORT_BATCH_MAX_BYTES} bytes. Nothing was imported."
                )
                return TemplateResponse(request, TEMPLATE, context, status=413)
            raw = upload.read()
            if is_study_batch(raw[:4096]):
                batch = start_batch(
                    user=request.user, kind="ctgov", raw=raw, filename=upload.name, submit=submit
                )
                messages.success(
                    request,
                    f"Batch {batch.pk}: {batch.total} studies, imported by a worker, one change "
                    "request each. This page shows its progress.",
                )
                return HttpResponseRedirect(
                    reverse("admin:curation_importbatch_change", args=[batch.pk])
                )
            try:
                result = import_ctgov_study(
                    user=request.user, raw=raw, label=upload.name, submit=submit
                )
            except UnmappedGroups as exc:
                staged = stage_ctgov_study(user=request.user, raw=raw, label=upload.name).sha256
                return _mapping_step(request, context, staged, exc, status=200)
    except CurationError as exc:
        context["error"] = exc.message
        # The mapping step again, with every group to map (not only those still wrong).
        if staged and (pending := _pending(staged)) is not None:
            return _mapping_step(request, context, staged, pending, status=exc.http_status)
        return TemplateResponse(request, TEMPLATE, context, status=exc.http_status)
    cr = result.change_request
    messages.success(
        request,
        f"Imported as {cr} ({cr.get_status_display().lower()}), with "
        f"{len(result.warnings)} warnings for the reviewer in its rationale.",
    )
    return HttpResponseRedirect(reverse("admin:curation_changerequest_change", args=[cr.pk]))


def _pending(staged: str) -> UnmappedGroups | None:
    try:
        return groups_to_map(staged)
    except CurationError:
        return None


def _mapping_step(request, context, staged, unmapped: UnmappedGroups, status: int):
    chosen = context.get("chosen", {})
    context.update(
        staged=staged,
        arms=unmapped.arms,
        groups=[
            {
                **group,
                "index": i,
                "chosen": chosen.get(group["title"])
                or (group["suggestions"][0] if group["suggestions"] else ""),
            }
            for i, group in enumerate(unmapped.groups)
        ],
    )
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _group_map(post) -> dict[str, str]:
    """The mapping step's choices: group title -> arm key, new:KEY or - (see ctgov)."""
    group_map = {}
    for i in range(200):
        title = post.get(f"title_{i}")
        if title is None:
            break
        choice = post.get(f"arm_{i}", "")
        if choice == NEW_ARM:
            choice = ctgov.NEW_ARM + post.get(f"new_{i}", "").strip()
        elif choice == LEAVE_OUT:
            choice = ctgov.SKIP
        if title and choice:
            group_map[title] = choice
    return group_map
