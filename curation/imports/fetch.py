"""Fetching a source document from a registry's API: timeouts, retries with backoff, a size
limit, and errors that say what failed (offline, timed out, not found, too large).

Settings: ``CTGOV_API_BASE``, ``PUBMED_EFETCH_URL``, ``DOI_RESOLVER_BASE``,
``IMPORT_FETCH_TIMEOUT``, ``IMPORT_FETCH_ATTEMPTS``, ``IMPORT_FETCH_BACKOFF``,
``IMPORT_MAX_BYTES`` (see ``config.settings``).
"""

from __future__ import annotations

import time
from urllib.parse import quote

import requests
from django.conf import settings

from .errors import FetchFailed, SourceTooLarge, StudyNotFound

# Worth another attempt: the registry is busy or briefly down.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "evidence-curation-import/1"


def ctgov_study_url(nct_id: str) -> str:
    return f"{settings.CTGOV_API_BASE}/studies/{nct_id}"


def pubmed_efetch_url(pmids: list[str]) -> str:
    return f"{settings.PUBMED_EFETCH_URL}?db=pubmed&retmode=xml&id={','.join(pmids)}"


def doi_url(doi: str) -> str:
    return f"{settings.DOI_RESOLVER_BASE}/{quote(doi, safe='/')}"


def fetch(url: str, *, what: str, accept: str = "application/json", sleep=time.sleep) -> bytes:
    """The body of ``url`` (at most ``IMPORT_MAX_BYTES``), retrying what may pass.

    ``what`` names the record in errors ("ClinicalTrials.gov study NCT04431453")."""
    attempts = max(1, settings.IMPORT_FETCH_ATTEMPTS)
    problem = ""
    for attempt in range(attempts):
        if attempt:
            sleep(settings.IMPORT_FETCH_BACKOFF * 2 ** (attempt - 1))
        try:
            response = requests.get(
                url,
                timeout=(settings.IMPORT_FETCH_TIMEOUT, settings.IMPORT_FETCH_TIMEOUT),
                headers={"Accept": accept, "User-Agent": USER_AGENT},
                stream=True,
            )
        except requests.exceptions.Timeout:
            problem = f"timed out after {settings.IMPORT_FETCH_TIMEOUT:g} s"
            continue
        except requests.exceptions.ConnectionError as exc:
            problem = f"could not connect (offline, or the registry is down): {_reason(exc)}"
            continue
        except requests.exceptions.RequestException as exc:
            raise FetchFailed(f"{what}: cannot fetch {url}: {_reason(exc)}") from None
        with response:
            if response.status_code == 404:
                raise StudyNotFound(f"{what}: the registry does not know it (404 from {url})")
            if response.status_code in RETRY_STATUSES:
                problem = f"the registry answered {response.status_code}"
                continue
            if response.status_code != 200:
                raise FetchFailed(f"{what}: the registry answered {response.status_code} ({url})")
            try:
                return _read_limited(response, what)
            except requests.exceptions.RequestException as exc:
                problem = f"the download broke off: {_reason(exc)}"
                continue
    raise FetchFailed(f"{what}: cannot fetch {url}: {problem} ({attempts} attempts)")


def _read_limited(response, what: str) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise SourceTooLarge(f"{what} is {int(declared)} bytes, over the limit of {limit} bytes")
    body = bytearray()
    for chunk in response.iter_content(chunk_size=65536):
        body += chunk
        if len(body) > limit:
            raise SourceTooLarge(f"{what} is over the limit of {limit} bytes")
    return bytes(body)


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."
