"""Every admin page editors and reviewers use, in a real browser, at 1,280 and 390 px.

axe-core (tests/admin/axe.py) runs on each page and any critical or serious violation fails the
test; at 1,280 px no page may be wider than the window (the trial form's grids included).
Screenshots go to test-artifacts/admin/, and the counts per page to
test-artifacts/admin/axe-counts.json (the issue's before/after figures).
"""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from curation import selectors, services
from curation.models import ChangeRequest
from curation.seed import load_seed
from tests.axe import ADMIN_TAGS, axe_violations, blocking, describe

from .test_browser_e2e import ARTIFACTS, browser, log_in  # noqa: F401 (browser is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)
SHOTS = ARTIFACTS / "admin"
TRIAL, TOPIC = "calgb-100104", "multiple-myeloma-maintenance"


def _pending_revision(editor, slug: str) -> ChangeRequest:
    """A submitted change to a trial's first result, waiting for a reviewer."""
    live = selectors.live_record("trial", slug)
    document = copy.deepcopy(live.document)
    document["summary"] = document.get("summary", "") + " Updated."
    return services.propose(
        user=editor,
        record_type="trial",
        action="revise",
        record=slug,
        base_version=live.version,
        document=document,
        rationale="The article's summary says so.",
    )


def _pages(editor, reviewer) -> list[tuple[str, str | None, str]]:
    """(name, who logs in, path) for every admin page editors and reviewers use."""
    trial = selectors.live_record("trial", TRIAL)
    topic = selectors.live_record("topic", TOPIC)
    citation = selectors.live_record("citation", "attal-2012-nejm")
    intervention = selectors.live_record("intervention", "lenalidomide")
    cr = _pending_revision(editor, TRIAL)
    return [
        ("login", None, "/admin/login/"),
        ("index", "reviewer", "/admin/"),
        ("change-request-list", "reviewer", "/admin/curation/changerequest/"),
        ("review", "reviewer", f"/admin/curation/changerequest/{cr.pk}/change/"),
        ("trial-form", "editor", f"/admin/evidence/trial/{trial.pk}/change/"),
        ("topic-form", "editor", f"/admin/evidence/topic/{topic.pk}/change/"),
        ("citation-form", "editor", f"/admin/evidence/citation/{citation.pk}/change/"),
        ("intervention-form", "editor", f"/admin/evidence/intervention/{intervention.pk}/change/"),
        ("history", "editor", f"/admin/evidence/trial/{trial.pk}/history/"),
    ]


def test_admin_pages_have_no_serious_accessibility_violations(
    live_server,
    browser,  # noqa: F811
    editor,
    reviewer,
):
    load_seed()
    pages = _pages(editor, reviewer)
    SHOTS.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict] = {}
    failures: list[str] = []
    for width in WIDTHS:
        sessions = {}
        for name, who, path in pages:
            if who not in sessions:
                # axe runs through page.evaluate, outside the page's CSP, which stays as served.
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                if who:
                    log_in(page, live_server.url, who)
                sessions[who] = (context, page)
            page = sessions[who][1]
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (name, path, response.status)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            if name == "trial-form":  # the parts of the long form a reader checks first
                for part in ("outcomes", "results"):
                    page.locator(f"#{part}").screenshot(
                        path=str(SHOTS / f"{name}-{part}-{width}.png")
                    )
            violations = axe_violations(page, tags=ADMIN_TAGS)
            impacts = Counter(v["impact"] for v in violations for _ in v["nodes"])
            counts[f"{name}@{width}"] = {
                "critical": impacts["critical"],
                "serious": impacts["serious"],
                "rules": sorted({v["id"] for v in blocking(violations)}),
            }
            if blocking(violations):
                failures.append(f"{name} at {width} px:\n{describe(blocking(violations))}")
            if width == 1280:
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                if wide > width:
                    failures.append(f"{name} at {width} px is {wide} px wide")
        for context, _ in sessions.values():
            context.close()
    (SHOTS / "axe-counts.json").write_text(json.dumps(counts, indent=2))
    assert not failures, "\n\n".join(failures)
