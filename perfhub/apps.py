from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PerfhubConfig(AppConfig):
    name = "perfhub"
    verbose_name = "PerfHub"

    def ready(self):
        from django.core import checks

        from . import rls  # imports models of every app: only once the registry is ready
        from .secrets import check_encryption_keys

        checks.register(check_encryption_keys, checks.Tags.security, deploy=True)

        # Row-level security, organization-wide foreign keys and the app role's privileges,
        # after every migrate (perfhub.rls): new tables are covered without a code change.
        post_migrate.connect(rls.post_migrate_handler, dispatch_uid="perfhub.rls")


class PerfhubAdminConfig(admin_apps.AdminConfig):
    """The operators' admin, whose pages see every organization (perfhub.admin)."""

    default = False  # listed by its dotted path in INSTALLED_APPS
    default_site = "perfhub.admin.OperatorAdminSite"
