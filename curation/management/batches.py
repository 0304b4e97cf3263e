"""What the import commands share for a batch file: start it (``curation.imports.batches``),
then, if asked, wait for it (or run it here) and print its counts and failures."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import CommandError

from curation.errors import CurationError
from curation.imports import batches
from curation.models import ImportBatch

POLL_SECONDS = 0.5


def add_batch_arguments(parser) -> None:
    parser.add_argument(
        "--wait",
        action="store_true",
        help="For a batch file: wait until a worker has imported every record, then print "
        "the counts and the failures.",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="For a batch file: import it in this process instead of a worker (implies --wait).",
    )


def run_batch_file(command, *, user, kind, path: Path, submit, fmt=None, wait, in_process):
    try:
        batch = batches.start_batch(
            user=user,
            kind=kind,
            raw=path.read_bytes(),
            filename=str(path),
            submit=submit,
            fmt=fmt,
            enqueue=not in_process,
        )
    except CurationError as exc:
        raise CommandError(exc.message) from None
    command.stdout.write(f"batch {batch.pk}: {batch.total} records")
    if in_process:
        batches.run_batch(batch.pk)
    elif not wait:
        command.stdout.write("a worker imports them; --wait to wait for it")
        return
    last = None
    while True:
        batch.refresh_from_db()
        if batch.status == ImportBatch.Status.DONE:
            break
        if batch.processed != last:
            command.stdout.write(f"batch {batch.pk}: {batch.processed} of {batch.total} done")
            last = batch.processed
        time.sleep(POLL_SECONDS)
    for failure in batches.failures(batch):
        where = f" ({failure.path})" if failure.path else ""
        command.stderr.write(f"failed: {failure.where}: {failure.message}{where}")
    command.stdout.write(
        f"batch {batch.pk}: done, {batch.processed} of {batch.total} records: "
        f"{batch.made} change requests, {batch.skipped} skipped, {batch.failed} failed"
    )
