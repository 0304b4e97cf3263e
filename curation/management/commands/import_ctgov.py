"""manage.py import_ctgov <file or NCT id> --as <username> [--submit] [--map GROUP=ARM ...]

A file holding many studies (a JSON array, a zip of study files) is a batch: a worker imports
it, one change request per study (``--wait`` to wait for it, ``--in-process`` to import it
here); the command prints ``batch <id>`` and, once done, the counts."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from curation.errors import CurationError, ValidationFailed
from curation.imports.batch_files import is_study_batch
from curation.imports.ctgov import NCT_ID
from curation.imports.services import import_ctgov_study
from curation.management.batches import add_batch_arguments, run_batch_file


class Command(BaseCommand):
    help = (
        "Import a ClinicalTrials.gov (API v2) study, from a file or fetched by NCT id, as a "
        "draft change request of the given editor; prints 'change request <id>'."
    )

    def add_arguments(self, parser):
        parser.add_argument("study", help="A study JSON file, or an NCT id to fetch.")
        parser.add_argument("--as", dest="username", required=True, help="The importing editor.")
        parser.add_argument("--submit", action="store_true", help="Submit it for review at once.")
        parser.add_argument(
            "--map",
            dest="mapping",
            action="append",
            default=[],
            metavar="GROUP=ARM",
            help="Which arm a results group is: its title or id = an arm key, new:KEY (a new "
            "arm) or - (leave its results out). Repeat for each group.",
        )
        add_batch_arguments(parser)

    def handle(self, *args, study, username, submit, mapping, wait, in_process, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        group_map = {}
        for entry in mapping:
            group, sep, arm = entry.rpartition("=")
            if not sep or not group.strip() or not arm.strip():
                raise CommandError(f"--map {entry!r}: write GROUP=ARM (a title or id, an arm key)")
            group_map[group.strip()] = arm.strip()
        path = Path(study)
        if path.is_file() and _is_batch(path):
            if group_map:
                raise CommandError("--map is for one study; a batch entry carries its group_map")
            return run_batch_file(
                self,
                user=user,
                kind="ctgov",
                path=path,
                submit=submit,
                wait=wait,
                in_process=in_process,
            )
        try:
            if path.is_file():
                result = import_ctgov_study(
                    user=user,
                    raw=path.read_bytes(),
                    label=str(path),
                    group_map=group_map,
                    submit=submit,
                )
            elif NCT_ID.match(study.strip().upper()):
                result = import_ctgov_study(
                    user=user, nct_id=study, group_map=group_map, submit=submit
                )
            else:
                raise CommandError(f"{study}: no such file, and not an NCT id (NCT + 8 digits)")
        except CurationError as exc:
            raise CommandError(_described(exc)) from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning['message']} ({warning['path']})")
        cr = result.change_request
        self.stdout.write(f"{cr.get_status_display().lower()}: {cr}")
        self.stdout.write(f"change request {cr.pk}")


def _is_batch(path: Path) -> bool:
    with path.open("rb") as file:
        return is_study_batch(file.read(4096))


def _described(exc: CurationError) -> str:
    """The refusal; a ValidationFailed's message holds its first five problems, so the rest
    are listed after it."""
    text = exc.message
    if isinstance(exc, ValidationFailed) and len(exc.errors) > 5:
        text += "\n" + "\n".join(
            f"  {e['path'] or '(document)'}: {e['message']}" for e in exc.errors
        )
    return text
