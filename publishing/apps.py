import logging

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


def send_publish_task(sender, position: int, **kwargs) -> None:
    """On commit of an approval: ask a worker to publish. Failure only delays publication."""
    from .services import PublishingError, request_publication

    try:
        request_publication(position=position)
    except PublishingError:
        logger.warning(
            "could not send the publish task for position %s; the sweep will publish it",
            position,
            exc_info=True,
        )


def check_snapshot_storage(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A SNAPSHOT_STORAGE naming no STORAGES alias fails ``manage.py check`` (and so startup),
    not the first approval's publication."""
    from .storage import configured_alias

    try:
        configured_alias()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="publishing.E001")]
    return []


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from curation.signals import events_appended

        events_appended.connect(send_publish_task, dispatch_uid="publishing_send_publish_task")
        checks.register(check_snapshot_storage)
