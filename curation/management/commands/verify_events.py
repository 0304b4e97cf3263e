from django.core.management.base import BaseCommand, CommandError

from curation.eventstore import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the event hash chain and report the first broken link; with --upcast, also check "
        "that every event's document reads in the current schema version."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--upcast",
            action="store_true",
            help="Also upcast every document and its changes to the current schema version.",
        )

    def handle(self, *args, upcast: bool = False, **options):
        report = verify_chain(upcast=upcast)
        if report.broken_at is not None:
            raise CommandError(
                f"Event chain broken at position {report.broken_at}: {report.problem} "
                f"({report.events} events verified before it)."
            )
        if report.upcast_failed_at is not None:
            raise CommandError(
                f"Event at position {report.upcast_failed_at} cannot be upcast: "
                f"{report.upcast_problem}."
            )
        self.stdout.write(
            f"Event chain intact: {report.events} events, head at position {report.head_position}."
        )
        if upcast:
            counts = ", ".join(f"version {v}: {n}" for v, n in report.versions.items())
            self.stdout.write(f"Every document upcasts to the current schema ({counts}).")
