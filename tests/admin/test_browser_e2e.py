"""End to end in a real browser: an editor proposes, a reviewer approves, the trial changes.

Playwright drives Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.
Screenshots of the edit form and the review page are saved to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from curation.models import ChangeRequest, Event
from evidence.models import Trial
from tests.conftest import missing_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing_service(f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # While Playwright's sync API runs, Django's connections are context-local, so the
        # test body had its own connection; close it here or PostgreSQL cannot drop the
        # test database at the end of the session.
        connections.close_all()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def test_editor_proposes_reviewer_approves_trial_shows_new_value(
    live_server, browser, admin_trials, editor, reviewer
):
    trial = admin_trials["myeloma_xi"]
    ARTIFACTS.mkdir(exist_ok=True)
    edit_shot, review_shot = ARTIFACTS / "edit-form.png", ARTIFACTS / "review-page.png"
    for shot in (edit_shot, review_shot):
        shot.unlink(missing_ok=True)

    # The editor changes the PFS result of the Revlimid arm and the summary.
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    log_in(page, live_server.url, "editor")
    page.goto(f"{live_server.url}/admin/evidence/trial/")
    page.click("text=myeloma-xi")
    page.wait_for_selector("table.grid")
    pfs_revlimid = page.locator("input[name='cell-0-0-value']")
    assert pfs_revlimid.input_value() == "39"
    pfs_revlimid.fill("38.9")
    summary = page.locator("textarea[name='record-summary']")
    summary.fill(summary.input_value().replace("(39 vs 20", "(38.9 vs 20"))
    page.fill(
        "textarea[name='proposal-rationale']",
        "The duration section of the article gives 38.9 months; use the more precise figure.",
    )
    page.check("input[name='proposal-citations'][value='jackson-2019-lancet-oncol-myeloma-xi']")
    page.screenshot(path=str(edit_shot), full_page=True)
    page.click("input[name='_propose']")
    page.wait_for_selector(".messagelist .success")
    assert "waits for a reviewer" in page.inner_text(".messagelist")
    cr = ChangeRequest.objects.get(record_slug="myeloma-xi", status="submitted")
    assert Trial.objects.get(pk=trial.pk).version == trial.version  # nothing applied yet
    context.close()

    # The reviewer opens the request from the queue, sees both changes, approves.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    log_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/admin/curation/changerequest/")
    page.click(f"text={cr}")
    page.wait_for_selector("table.diff")
    diff = page.inner_text("table.diff")
    assert "Revlimid maintenance" in diff  # the arm by its label, not its key
    assert "38.9" in diff and "39" in diff
    assert "summary" in diff and "(38.9 vs 20 months" in diff
    page.screenshot(path=str(review_shot), full_page=True)
    page.click("button[value='approve']")
    page.wait_for_selector(".messagelist .success")

    # The trial now holds the new value, and its history names both people.
    page.goto(f"{live_server.url}/admin/evidence/trial/{trial.pk}/change/")
    assert "38.9" in page.inner_text("#content-main")
    page.click("a.historylink")
    newest = page.locator("#change-history tbody tr").first.locator("td")
    cells = [cell.strip() for cell in newest.all_inner_texts()]
    assert "editor" in cells and "reviewer" in cells  # proposed by, approved by
    context.close()

    event = Event.objects.filter(stream_id=trial.pk).order_by("-version").first()
    assert (event.proposer.username, event.approver.username) == ("editor", "reviewer")
    assert event.document["outcomes"][0]["values"][0]["value"] == 38.9
    for shot in (edit_shot, review_shot):
        assert shot.exists() and shot.stat().st_size > 0


def test_editor_orders_a_sections_trials_with_an_added_box(live_server, browser, editor):
    """No JavaScript needed: "Another trial box" re-shows the form with what was typed, and
    the numbered boxes set the order of the section's trials."""
    from curation.seed import load_seed

    from .test_admin_record_parts import TOPIC, live, revise

    load_seed()
    seed_topic = live("topic", TOPIC).document
    # Start from the section listing only CALGB 100104; the seed lists IFM 2005-02 first.
    topic = revise(
        "topic",
        TOPIC,
        lambda d: d["sections"][1].update(trials=["calgb-100104"]),
    )
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    log_in(page, live_server.url, "editor")
    page.goto(f"{live_server.url}/admin/evidence/topic/{topic.pk}/change/")
    boxes = page.locator("select[name='sections-1-trials']")
    assert boxes.count() == 2  # the trial and one empty box
    page.fill("textarea[name='proposal-rationale']", "The seed article lists IFM 2005-02 first.")
    page.click("button[value='sections-1-trials']")
    page.wait_for_selector(".rows-added")
    assert boxes.count() == 3
    assert page.input_value("textarea[name='proposal-rationale']").startswith("The seed article")
    boxes.nth(0).select_option("ifm-2005-02")
    boxes.nth(1).select_option("calgb-100104")
    page.click("input[name='_propose']")
    page.wait_for_selector(".messagelist .success")
    context.close()

    cr = ChangeRequest.objects.get(record_slug=TOPIC, author=editor)
    assert cr.document == seed_topic
    assert cr.document["sections"][1]["trials"] == ["ifm-2005-02", "calgb-100104"]
