"""Front-end tools the tests take from the npm registry, installed once into ``var/node-tools``.

``NODE_TOOLS_DIR`` moves the folder. Parallel test workers (pytest-xdist) share it, so an
install holds a file lock: two ``npm install`` runs into one prefix at once would break each
other's ``node_modules``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import missing_service


def node_tools() -> Path:
    return Path(os.environ.get("NODE_TOOLS_DIR", Path.cwd() / "var" / "node-tools"))


def npm_install(packages: list[str], installed) -> Path:
    """Install ``packages`` (``name@version``) unless ``installed(folder)`` says they are there;
    returns the folder. Fails with npm's own output when npm refuses."""
    folder = node_tools()
    if installed(folder):
        return folder
    if shutil.which("npm") is None:
        missing_service(f"this test needs Node.js and npm ({', '.join(packages)} come from npm)")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not installed(folder):  # another worker may have installed them meanwhile
            command = ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder)]
            done = subprocess.run(
                command + packages, capture_output=True, text=True, timeout=600, check=False
            )
            assert done.returncode == 0, done.stdout + done.stderr
    return folder
