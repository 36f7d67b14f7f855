from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Scorecards, reviews and goals")

    def ready(self) -> None:
        from metrics.signals import recalculation_requested

        def enqueue(sender, organization_id, period_ids, **kwargs):
            from .tasks import enqueue as publish

            publish(organization_id, period_ids)

        recalculation_requested.connect(enqueue, dispatch_uid="reviews.enqueue", weak=False)
