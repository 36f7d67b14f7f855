from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from departments.signals import department_saved, organization_created, scoring_inputs_changed


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Indicators, KPIs and actuals")

    def ready(self) -> None:
        # Imported here: services import models, which cannot load before the app registry.
        from .services.kpis import computed_kpis_ensure, computed_kpis_sync
        from .services.library import library_install
        from .services.recalc import recalculation_mark_open

        def seed(sender, organization, **kwargs):
            library_install(org=organization)

        organization_created.connect(seed, dispatch_uid="metrics.library_install", weak=False)

        def mark(sender, organization, departments=None, **kwargs):
            # `departments`: those whose rolled-up scores change (None: all of them).
            recalculation_mark_open(org=organization, departments=departments)
            if departments is None:  # the organization's settings: the cooperation KPI
                computed_kpis_sync(org=organization)

        scoring_inputs_changed.connect(mark, dispatch_uid="metrics.mark_open", weak=False)

        def ensure(sender, organization, department, **kwargs):
            computed_kpis_ensure(org=organization, department=department)

        department_saved.connect(ensure, dispatch_uid="metrics.computed_kpis", weak=False)
