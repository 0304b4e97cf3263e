from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from curation.accounts import DEMO_GROUP
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
        # The mark production goes by (curation.accounts): it survives renaming the account.
        demo_group, _ = Group.objects.get_or_create(name=DEMO_GROUP)
        User = get_user_model()
        for username, group, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            # Notifications are e-mailed (in development, written to var/mail/).
            user.email = user.email or f"{username}@example.org"
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(settings.DEMO_PASSWORD)
            user.save()
            user.groups.add(demo_group)
            if group:
                user.groups.add(groups[group])
        names = ", ".join(name for name, _, _ in DEMO_ACCOUNTS)
        self.stdout.write(f"Demo accounts ready: {names} (password from DEMO_PASSWORD).")
