import time

from django.core.management.base import BaseCommand

from curation.projection import rebuild


class Command(BaseCommand):
    help = "Empty the evidence read models and replay every event into them."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        started = time.perf_counter()
        report = rebuild(batch_size=options["batch_size"])
        elapsed = time.perf_counter() - started
        rate = report.events / elapsed if elapsed else 0
        self.stdout.write(
            f"Replayed {report.events} events into {report.records} records "
            f"in {elapsed:.2f}s ({rate:,.0f} events/s)."
        )
