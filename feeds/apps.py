from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    name = "feeds"
    verbose_name = _("Data feeds")

    def ready(self) -> None:
        # Registers the feed jobs in every process, so the in-process path (no broker)
        # finds them by name.
        from . import tasks  # noqa: F401
