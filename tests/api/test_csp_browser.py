"""The Content-Security-Policy in a real browser: the API docs (Swagger UI from
drf-spectacular-sidecar) and the admin work under it, with no violation and nothing fetched
from anywhere but this server."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import missing_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.fixture
def page(live_server):
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing_service(f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.requests, page.console_errors = [], []
        page.on("request", lambda request: page.requests.append(request.url))
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        yield page
        browser.close()
        connections.close_all()  # the test body's connection; else the test database stays


def directives(csp: str) -> dict[str, list[str]]:
    parts = [directive.split() for directive in csp.split(";") if directive.strip()]
    return {name: values for name, *values in parts}


def assert_clean(page, base_url: str) -> None:
    assert page.evaluate("window.__violations") == []
    assert not [text for text in page.console_errors if "Content Security Policy" in text]
    foreign = [url for url in page.requests if not url.startswith((base_url, "data:"))]
    assert foreign == [], "requests outside this server"


def test_api_docs_render_under_the_csp_offline(page, live_server):
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert directives(response.headers["content-security-policy"])["script-src"] == ["'self'"]
    # Swagger UI fetched the schema and drew the operations, the token scheme included.
    page.wait_for_selector(".opblock-summary-path[data-path='/api/v1/auth/token/']")
    assert page.locator(".opblock").count() >= 25
    assert page.locator("button.authorize").count() == 1
    assert f"{live_server.url}/api/v1/schema/" in page.requests
    assert_clean(page, live_server.url)


def test_admin_works_under_the_csp(page, live_server, editor):
    response = page.goto(f"{live_server.url}/admin/login/")
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    page.goto(f"{live_server.url}/admin/curation/changerequest/")
    page.wait_for_selector("#changelist")
    assert_clean(page, live_server.url)
