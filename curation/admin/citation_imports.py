"""Importing references in the admin: a reference file (PubMed XML, RIS, BibTeX, CSL-JSON) or
PMIDs and DOIs to fetch, one citation change request per reference; or a file of many
references as a batch a worker imports, with its progress page (``curation.admin.batches``).
A thin caller of ``curation.imports.citation_services`` and ``batches``, like the command and
the API: the page shows each reference's outcome (its change request, up to date, or why not).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from curation import services
from curation.errors import CurationError
from curation.imports.batches import start_batch
from curation.imports.citation_formats import FORMATS
from curation.imports.citation_services import import_citations

from .guards import refused

TEMPLATE = "admin/curation/import_citations.html"
FORMAT_NAMES = {
    "pubmed": "PubMed XML",
    "ris": "RIS",
    "bibtex": "BibTeX",
    "csl": "CSL-JSON (Crossref)",
}
MAX_IDENTIFIERS = 200
SEPARATORS = re.compile(r"[\s,;]+")


def import_citations_view(request, admin_site):
    reason = services.propose_refusal(request.user)
    if reason:
        return refused(request, reason)
    context = {
        **admin_site.each_context(request),
        "title": "Import references as citations",
        "formats": [(name, FORMAT_NAMES[name]) for name in FORMATS],
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "batch_max_bytes": settings.IMPORT_BATCH_MAX_BYTES,
        "max_identifiers": MAX_IDENTIFIERS,
    }
    if request.method != "POST":
        return TemplateResponse(request, TEMPLATE, context)
    upload = request.FILES.get("references")
    identifiers = [i for i in SEPARATORS.split(request.POST.get("identifiers", "")) if i]
    fmt = request.POST.get("format") or None
    submit = request.POST.get("submit_now") == "on"
    as_batch = request.POST.get("as_batch") == "on"
    context.update(
        submit_now=submit,
        as_batch=as_batch,
        chosen_format=fmt or "",
        identifiers_text=request.POST.get("identifiers", "")[:5000],
    )
    problem, status = _input_problem(upload, identifiers, fmt, as_batch)
    if problem:
        context["error"] = problem
        return TemplateResponse(request, TEMPLATE, context, status=status)
    try:
        if upload is not None and (as_batch or upload.size > settings.IMPORT_MAX_BYTES):
            batch = start_batch(
                user=request.user,
                kind="citations",
                raw=upload.read(),
                filename=upload.name,
                submit=submit,
                fmt=fmt,
            )
            messages.success(
                request,
                f"Batch {batch.pk}: {batch.total} references, imported by a worker, one change "
                "request each. This page shows its progress.",
            )
            return HttpResponseRedirect(
                reverse("admin:curation_importbatch_change", args=[batch.pk])
            )
        if upload is not None:
            outcomes = import_citations(
                user=request.user, raw=upload.read(), label=upload.name, fmt=fmt, submit=submit
            )
        else:
            outcomes = import_citations(user=request.user, identifiers=identifiers, submit=submit)
    except CurationError as exc:
        context["error"] = f"{exc.message}. Nothing was imported."
        return TemplateResponse(request, TEMPLATE, context, status=exc.http_status)
    made = [o for o in outcomes if o.change_request is not None]
    context["outcomes"] = [
        {
            "where": o.where,
            "change_request": o.change_request,
            "url": reverse("admin:curation_changerequest_change", args=[o.change_request.pk])
            if o.change_request is not None
            else "",
            "up_to_date": o.up_to_date,
            "error": o.error,
        }
        for o in outcomes
    ]
    context["made"] = len(made)
    # Nothing made and something refused: the input was bad, as the API says with a 400.
    status = 400 if not made and any(o.error for o in outcomes) else 200
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _input_problem(upload, identifiers, fmt, as_batch) -> tuple[str, int]:
    """What is wrong with the form before any service is asked, and its status."""
    if (upload is None) == (not identifiers):
        return "Choose a reference file or type PMIDs or DOIs (one of the two).", 400
    if fmt is not None and fmt not in FORMATS:
        return f"Choose the file's format among {', '.join(FORMATS)}, or let it be guessed.", 400
    if upload is None:
        if as_batch:
            return "A batch is a reference file; PMIDs and DOIs are imported at once.", 400
        if len(identifiers) > MAX_IDENTIFIERS:
            return f"At most {MAX_IDENTIFIERS} PMIDs and DOIs at once.", 400
        return "", 200
    if upload.size > settings.IMPORT_BATCH_MAX_BYTES:
        return (
            f"{upload.name} is {upload.size} bytes, over the limit of "
            f"{settings.IMPORT_BATCH_MAX_BYTES} bytes. Nothing was imported.",
            413,
        )
    return "", 200
