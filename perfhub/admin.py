"""The operators' admin site: superusers only, one organization at a time.

The application's database role cannot see several organizations at once (perfhub.rls), and
neither can its admin: a superuser picks the organization to work in (the "Work in this
organization" action of the organizations' list, kept in the session), and every admin
page then runs with that organization's setting (perfhub.tenancy.activate_org), as an
organization's own pages do. Without a choice, tenant rows are not shown. The template
response is rendered inside the request's transaction, where that setting lives."""

from functools import update_wrapper

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext as _

from .tenancy import activate_org

SESSION_KEY = "perfhub_admin_org"
ORGANIZATION_MODEL = "departments.Organization"  # as TenantModel's foreign key


def admin_organization(request):
    """The organization the superuser works in (None when not chosen or gone)."""
    Organization = apps.get_model(ORGANIZATION_MODEL)  # noqa: N806 - a model class

    org_id = request.session.get(SESSION_KEY)
    if not (request.user.is_active and request.user.is_superuser) or org_id is None:
        return None
    return Organization.objects.filter(pk=org_id).first()


def choose_organization(request, org) -> None:
    request.session[SESSION_KEY] = org.pk


class OperatorAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        def org_view(request, *args, **kwargs):
            request.admin_org = admin_organization(request)
            if request.admin_org is not None:
                activate_org(request.admin_org)
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            return response

        return super().admin_view(update_wrapper(org_view, view), cacheable)

    def each_context(self, request):
        context = super().each_context(request)
        org = getattr(request, "admin_org", None)
        context["site_header"] = (
            _("%(site)s · organization: %(org)s") % {"site": self.site_header, "org": org.name}
            if org is not None
            else _("%(site)s · no organization chosen") % {"site": self.site_header}
        )
        return context
