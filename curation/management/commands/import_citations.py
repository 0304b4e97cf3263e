"""manage.py import_citations <file or PMID/DOI ...> --as <username> [--submit] [--format F]
[--batch [--wait | --in-process]]: a file of many references as a batch a worker imports."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from curation.errors import CurationError
from curation.imports.citation_formats import FORMATS
from curation.imports.citation_services import import_citations
from curation.management.batches import add_batch_arguments, run_batch_file


class Command(BaseCommand):
    help = (
        "Import references (a PubMed XML, RIS, BibTeX or CSL-JSON file, or PMIDs and DOIs to "
        "fetch) as citation change requests of the given editor, one per reference; prints "
        "'change request <id>' for each. A reference that is already a citation becomes a "
        "revision of it."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="+", help="A reference file, or PMIDs and DOIs.")
        parser.add_argument("--as", dest="username", required=True, help="The importing editor.")
        parser.add_argument("--submit", action="store_true", help="Submit them for review.")
        parser.add_argument("--format", choices=FORMATS, help="The file's format (else guessed).")
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Import the file as a batch, by a worker, with progress (for large files).",
        )
        add_batch_arguments(parser)

    def handle(self, *args, sources, username, submit, format, batch, wait, in_process, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        path = Path(sources[0])
        if batch or wait or in_process:
            if len(sources) != 1 or not path.is_file():
                raise CommandError("--batch takes one reference file")
            return run_batch_file(
                self,
                user=user,
                kind="citations",
                path=path,
                submit=submit,
                fmt=format,
                wait=wait,
                in_process=in_process,
            )
        try:
            if len(sources) == 1 and path.is_file():
                outcomes = import_citations(
                    user=user, raw=path.read_bytes(), label=str(path), fmt=format, submit=submit
                )
            else:
                outcomes = import_citations(user=user, identifiers=sources, submit=submit)
        except CurationError as exc:
            raise CommandError(exc.message) from None
        failed = []
        for outcome in outcomes:
            if outcome.change_request is not None:
                self.stdout.write(f"{outcome.where}: {outcome.change_request}")
                self.stdout.write(f"change request {outcome.change_request.pk}")
            elif outcome.up_to_date:
                self.stdout.write(f"{outcome.where}: citation {outcome.up_to_date} is up to date")
            else:
                failed.append(f"{outcome.where}: {outcome.error}")
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(outcomes)} references not imported (nothing written for "
                "them):\n" + "\n".join(failed)
            )
