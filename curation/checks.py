"""System checks of the curation app.

``curation.E001`` (deployment check, so ``manage.py check --deploy`` fails): a demo account
exists in the database. Production refuses these accounts at every login anyway
(``curation.accounts``); the check makes a deployment fail before anyone is surprised.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connection

from . import accounts

DEMO_ACCOUNT_ID = "curation.E001"
UNREADABLE_ID = "curation.W001"


@register(Tags.security, deploy=True)
def check_no_demo_accounts(app_configs=None, **kwargs) -> list:
    # Deployment checks are given no database by `check --deploy`, but this one is about the
    # database's contents, so it reads the default database all the same.
    try:
        if get_user_model()._meta.db_table not in connection.introspection.table_names():
            return []  # not migrated yet: no accounts, hence no demo accounts
        usernames = accounts.demo_accounts()
    except DatabaseError as exc:
        return [
            Warning(
                f"Could not look for demo accounts in the database: {exc}",
                hint="Run `manage.py check --deploy` where the production database is reachable.",
                id=UNREADABLE_ID,
            )
        ]
    if not usernames:
        return []
    return [
        Error(
            f"Demo accounts exist: {', '.join(usernames)}. Their password is published, and "
            "production refuses them at every login.",
            hint=(
                "Delete them, and create real accounts with `manage.py createsuperuser`. To keep "
                "one, give it a new password (`manage.py changepassword <username>`) and take it "
                f"out of the {accounts.DEMO_GROUP!r} group."
            ),
            id=DEMO_ACCOUNT_ID,
        )
    ]
