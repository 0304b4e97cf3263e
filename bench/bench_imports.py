"""Import batch benchmarks: studies/s and references/s from a batch file to change requests,
and the batch run's peak memory at two batch sizes.

Studies: the two real registry documents (../shared/fixtures/ctgov/), alternately, each with
its own NCT id and title and the group mapping an editor gives, in a zip (``--studies``,
default 1,000). References: a RIS file of ``--references`` (default 5,000) entries, each with
its own title and DOI. Each batch is read into items (``start_batch``, timed) and run as
workers run it: its ``--import-workers`` parts (default IMPORT_BATCH_PARTS), each
``run_batch(id, part, parts)`` in a fresh process, all at once (timed, with the peak RSS of
the largest process and of all of them). A second batch of a quarter of the size, run the
same way, shows whether peak memory grows with the batch.

Beside each rate, a floor measured in the same run on the same records: the work no import
can skip (for studies, mapping and validating each study without a database; for references,
parsing the file), so the rate can be read against what the machine does at best.
"""

from __future__ import annotations

import copy
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "ctgov"
TARGET_STUDIES_PER_SECOND = 50
# The mappings an editor gives for the real documents (as in tests/imports/studies.py).
GROUP_MAPS = {
    "NCT04431453": {"OG004": "arm-5"},
    "NCT02552212": {
        "Placebo (FAS)": "arm-2",
        "CZP 200 mg Q2W (FAS)": "arm-1",
        "Placebo (SS)": "arm-2",
        "CZP 200 mg Q2W (SS)": "arm-1",
        "Placebo->OL CZP (SS)": "new:placebo-to-czp",
        "CZP->OL CZP (SS)": "new:czp-to-czp",
        "SFE OL CZP 200 mg Q2W (SS)": "new:sfe-czp",
    },
}


def studies(n: int, first: int):
    """``n`` study entries, the fixtures in turn, NCT ids from ``first`` on."""
    originals = {nct: orjson.loads((FIXTURES / f"{nct}.json").read_bytes()) for nct in GROUP_MAPS}
    names = sorted(originals)
    for i in range(n):
        nct = names[i % len(names)]
        study = copy.deepcopy(originals[nct])
        ident = study["protocolSection"]["identificationModule"]
        ident["nctId"] = f"NCT{first + i:08d}"
        ident["briefTitle"] = f"{ident.get('briefTitle', '')} (bench copy {first + i})"
        yield {"study": study, "group_map": GROUP_MAPS[nct]}


def studies_zip(n: int, first: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i, entry in enumerate(studies(n, first)):
            archive.writestr(f"study-{i:05d}.json", orjson.dumps(entry))
    return buffer.getvalue()


def references_ris(n: int, first: int) -> bytes:
    entries = []
    for i in range(first, first + n):
        entries.append(
            "TY  - JOUR\n"
            f"TI  - Benchmark trial {i} of drug {i % 97} in condition {i % 89}\n"
            f"AU  - Surname{i % 1000}, Given\nAU  - Other, Author\n"
            f"JO  - Journal of Benchmarks\nPY  - {1990 + i % 35}\nVL  - {i % 300}\n"
            f"SP  - {i % 900 + 1}\nEP  - {i % 900 + 9}\nDO  - 10.5555/bench.{i}\nER  - \n"
        )
    return "\n".join(entries).encode()


RUN_PART = (
    "import sys, time, django; django.setup();"
    "from curation.imports.batches import run_batch;"
    "t = time.perf_counter(); b = run_batch(*map(int, sys.argv[1:4])); e = time.perf_counter() - t;"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1];"
    "print(e, hwm)"
)


