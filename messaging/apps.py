from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Message channels")

    def ready(self) -> None:
        # Registers messaging.deliver in every process, so the in-process path (no broker)
        # finds it by name.
        from . import tasks  # noqa: F401
