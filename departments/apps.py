from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = _("Organizations and departments")

    def ready(self) -> None:
        # The organization switcher's cached list goes stale when a membership of the user
        # or one of their organizations changes (departments.switcher). Imported here: the
        # models and the cache cannot load before the app registry is ready.
        from . import switcher
        from .models import Membership, Organization

        def membership_changed(sender, instance, **kwargs):
            switcher.forget([instance.user_id])

        def organization_changed(sender, instance, **kwargs):
            if instance.pk is not None:
                switcher.forget(
                    Membership.objects.for_org(instance.pk).values_list("user_id", flat=True)
                )

        for signal in (post_save, post_delete):
            signal.connect(
                membership_changed,
                sender=Membership,
                weak=False,
                dispatch_uid=f"switcher-membership-{signal is post_save}",
            )
        post_save.connect(
            organization_changed, sender=Organization, weak=False, dispatch_uid="switcher-org"
        )
