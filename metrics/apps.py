from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Indicators, KPIs and actuals")

    def ready(self) -> None:
        # Imported here: services import models, which cannot load before the app registry.
        from departments.signals import organization_created

        from .services.library import library_install

        def seed(sender, organization, **kwargs):
            library_install(org=organization)

        organization_created.connect(seed, dispatch_uid="metrics.library_install", weak=False)

        from departments.signals import scoring_inputs_changed

        from .services.recalc import recalculation_mark_open

        def mark(sender, organization, **kwargs):
            recalculation_mark_open(org=organization)

        scoring_inputs_changed.connect(mark, dispatch_uid="metrics.mark_open", weak=False)