def run_in_subprocesses(batch_id: int, workers: int) -> dict:
    """The batch run as workers run it: its ``workers`` parts (``run_batch(id, part, parts)``,
    the task each part is) each in a fresh process, all at once. Wall time, and the peak RSS
    of the largest process (VmHWM: getrusage's ru_maxrss would carry over this process's peak
    across the fork and exec) and of all of them together."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_PART, str(batch_id), str(part), str(workers)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for part in range(workers)
    ]
    outputs = [process.communicate()[0].split() for process in processes]
    elapsed = time.perf_counter() - started
    if any(process.returncode for process in processes):
        raise RuntimeError(f"a part of batch {batch_id} failed")
    from curation.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    peaks = [int(out[1]) / 1024 for out in outputs]
    return {
        "workers": workers,
        "status": batch.status,
        "processed": batch.processed,
        "made": batch.made,
        "failed": batch.failed,
        "run_seconds": elapsed,
        "peak_rss_mb": round(max(peaks), 1),
        "peak_rss_all_workers_mb": round(sum(peaks), 1),
    }


def timed_batch(user, kind: str, raw: bytes, filename: str, workers: int) -> dict:
    from curation.imports.batches import start_batch

    started = time.perf_counter()
    batch = start_batch(user=user, kind=kind, raw=raw, filename=filename, enqueue=False)
    read = time.perf_counter() - started
    run = run_in_subprocesses(batch.pk, workers)
    total = read + run["run_seconds"]
    return {
        "records": batch.total,
        "file_mb": round(len(raw) / 1e6, 1),
        "read_seconds": round(read, 2),
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in run.items()},
        "records_per_second": round(batch.total / total, 1),
    }


def study_floor(n: int) -> dict:
    """Mapping and validating the same studies, no database: the least an import does."""
    from curation.imports import ctgov
    from evidence.documents import validate_document

    started = time.perf_counter()
    count = 0
    for entry in studies(n, 90_000_000):
        mapped = ctgov.map_study(entry["study"], group_map=entry["group_map"], label="floor")
        validate_document("trial", mapped.document)
        count += 1
    elapsed = time.perf_counter() - started
    return {"records": count, "seconds": round(elapsed, 2), "per_second": round(count / elapsed, 1)}


def reference_floor(raw: bytes) -> dict:
    from curation.imports import citation_formats

    started = time.perf_counter()
    found = citation_formats.parse(raw.decode(), "ris", "floor")
    elapsed = time.perf_counter() - started
    return {
        "records": len(found),
        "seconds": round(elapsed, 2),
        "per_second": round(len(found) / elapsed),
    }


def run(args) -> dict:
    from bench.database import use_fresh_database

    backend = use_fresh_database("curation_bench_imports")
    from bench.generator import bench_users
    from curation.permissions import EDITORS, ensure_groups

    editor, _ = bench_users()
    editor.groups.add(ensure_groups()[EDITORS])
    n_studies, n_refs = args.studies, args.references
    from django.conf import settings

    workers = args.import_workers or settings.IMPORT_BATCH_PARTS
    results: dict = {"backend": backend, "cpus": os.cpu_count(), "workers": workers}

    with tempfile.TemporaryDirectory():
        full = timed_batch(
            editor, "ctgov", studies_zip(n_studies, 10_000_000), "studies.zip", workers
        )
        quarter_n = max(1, n_studies // 4)
        quarter = timed_batch(
            editor, "ctgov", studies_zip(quarter_n, 20_000_000), "quarter.zip", workers
        )
        floor = study_floor(min(n_studies, 200))
        results["studies"] = {
            "batch": full,
            "quarter_batch": quarter,
            "floor_map_and_validate": floor,
            "vs_floor": round(full["records_per_second"] / floor["per_second"], 2),
            "peak_rss_growth_quarter_to_full": round(
                full["peak_rss_mb"] / quarter["peak_rss_mb"], 2
            ),
            "target_studies_per_second": TARGET_STUDIES_PER_SECOND,
            "meets_target": full["records_per_second"] >= TARGET_STUDIES_PER_SECOND,
        }
        raw = references_ris(n_refs, 0)
        refs = timed_batch(editor, "citations", raw, "references.ris", workers)
        quarter_refs = timed_batch(
            editor,
            "citations",
            references_ris(max(1, n_refs // 4), 1_000_000),
            "quarter.ris",
            workers,
        )
        results["references"] = {
            "batch": refs,
            "quarter_batch": quarter_refs,
            "floor_parse": reference_floor(raw),
            "peak_rss_growth_quarter_to_full": round(
                refs["peak_rss_mb"] / quarter_refs["peak_rss_mb"], 2
            ),
        }
    return results
