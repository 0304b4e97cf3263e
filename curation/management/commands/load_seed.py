from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from curation.seed import SEED_DIR, load_seed


class Command(BaseCommand):
    help = (
        "Load the seed evidence through the curation pipeline, then apply the seed's "
        "corrections not yet applied (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(SEED_DIR), help="Seed data directory.")

    def handle(self, *args, **options):
        report = load_seed(Path(options["dir"]))
        self.stdout.write(
            f"Seed evidence: {len(report.created)} records created, "
            f"{len(report.skipped)} already present."
        )
        corrections = report.corrections
        self.stdout.write(
            f"Seed corrections: {len(corrections.applied)} applied, "
            f"{len(corrections.already_applied)} applied before, "
            f"{len(corrections.already_so)} already so, "
            f"{len(corrections.conflicts)} in conflict, {len(corrections.missing)} without "
            f"their record, {len(corrections.refused)} refused."
        )
        for line in corrections.applied:
            self.stdout.write(f"  applied {line}")
        for key in corrections.already_so:
            self.stdout.write(f"  already so (nothing proposed): {key}")
        for conflict in corrections.conflicts:
            self.stdout.write(self.style.WARNING(f"  conflict: {conflict}"))
        for line in corrections.missing:
            self.stdout.write(self.style.WARNING(f"  skipped: {line}"))
        for line in corrections.refused:
            self.stderr.write(self.style.ERROR(f"  refused: {line}"))
        if corrections.refused:
            raise CommandError(f"{len(corrections.refused)} seed corrections were refused")
