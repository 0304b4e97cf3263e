"""axe-core for the admin's browser tests: the npm package, at a pinned version.

It is installed on first use into ``var/node-tools`` (or ``$NODE_TOOLS_DIR``), as the generated
clients' test installs openapi-typescript, and injected into a Playwright page as a script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from tests.conftest import missing_service

AXE_CORE = "axe-core@4.11.0"
# What the admin must pass: WCAG 2.x A and AA plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("critical", "serious")


@cache
def axe_source() -> str:
    """The text of axe.min.js, installing the pinned package when it is not there yet."""
    tools = Path(os.environ.get("NODE_TOOLS_DIR", Path.cwd() / "var" / "node-tools"))
    script = tools / "node_modules" / "axe-core" / "axe.min.js"
    version = AXE_CORE.rsplit("@", 1)[1]
    package_json = script.parent / "package.json"
    if not script.exists() or f'"version": "{version}"' not in package_json.read_text():
        if shutil.which("npm") is None:
            missing_service("the accessibility tests need Node.js and npm (axe-core from npm)")
        tools.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(tools), AXE_CORE],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return script.read_text()


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as loaded: each with ``id``, ``impact``, ``help`` and
    ``nodes`` (each node's ``target`` selector and ``failureSummary``)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {"target": node["target"], "failureSummary": node.get("failureSummary", "")}
                for node in violation["nodes"]
            ],
        }
        for violation in result["violations"]
    ]


def blocking(violations: list[dict]) -> list[dict]:
    """The critical and serious violations, which fail an admin page."""
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    """One line per violation and up to five of its elements, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['impact']} {violation['id']} ({len(violation['nodes'])}): "
            f"{violation['help']}"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'][:200]}")
    return "\n".join(lines)
