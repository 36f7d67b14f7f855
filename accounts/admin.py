"""Operators see and revoke API tokens (never their keys: only digests are stored)."""

from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "scope_organization", "created", "expiry"]
    list_select_related = ["user", "scope_organization"]
    search_fields = ["name", "user__username"]
    fields = ["user", "name", "scope_organization", "created", "expiry"]
    readonly_fields = fields  # type: ignore[assignment]  # plain names, as the stubs want

    def has_add_permission(self, request):
        return False  # issued through the profile page or the API, which show the key once

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser
