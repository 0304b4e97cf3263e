"""Published pages in a real browser (issue 14): every page type of the seed's snapshot (the
index, what changed, the topic and every trial), served as readers get them (under the
pages' Content-Security-Policy), at 1,280 px and at 390 px (a phone).

On every page: no axe-core violation at all, no sideways scrolling at 360 px, charts whose
text is at least 12 px as drawn on a 360 px phone, and a print stylesheet. Screenshots at
390 px go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from curation.seed import load_seed
from publishing import services
from tests.axe import assert_no_horizontal_scroll, axe_violations, describe
from tests.conftest import missing_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The smallest text in any chart, as drawn: its font size scaled by the SVG's drawn width.
SMALLEST_CHART_TEXT = """() => Math.min(Infinity,
  ...[...document.querySelectorAll('svg')].flatMap(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(
    t => parseFloat(getComputedStyle(t).fontSize) * scale);
}))"""


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
        connections.close_all()  # the test body's connection; else the test database stays


def published_pages(snapshot) -> list[str]:
    from publishing import storage

    paths = storage.snapshot_store().manifest(snapshot.seq).files
    return sorted(path for path in paths if path.endswith(".html"))


def test_every_published_page_is_accessible_and_fits_a_phone(live_server, browser, snapshot_root):
    load_seed()
    snapshot = services.publish_latest()
    paths = published_pages(snapshot)
    assert {"index.html", "changes.html", "topics/multiple-myeloma-maintenance.html"} <= set(paths)
    assert len([p for p in paths if p.startswith("trials/")]) == 10
    ARTIFACTS.mkdir(exist_ok=True)
    problems, requests = [], []
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        for path in paths:
            response = page.goto(f"{live_server.url}/published/latest/{path}")
            assert response.status == 200, path
            assert "default-src 'none'" in response.headers["content-security-policy"]
            violations = axe_violations(page)
            if violations:
                problems.append(f"{path} at {width} px:\n{describe(violations)}")
            if width == 390:
                name = path.replace("/", "-").removesuffix(".html")
                page.screenshot(path=str(ARTIFACTS / f"published-{name}-390.png"), full_page=True)
                assert_no_horizontal_scroll(page, 360)
                smallest = page.evaluate(SMALLEST_CHART_TEXT)  # on the narrowest phone
                if smallest < 12:
                    problems.append(f"{path}: chart text {smallest:.1f} px at 360 px")
                page.set_viewport_size({"width": 390, "height": 900})
        # one request per page: no external or inline-loaded asset of any kind
        assert all(url.startswith(f"{live_server.url}/published/") for url in requests)
        context.close()
    assert problems == [], "\n".join(problems)
    check_print_and_reflow(browser, live_server.url)


def check_print_and_reflow(browser, base_url: str) -> None:
    """The topic prints without the site's furniture; on a phone its wide tables reflow."""
    page = browser.new_page()
    page.goto(f"{base_url}/published/latest/topics/multiple-myeloma-maintenance.html")
    shown = "(s) => getComputedStyle(document.querySelector(s)).display"
    assert page.evaluate(shown, "header.site") != "none"
    # on a phone, the arms table reflows into one card per arm; its headings stay for readers
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate(shown, "table.stack tr") == "block"
    page.emulate_media(media="print")
    assert page.evaluate(shown, "header.site") == "none"
    assert page.evaluate(shown, "nav") == "none"
    # printed links say where they lead
    after = "getComputedStyle(document.querySelector('main a[href^=\"http\"]'), '::after').content"
    assert "https://" in page.evaluate(after)
    page.close()
