"""The operators' admin site: superusers only, across organizations.

Its pages are one of the few deliberate cross-tenant paths: for a superuser each admin page
runs with the database's system setting (perfhub.tenancy.activate_system), and its template
response is rendered inside the request's transaction, where that setting lives."""

from functools import update_wrapper

from django.contrib import admin

from .tenancy import activate_system


class OperatorAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        def system_view(request, *args, **kwargs):
            if request.user.is_active and request.user.is_superuser:
                activate_system()
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            return response

        return super().admin_view(update_wrapper(system_view, view), cacheable)
