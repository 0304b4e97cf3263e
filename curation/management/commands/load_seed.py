from django.core.management.base import BaseCommand

from curation.seed import SEED_DIR, load_seed


class Command(BaseCommand):
    help = "Load the seed evidence through the curation pipeline (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(SEED_DIR), help="Seed data directory.")

    def handle(self, *args, **options):
        from pathlib import Path

        report = load_seed(Path(options["dir"]))
        self.stdout.write(
            f"Seed evidence: {len(report.created)} records created, "
            f"{len(report.skipped)} already present."
        )
