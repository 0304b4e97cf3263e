from django.core.management.base import BaseCommand, CommandError

from curation.eventstore import verify_chain


class Command(BaseCommand):
    help = "Walk the event hash chain and report the first broken link."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Event chain broken at position {report.broken_at}: {report.problem} "
                f"({report.events} events verified before it)."
            )
        self.stdout.write(
            f"Event chain intact: {report.events} events, head at position {report.head_position}."
        )
