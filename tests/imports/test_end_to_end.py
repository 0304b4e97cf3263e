"""The issue's "done when": an editor imports NCT04431453.json in the admin, maps its groups
and submits; a reviewer approves it on the review page; the published trial page shows the
medians in days with their IQR, and "not reached" exactly where the registry's comments say
so."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from curation.models import ChangeRequest
from publishing import services as publishing
from tests.publishing.published import published_bytes

from .studies import REMDESIVIR, fixture_path, real

pytestmark = pytest.mark.django_db
IMPORT = "/admin/curation/changerequest/import-ctgov/"
DISCHARGE = "Time (Days) to Discharge From Hospital"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def row(page: str, arm_label: str, caption: str) -> str:
    table = page[page.index(caption) :]
    table = table[: table.index("</table>")]
    start = table.index(f'<th scope="row">{html.escape(arm_label, quote=False)}</th>')
    return table[start : table.index("</tr>", start)]


@pytest.fixture
def published_import(editor, reviewer, settings, tmp_path):
    settings.SNAPSHOT_ROOT = tmp_path / "snapshots"
    settings.VAR_DIR = tmp_path / "var"
    desk = logged_in(editor)
    with fixture_path(REMDESIVIR).open("rb") as study:
        step = desk.post(IMPORT, {"study": study, "submit_now": "on"})
    assert step.status_code == 200 and len(step.context["groups"]) == 1
    group = step.context["groups"][0]
    assert group["ids"] == ["OG004"] and group["chosen"] == "arm-5"
    done = desk.post(
        IMPORT,
        {
            "staged": step.context["staged"],
            "title_0": group["title"],
            "arm_0": "arm-5",
            "submit_now": "on",
        },
    )
    cr = ChangeRequest.objects.get()
    assert done.status_code == 302 and cr.status == "submitted"

    review = logged_in(reviewer).post(
        f"/admin/curation/changerequest/{cr.pk}/change/", {"action": "approve"}
    )
    assert review.status_code == 302
    cr.refresh_from_db()
    assert cr.status == "approved"
    snapshot = publishing.publish_latest()
    return published_bytes(snapshot.seq, "trials/nct04431453.html").decode("utf-8")


def test_published_page_shows_medians_iqr_and_not_reached(published_import):
    page = published_import
    labels = [
        a["label"]
        for a in real(REMDESIVIR)["protocolSection"]["armsInterventionsModule"]["armGroups"]
    ]
    assert DISCHARGE in page
    assert "median 12 days (IQR 8 to 24)" in row(page, labels[0], DISCHARGE)
    assert "median 7 days (IQR 5 to 9)" in row(page, labels[1], DISCHARGE)
    cohort5 = row(page, labels[4], DISCHARGE)
    assert "median not reached" in cohort5
    assert "less than 50% and 75% of participants" in cohort5
    # Not reached exactly where the comments say the median was not reached: 15 cells.
    # (Charts under the tables say it again in their labels: only the cells are counted.)
    assert len(re.findall(r"<td[^>]*>median not reached", page)) == 15
    # The 9 concentrations below the level of quantification are not called "not reached".
    assert page.count("below the limit of quantification") >= 9
    assert "NCT04431453" in page


def test_each_imported_number_links_to_the_registry_results(published_import):
    page = published_import
    link = '(<a href="https://clinicaltrials.gov/study/NCT04431453?tab=results">NCT04431453</a>)'
    labels = [
        a["label"]
        for a in real(REMDESIVIR)["protocolSection"]["armsInterventionsModule"]["armGroups"]
    ]
    for label in labels[:2]:
        assert link in row(page, label, DISCHARGE)
    # Every imported value links there (the 15 "not reached" cells among them); the link is
    # the only one that leaves the page.
    cells = re.split(r"<td[^>]*>", page)
    not_reached = [c for c in cells if "median not reached" in c.split("</td>")[0]]
    assert len(not_reached) == 15 and all(link in cell for cell in not_reached)
    assert len(re.findall(r'href="https?://', page)) == page.count(link) > 15
