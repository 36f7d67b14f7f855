"""Pages: sign-in landing, organization switcher, members, settings and the department tree."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfhub.errors import add_service_errors

from . import selectors, services
from .access import org_view
from .forms import (
    DepartmentForm,
    MemberAddForm,
    MemberRoleForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
)
from .permissions import (
    can_configure,
    can_edit_settings,
    can_manage_members,
    is_member,
)


@login_required
def home(request):
    """Straight into the organization when the user has one; otherwise the switcher."""
    memberships = list(selectors.membership_list_for_user(user=request.user))
    if len(memberships) == 1:
        return redirect("org_home", slug=memberships[0].organization.slug)
    return redirect("org_list")


@login_required
def org_list(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Organization created. You are its admin."))
            return redirect("org_home", slug=org.slug)
    memberships = selectors.membership_list_for_user(user=request.user)
    return render(request, "departments/org_list.html", {"memberships": memberships, "form": form})


@org_view(is_member)
def org_home(request):
    return render(request, "departments/org_home.html", {})


@org_view(can_edit_settings)
def org_settings(request):
    form = OrganizationSettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(org=request.org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("org_settings", slug=request.org.slug)
    return render(request, "departments/org_settings.html", {"form": form})


@org_view(can_manage_members)
def member_list(request):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(org=request.org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("member_list", slug=request.org.slug)
    members = selectors.membership_list(org=request.org)
    return render(
        request,
        "departments/member_list.html",
        {"members": members, "form": form, "role_form": MemberRoleForm()},
    )


@require_POST
@org_view(can_manage_members)
def member_update(request, pk):
    membership = selectors.membership_get(org=request.org, pk=pk)
    try:
        if request.POST.get("action") == "remove":
            services.membership_remove(membership=membership, by=request.user)
            messages.success(request, _("Member removed."))
        else:
            form = MemberRoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.get_json_data())
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], by=request.user
            )
            messages.success(request, _("Role changed."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("member_list", slug=request.org.slug)


@org_view(is_member)
def department_tree(request):
    tree = selectors.department_tree(org=request.org)
    return render(request, "departments/department_tree.html", {"tree": tree})


def _department_form_view(request, department=None):
    form = DepartmentForm(request.POST or None, instance=department, org=request.org)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["managers"] = list(data.get("managers") or [])
        try:
            if department is None:
                services.department_create(org=request.org, by=request.user, **data)
                messages.success(request, _("Department created."))
            else:
                services.department_update(department=department, by=request.user, **data)
                messages.success(request, _("Department saved."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("department_tree", slug=request.org.slug)
    return render(
        request, "departments/department_form.html", {"form": form, "department": department}
    )


@org_view(can_configure)
def department_create(request):
    return _department_form_view(request)


@org_view(can_configure)
def department_edit(request, pk):
    department = selectors.department_get(org=request.org, pk=pk)
    return _department_form_view(request, department)
