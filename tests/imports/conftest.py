"""A local stand-in for ClinicalTrials.gov's API: tests never reach the internet.

``registry`` serves ``/api/v2/studies/<NCT id>`` from a dict the test fills (unknown ids are
404s), can answer slowly, fail a number of times first, or stop listening; settings point
``CTGOV_API_BASE`` at it and make retries fast.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import free_port


class FakeRegistry:
    def __init__(self):
        self.studies: dict[str, bytes] = {}
        self.pages: dict[str, bytes] = {}  # any other path (with its query) -> body
        self.delay = 0.0
        self.failures_left = 0  # answer 503 this many times first
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/v2"

    def add(self, nct_id: str, study) -> None:
        self.studies[nct_id] = study if isinstance(study, bytes) else json.dumps(study).encode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                # The client may have given up (a timeout test): nothing to answer then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.answer()

            def answer(self):
                registry.requests.append(self.path)
                if registry.delay:
                    time.sleep(registry.delay)
                if registry.failures_left > 0:
                    registry.failures_left -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path in registry.pages:
                    body = registry.pages[self.path]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                nct_id = self.path.rsplit("/", 1)[-1]
                body = registry.studies.get(nct_id)
                if not self.path.startswith("/api/v2/studies/") or body is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"message": "not found"}')
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def registry(settings):
    fake = FakeRegistry()
    settings.CTGOV_API_BASE = fake.base
    settings.PUBMED_EFETCH_URL = fake.base.replace("/api/v2", "/efetch.fcgi")
    settings.DOI_RESOLVER_BASE = fake.base.replace("/api/v2", "/doi")
    settings.IMPORT_FETCH_TIMEOUT = 0.5
    settings.IMPORT_FETCH_ATTEMPTS = 3
    settings.IMPORT_FETCH_BACKOFF = 0.01
    yield fake
    fake.stop()


@pytest.fixture
def offline(settings):
    """A base URL where nothing listens."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings.CTGOV_API_BASE = f"{nowhere}/api/v2"
    settings.PUBMED_EFETCH_URL = f"{nowhere}/efetch.fcgi"
    settings.DOI_RESOLVER_BASE = f"{nowhere}/doi"
    settings.IMPORT_FETCH_ATTEMPTS = 2
    settings.IMPORT_FETCH_BACKOFF = 0.01
