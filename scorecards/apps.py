from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardsConfig(AppConfig):
    # The services call the recalculation mark (metrics.services.recalc) and the dashboard's
    # token (perfhub.cache_versions.dashboard_stale) by name; see CONTRIBUTING.md, "From a
    # saved value to the dashboard". One receiver: the warm dashboards, rendered after each
    # roll-up (scorecards.dashboard_warm).
    name = "scorecards"
    verbose_name = _("Scorecards and goals")

    def ready(self):
        from .dashboard_warm import on_recalculated
        from .signals import recalculated

        recalculated.connect(on_recalculated, dispatch_uid="scorecards.warm_dashboards", weak=False)
