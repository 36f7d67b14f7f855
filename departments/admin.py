"""The operators' admin (superusers only: tenants never use it). Tenant-owned rows are listed
with their organization, through the named escape hatch of the scoped manager."""

from django.contrib import admin

from .models import Department, Membership, Organization


class TenantAdmin(admin.ModelAdmin):
    list_filter = ["organization"]

    def get_queryset(self, request):
        return self.model.objects.unscoped().select_related("organization")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A choice of tenant rows (a department's parent) lists every organization's, as
        # the list does: the scoped manager refuses an unscoped query.
        manager = db_field.related_model._default_manager
        if hasattr(manager, "unscoped"):
            kwargs.setdefault("queryset", manager.unscoped())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "currency"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "organization", "role"]
    readonly_fields = ["organization"]


@admin.register(Department)
class DepartmentAdmin(TenantAdmin):
    list_display = ["code", "name", "organization", "kind", "function", "is_active"]
    readonly_fields = ["organization"]
