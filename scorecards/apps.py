from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardsConfig(AppConfig):
    # No receivers: the services call the recalculation mark
    # (metrics.services.recalc) and the dashboard's token
    # (perfhub.cache_versions.dashboard_stale) by name; see CONTRIBUTING.md, "From a saved
    # value to the dashboard".
    name = "scorecards"
    verbose_name = _("Scorecards and goals")
