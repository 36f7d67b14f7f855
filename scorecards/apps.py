from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = _("Scorecards and goals")

    def ready(self) -> None:
        from metrics.signals import recalculation_requested

        def enqueue(sender, organization_id, period_ids, **kwargs):
            from .tasks import enqueue as publish

            publish(organization_id, period_ids)

        recalculation_requested.connect(enqueue, dispatch_uid="scorecards.enqueue", weak=False)

        # What the dashboard shows besides stored scorecards: its cached body goes stale
        # when one of these rows changes (scorecards.dashboard_cache).
        from django.db.models.signals import post_delete, post_save

        from departments.models import Department, DepartmentClosure, Organization
        from metrics.models import Indicator, Kpi, Period

        from . import dashboard_cache

        def stale(sender, instance, **kwargs):
            org_id = instance.pk if sender is Organization else instance.organization_id
            if org_id is not None:
                dashboard_cache.bump(org_id)

        def periods_created(sender, organization_id, **kwargs):
            dashboard_cache.bump(organization_id)

        from metrics.signals import periods_created as created

        created.connect(periods_created, dispatch_uid="dashboard-stale-periods", weak=False)

        for model in (Department, DepartmentClosure, Organization, Indicator, Kpi, Period):
            for signal in (post_save, post_delete):
                signal.connect(
                    stale,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"dashboard-stale-{model.__name__}",
                )
