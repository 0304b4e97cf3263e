from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from curation.permissions import EDITORS, REVIEWERS, ensure_groups

DEMO_ACCOUNTS = [
    ("editor", EDITORS, False),
    ("reviewer", REVIEWERS, False),
    ("reviewer2", REVIEWERS, False),
    ("admin", None, True),
]


class Command(BaseCommand):
    help = "Create the demo accounts (development only; refused in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "Demo accounts are never created in production (DJANGO_ENV=production)."
            )
        groups = ensure_groups()
        User = get_user_model()
        for username, group, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
            if group:
                user.groups.add(groups[group])
        names = ", ".join(name for name, _, _ in DEMO_ACCOUNTS)
        self.stdout.write(f"Demo accounts ready: {names} (password from DEMO_PASSWORD).")
