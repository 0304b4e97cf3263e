"""axe-core in a real browser, for the browser tests of the published pages and the admin.

axe-core comes from the npm registry at a pinned version, installed once into
``var/node-tools`` (``tests/node_tools.py``), as tests/api/test_generated_clients.py installs its
generators. It is run through Playwright's ``page.evaluate``, which DevTools runs outside the
page's Content-Security-Policy: the pages keep their strict policy (no scripts at all) while
they are checked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.node_tools import npm_install

AXE_VERSION = "4.14.1"
# The rules the published pages and the admin are held to: WCAG 2.x A and AA, and axe's
# best practices (landmarks, one h1, headings in order...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# The admin is held to WCAG 2.1 A and AA and the best practices, and only its critical and
# serious violations fail it: its dense forms and filter lists do not yet meet WCAG 2.2's
# 24 px touch targets (target-size), which the published pages do.
ADMIN_TAGS = [tag for tag in AXE_TAGS if tag != "wcag22aa"]
BLOCKING = ("critical", "serious")


@cache
def axe_source() -> str:
    """axe.min.js of the pinned version, installed with npm on first use."""

    def installed(folder: Path) -> bool:
        package = folder / "node_modules" / "axe-core" / "package.json"
        return package.exists() and f'"version": "{AXE_VERSION}"' in package.read_text()

    folder = npm_install([f"axe-core@{AXE_VERSION}"], installed)
    return (folder / "node_modules" / "axe-core" / "axe.min.js").read_text()


def axe_violations(
    page, impacts: tuple[str, ...] | None = None, tags: list[str] = AXE_TAGS
) -> list[dict]:
    """axe-core's violations on the page as loaded, each as
    ``{"id", "impact", "help", "nodes": [target selectors...]}``; with ``impacts``, only
    those of these impacts (e.g. ``("critical", "serious")``)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))",
        tags,
    )
    return [v for v in results if impacts is None or v["impact"] in impacts]


def blocking(violations: list[dict]) -> list[dict]:
    """The critical and serious violations, which fail an admin page."""
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    """Violations in a line each, for an assertion message."""
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'][:5])}" for v in violations
    )


WIDEST_ELEMENTS = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 0.5)
  .slice(0, 8)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`
    + ` ${(e.textContent || '').trim().slice(0, 40)}`
    + ` right=${Math.round(e.getBoundingClientRect().right)}`)"""


def assert_no_horizontal_scroll(page, width: int) -> None:
    """At a window ``width`` px wide, the page does not scroll sideways; a failure names the
    elements that stick out."""
    size = page.viewport_size or {"height": 800}
    page.set_viewport_size({"width": width, "height": size["height"]})
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"{page.url} is {scroll_width} px wide at {width} px: "
        + "; ".join(page.evaluate(WIDEST_ELEMENTS, width))
    )
