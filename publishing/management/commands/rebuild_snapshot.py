import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from publishing import services


class Command(BaseCommand):
    help = (
        "Rebuild a published snapshot from the event log into a temporary directory and compare "
        "it byte for byte with what was published."
    )

    def add_arguments(self, parser):
        parser.add_argument("seq", type=int, help="Snapshot number.")
        parser.add_argument("--keep", action="store_true", help="Keep the rebuilt directory.")

    def handle(self, *args, **options):
        seq = options["seq"]
        workdir = Path(tempfile.mkdtemp(prefix=f"rebuild-{seq}-"))
        try:
            differences = services.rebuild_and_compare(seq, workdir / str(seq))
        except services.PublishingError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if options["keep"]:
                self.stdout.write(f"Rebuilt into {workdir / str(seq)}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        if differences:
            for line in differences:
                self.stdout.write(line)
            raise CommandError(
                f"snapshot {seq} differs from its rebuild in {len(differences)} file(s)"
            )
        self.stdout.write(self.style.SUCCESS(f"Snapshot {seq} rebuilt: identical, byte for byte."))
