from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews and feedback")

    def ready(self) -> None:
        from scorecards.signals import recalculated

        from . import notifications

        def red_kpi_alerts(sender, org, period_ids, department_ids=None, **kwargs):
            notifications.red_kpi_alerts(
                org=org, period_ids=period_ids, department_ids=department_ids
            )

        recalculated.connect(red_kpi_alerts, dispatch_uid="reviews.red_kpi_alerts", weak=False)

        from metrics.signals import kpis_created

        from .services.feedback import satisfaction_fill

        def fill(sender, organization, kpis, **kwargs):
            satisfaction_fill(org=organization, kpis=kpis)

        kpis_created.connect(fill, dispatch_uid="reviews.satisfaction_fill", weak=False)
