import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews and feedback")

    def ready(self) -> None:
        from scorecards.signals import recalculated

        from . import notifications

        def red_kpi_alerts(sender, org, period_ids, department_ids=None, pairs=None, **kwargs):
            notifications.red_kpi_alerts(
                org=org, period_ids=period_ids, department_ids=department_ids, pairs=pairs
            )

        recalculated.connect(red_kpi_alerts, dispatch_uid="reviews.red_kpi_alerts", weak=False)

        from grades.signals import appeal_raised, appeal_resolved

        def appeal_mail(raised):
            def receiver(sender, org, appeal, **kwargs):
                try:
                    if raised:
                        notifications.grade_appeal_raised(org=org, appeal=appeal)
                    else:
                        notifications.grade_appeal_resolved(org=org, appeal=appeal)
                except Exception:  # noqa: BLE001 - an e-mail problem never undoes the appeal
                    logging.getLogger(__name__).exception("appeal e-mail not sent")

            return receiver

        appeal_raised.connect(appeal_mail(True), dispatch_uid="reviews.appeal_raised", weak=False)

        from grades.signals import calibration_published

        def published_message(sender, org, calibration, **kwargs):
            notifications.calibration_published(org=org, calibration=calibration)  # never raises

        calibration_published.connect(
            published_message, dispatch_uid="reviews.calibration_published", weak=False
        )
        appeal_resolved.connect(
            appeal_mail(False), dispatch_uid="reviews.appeal_resolved", weak=False
        )

        from metrics.signals import kpis_created

        from .services.feedback import feedback_fill

        def fill(sender, organization, kpis, **kwargs):
            feedback_fill(org=organization, kpis=kpis)

        kpis_created.connect(fill, dispatch_uid="reviews.satisfaction_fill", weak=False)

        from metrics.signals import actuals_rejected

        def rejected_mail(sender, organization, actual_ids, **kwargs):
            try:
                notifications.values_rejected(org=organization, actual_ids=actual_ids)
            except Exception:  # noqa: BLE001 - an e-mail problem never undoes the rejection
                logging.getLogger(__name__).exception("rejection e-mail not sent")

        actuals_rejected.connect(rejected_mail, dispatch_uid="reviews.values_rejected", weak=False)
        from departments.signals import organization_created

        from .services.criteria import feedback_criteria_seed

        def seed(sender, organization, **kwargs):
            feedback_criteria_seed(org=organization)

        organization_created.connect(seed, dispatch_uid="reviews.criteria_seed", weak=False)
