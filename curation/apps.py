from django.apps import AppConfig
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
        # Registered on import: revoking tokens on a password change, the demo-account check.
        from . import accounts, checks  # noqa: F401
