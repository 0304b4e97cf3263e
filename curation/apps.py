from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _ensure_groups(sender, **kwargs):
    from .permissions import ensure_groups

    ensure_groups()


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self) -> None:
        # After every migrate (permissions exist by then), so a fresh database has the groups.
        post_migrate.connect(_ensure_groups, sender=self, dispatch_uid="curation_ensure_groups")
        # The admin app (first in INSTALLED_APPS) has imported every admin module by now: give
        # each registered admin, ours and other apps', the guards of curation.admin.guards.
        if apps.is_installed("django.contrib.admin"):
            from django.contrib import admin

            from .admin.guards import harden_admin_site

            harden_admin_site(admin.site)
        # Read pages (lists, the changes feed) are cached by the log position they reflect.
        from evidence.api import caching

        from .eventstore import head

        caching.set_position_source(head)  # (position, hash): the hash chains the whole log
        # Registered on import: revoking tokens on a password change, the demo-account check.
        from . import accounts, checks  # noqa: F401
