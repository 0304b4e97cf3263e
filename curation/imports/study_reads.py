"""What importing a study reads from the database: the trial that already has its NCT id, the
citation records of its references (by PMID), and whether its slug was ever a trial's.

``StudyReads()`` asks for each study when asked; ``StudyReads.prefetched(studies)`` asks once
for a whole chunk of a batch (three queries, not three per study) and answers each study as
the queries of its own would have, in the same order.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from evidence import models as ev

from .. import selectors
from ..errors import ValidationFailed
from ..models import Event
from . import ctgov

REGISTRY = "NCT"


def _pmids(study: Any) -> list[str]:
    references = ctgov.get(study, "protocolSection", "referencesModule", "references") or []
    return [str(r["pmid"]) for r in references if isinstance(r, dict) and r.get("pmid")]


def _nct_id(study: Any) -> str | None:
    nct = ctgov.get(study, "protocolSection", "identificationModule", "nctId")
    return nct if isinstance(nct, str) and ctgov.NCT_ID.match(nct) else None


class StudyReads:
    def __init__(self) -> None:
        self._trials: list[ev.Trial] | None = None  # None: not prefetched, ask
        self._citations: list[tuple[str, str]] | None = None
        self._slugs: set[str] | None = None
        self._asked: set[str] = set()  # NCT ids, PMIDs and slugs the queries were for

    @classmethod
    def prefetched(cls, studies: list[Any]) -> StudyReads:
        reads = cls()
        ncts = {nct for nct in map(_nct_id, studies) if nct}
        reads._asked = ncts
        contains = Q()
        for nct in sorted(ncts):
            contains |= Q(registry_ids_text__contains=nct)
        reads._trials = list(ev.Trial.objects.filter(contains)) if ncts else []
        pmids = {pmid for study in studies for pmid in _pmids(study)}
        reads._asked |= {f"pmid:{pmid}" for pmid in pmids}
        found = ev.Citation.objects.filter(pmid__in=pmids).order_by("slug")
        reads._citations = list(found.values_list("pmid", "slug")) if pmids else []
        slugs = {nct.lower() for nct in ncts}
        reads._asked |= {f"slug:{slug}" for slug in slugs}
        reads._slugs = set(
            Event.objects.filter(stream_type="trial", slug__in=slugs).values_list("slug", flat=True)
        )
        return reads

    def trial_with_registry_id(self, nct_id: str) -> ev.Trial | None:
        """The trial whose registry ids hold ``nct_id``; refused if several do."""
        if self._trials is not None and nct_id in self._asked:
            candidates = [t for t in self._trials if nct_id in t.registry_ids_text]
        else:
            candidates = ev.Trial.objects.filter(registry_ids_text__contains=nct_id)
        found = [
            trial
            for trial in candidates
            if any(
                r.get("registry") == REGISTRY and r.get("id") == nct_id
                for r in trial.document.get("registry_ids", [])
            )
        ]
        if len(found) > 1:
            slugs = ", ".join(t.slug for t in found)
            raise ValidationFailed(
                [
                    {
                        "path": "registry_ids",
                        "message": f"{nct_id} is the registry id of trials {slugs}",
                    }
                ],
                f"cannot tell which trial {nct_id} updates",
            )
        return found[0] if found else None

    def citations_by_pmid(self, study: dict[str, Any]) -> dict[str, str]:
        """PMID -> slug of the citation records among the study's references."""
        pmids = _pmids(study)
        if self._citations is not None and all(f"pmid:{p}" in self._asked for p in pmids):
            wanted = set(pmids)
            return {pmid: slug for pmid, slug in self._citations if pmid in wanted}
        found = ev.Citation.objects.filter(pmid__in=pmids).order_by("slug")
        return {pmid: slug for pmid, slug in found.values_list("pmid", "slug")}

    def slug_taken(self, record_type: str, slug: str) -> bool:
        """Whether ``slug`` is (or was) a record's, live or retracted."""
        if record_type == "trial" and self._slugs is not None and f"slug:{slug}" in self._asked:
            return slug in self._slugs
        return selectors.stream_id_for_slug(record_type, slug) is not None
