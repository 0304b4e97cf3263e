"""``manage.py check_narratives``: numbers in the prose of the live evidence that match no
structured value of their record (``curation.narratives.corpus_report``)."""

from django.core.management.base import BaseCommand

from curation.narratives import corpus_report


class Command(BaseCommand):
    help = (
        "List numbers quoted in summaries, findings and notes that match no structured value "
        "of their record (a topic: nor of the trials it shows)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fail", action="store_true", help="exit with status 1 when something is listed"
        )

    def handle(self, *args, fail=False, **options):
        report = corpus_report()
        for item in report:
            self.stdout.write(
                f"{item['record']} {item['path']}: {item['number']} — {item['sentence']}"
            )
        records = len({item["record"] for item in report})
        self.stdout.write(
            f"{len(report)} number{'s' if len(report) != 1 else ''} in prose match no "
            f"structured value ({records} record{'s' if records != 1 else ''})"
        )
        if fail and report:
            raise SystemExit(1)
