from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevtoolsConfig(AppConfig):
    """Tools for developers, not for users: the demo organization and the benchmarks.
    The top of the import chain (devtools → reviews → scorecards → metrics → …)."""

    name = "devtools"
    verbose_name = _("Development tools")
