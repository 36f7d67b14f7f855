"""The operators' admin (superusers only: tenants never use it). Tenant-owned rows are those
of the organization the superuser chose to work in (perfhub.admin), nothing without one."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfhub.admin import choose_organization
from perfhub.cache_versions import dashboard_stale
from perfhub.tenancy import org_atomic

from .models import Department, Invitation, Membership, Organization


class TenantAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        org = getattr(request, "admin_org", None)
        if org is None:
            return self.model.objects.none()
        return self.model.objects.for_org(org).select_related("organization")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A choice of tenant rows (a department's parent) lists the chosen organization's,
        # as the list does: the scoped manager refuses an unscoped query.
        manager = db_field.related_model._default_manager
        if hasattr(manager, "for_org"):
            org = getattr(request, "admin_org", None)
            kwargs.setdefault("queryset", manager.for_org(org) if org else manager.none())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "currency"]
    search_fields = ["name", "slug"]
    actions = ["work_in"]

    @admin.action(description=gettext_lazy("Work in this organization"))
    def work_in(self, request, queryset):
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(
                request, _("Select exactly one organization to work in."), messages.ERROR
            )
            return
        choose_organization(request, chosen[0])
        self.message_user(
            request,
            _("The admin now shows the rows of %(org)s.") % {"org": chosen[0].name},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        dashboard_stale(obj.pk)  # the operators' edits bypass the services

    def delete_model(self, request, obj):
        # Its rows are visible (and deleted with it) under its own setting only.
        with org_atomic(obj):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for org in queryset:
            self.delete_model(request, org)


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "role"]
    readonly_fields = ["organization"]


@admin.register(Department)
class DepartmentAdmin(TenantAdmin):
    list_display = ["code", "name", "kind", "function", "is_active"]
    readonly_fields = ["organization"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        dashboard_stale(obj.organization_id)  # the operators' edits bypass the services

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        dashboard_stale(obj.organization_id)

    def delete_queryset(self, request, queryset):
        org_ids = set(queryset.values_list("organization_id", flat=True))
        super().delete_queryset(request, queryset)
        for org_id in org_ids:
            dashboard_stale(org_id)


@admin.register(Invitation)
class InvitationAdmin(TenantAdmin):
    list_display = ["target", "kind", "organization", "role", "created_at", "expires_at"]
    readonly_fields = ["organization", "token_hash", "invited_user", "accepted_by"]
