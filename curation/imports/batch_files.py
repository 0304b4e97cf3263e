"""Reading a batch file into its entries, one per record, each with its identity: a JSON array
or a zip of ClinicalTrials.gov studies (``study_entries``), or a file of references in any
format ``citation_formats`` reads (``reference_entries``). An entry that cannot be read says
why, for ``batches`` to record as that item's failure.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import ijson
import orjson
from django.conf import settings

from . import citation_formats as formats
from . import citation_services, ctgov, sources
from .errors import NotAStudy

ZIP_MAGIC = b"PK\x03\x04"
LEADING_SPACE = re.compile(rb"[ \t\r\n]*")


@dataclass
class Entry:
    """A record read from the batch file: its content (JSON) and identity, or why not."""

    where: str
    key: str = ""
    content: str = ""
    error: str = ""
    path: str = ""


def is_study_batch(start: bytes) -> bool:
    """Whether a file of studies that starts with ``start`` is a batch: a zip, or a JSON
    array (its first character that is not white space is ``[``), not one study."""
    return start.startswith(ZIP_MAGIC) or start.lstrip().startswith(b"[")


def study_entries(raw: bytes, filename: str) -> Iterator[Entry]:
    """One entry per study of a zip of study files or of a JSON array, read one study at a
    time: however many studies the file holds, one is in memory at once (as Python objects;
    a whole array of them would take many times the file's size)."""
    if raw.startswith(ZIP_MAGIC):
        yield from _zipped_studies(raw, filename)
        return
    start = LEADING_SPACE.match(raw).end()
    if raw[start : start + 1] == b"[":
        yield from _array_studies(raw, filename)
        return
    # Not an array: read whole (one object, a number...) only to say what it is instead.
    value = sources.parse_json(raw, filename) if _small(raw) else _loads(raw, filename)
    if isinstance(value, dict):
        raise NotAStudy(
            [{"path": "", "message": "is one JSON object, not an array of studies"}],
            f"{filename} is not a batch: import one study with the study import",
        )
    raise NotAStudy(
        [{"path": "", "message": "is not an array of studies"}],
        f"{filename} is not a batch of studies (a JSON array or a zip of study files)",
    )


def _array_studies(raw: bytes, filename: str) -> Iterator[Entry]:
    """The entries of a JSON array, parsed one by one (ijson). JSON that breaks off or goes
    wrong after some entries is refused whole: the batch that read them is not created."""
    index = -1
    try:
        for index, study in enumerate(ijson.items(io.BytesIO(raw), "item", use_float=True)):
            yield _study_entry(study, f"{filename}: entry {index}", f"/{index}")
    except ijson.JSONError as exc:
        where = f"after entry {index}" if index >= 0 else "before its first entry"
        raise NotAStudy(
            [{"path": f"/{index + 1}", "message": f"{where}: {str(exc)[:200]}"}],
            f"{filename} is not JSON",
        ) from None


def _small(raw: bytes) -> bool:
    return len(raw) <= settings.IMPORT_MAX_BYTES


def _loads(raw: bytes, filename: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise NotAStudy(
            [{"path": "", "message": f"line {exc.lineno} column {exc.colno}: {exc.msg}"}],
            f"{filename} is not JSON",
        ) from None


def _zipped_studies(raw: bytes, filename: str) -> Iterator[Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise NotAStudy([{"path": "", "message": str(exc)}], f"{filename} is not a zip") from None
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            name = info.filename
            if info.is_dir() or name.startswith("__MACOSX/") or not name.endswith(".json"):
                continue
            where = f"{filename}: {name}"
            if info.file_size > settings.IMPORT_MAX_BYTES:
                yield Entry(
                    where,
                    error=f"{info.file_size} bytes, over the limit of "
                    f"{settings.IMPORT_MAX_BYTES} bytes",
                )
                continue
            try:
                study = orjson.loads(archive.read(info))
            except orjson.JSONDecodeError as exc:
                yield Entry(where, error=f"not JSON: line {exc.lineno} column {exc.colno}")
                continue
            yield _study_entry(study, where, "")


def _study_entry(value: Any, where: str, pointer: str) -> Entry:
    """A study, or ``{"study": ..., "group_map": ...}``; the key is the entry's content."""
    if isinstance(value, dict) and "study" in value and "protocolSection" not in value:
        study, group_map = value.get("study"), value.get("group_map") or {}
        pointer += "/study"
    else:
        study, group_map = value, {}
    if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
        return Entry(where, error="not a ClinicalTrials.gov v2 study", path=pointer or "/")
    nct = ctgov.get(study, "protocolSection", "identificationModule", "nctId")
    if isinstance(nct, str) and nct not in where:
        where = f"{where} ({nct})"
    content = sources.canonical({"study": study, "group_map": group_map})
    return Entry(where, key=hashlib.sha256(content).hexdigest(), content=content.decode())


def reference_entries(raw: bytes, filename: str, fmt: str | None) -> Iterator[Entry]:
    """One entry per reference; a reference that repeats an earlier one is a failure."""
    text = citation_services._decoded(raw, filename)
    seen: dict[str, str] = {}
    for found in formats.parse(text, fmt, filename):
        where = f"{filename}: {found.where}"
        if isinstance(found, formats.EntryError):
            yield Entry(where, error=found.message)
            continue
        same = sorted(citation_services.identity(found))
        if repeated := [seen[k] for k in same if k in seen]:
            yield Entry(where, error=f"the same reference as {repeated[0]}")
            continue
        seen.update(dict.fromkeys(same, found.where))
        # The strongest identity: DOI, else PMID, else title + year + first author.
        key = min(same, key=lambda k: ("doi:", "pmid:", "title:").index(k.split(":")[0] + ":"))
        yield Entry(where, key=key, content=orjson.dumps(asdict(found)).decode())


# --- Running a batch ----------------------------------------------------------------------
