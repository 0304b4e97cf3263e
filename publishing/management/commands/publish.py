from django.core.management.base import BaseCommand

from publishing import services


class Command(BaseCommand):
    help = "Publish a snapshot up to the newest event now (in this process, not via a worker)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Publish even if nothing changed.")

    def handle(self, *args, **options):
        snapshot = services.publish_latest(force=options["force"])
        if snapshot is None:
            position = services.published_position()
            self.stdout.write(
                f"Nothing to publish: the newest snapshot is at event {position}, or another "
                "process is publishing right now."
            )
            return
        self.stdout.write(
            f"Published snapshot {snapshot.seq} at event {snapshot.position} "
            f"({snapshot.files_rendered} files rendered)."
        )
