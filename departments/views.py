"""Pages: sign-in landing, organization switcher, members, settings and the department tree."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfhub.errors import add_service_errors
from perfhub.ratelimits import RateLimited, hit

from . import invitations, selectors, services
from .access import org_view
from .forms import (
    DepartmentForm,
    InvitationForm,
    MemberRoleForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
)
from .models import Invitation
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
    if len(memberships) == 1 and not invitations.invitation_list_for_user(user=request.user):
        return redirect("org_home", slug=memberships[0].organization.slug)
    return redirect("org_list")


@login_required
def org_list(request):
    """The user's organizations, the invitations waiting for their answer, and the form
    that creates an organization (rate-limited per user)."""
    form = OrganizationCreateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            hit(request, "organization_create")
            org = services.organization_create(by=request.user, **form.cleaned_data)
        except RateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Organization created. You are its admin."))
            return redirect("org_home", slug=org.slug)
    context = {
        "memberships": selectors.membership_list_for_user(user=request.user),
        "invitations": invitations.invitation_list_for_user(user=request.user),
        "form": form,
    }
    return render(request, "departments/org_list.html", context, status=status)


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
    """Members with their roles, and invitations: the form that sends one (rate-limited per
    inviter) and those waiting for an answer."""
    form = InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            hit(request, "invitation_create")
            invitations.invitation_create(org=request.org, by=request.user, **form.cleaned_data)
        except RateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation recorded. It is sent if the address or account exists.")
            )
            return redirect("member_list", slug=request.org.slug)
    context = {
        "members": selectors.membership_list(org=request.org),
        "invitations": invitations.invitation_list(org=request.org, pending_only=True),
        "form": form,
        "role_form": MemberRoleForm(),
    }
    return render(request, "departments/member_list.html", context, status=status)


@require_POST
@org_view(can_manage_members)
def invitation_revoke(request, pk):
    invitation = invitations.invitation_get(org=request.org, pk=pk)
    try:
        invitations.invitation_revoke(invitation=invitation, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("member_list", slug=request.org.slug)


def _answer(request, invitation):
    """Accept or decline (the POST's `action`); None (the page again) with the reason when
    refused, or for any other action."""
    action = request.POST.get("action")
    try:
        if action == "accept":
            membership = invitations.invitation_accept(invitation=invitation, user=request.user)
        elif action == "decline":
            invitations.invitation_decline(invitation=invitation, user=request.user)
            messages.success(request, _("Invitation declined."))
            return redirect("org_list")
        else:
            return None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return None
    messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organization.name})
    return redirect("org_home", slug=membership.organization.slug)


def invitation_respond(request, token):
    """The page of an invitation link: the organization and the role offered, to accept or
    decline once signed in. A visitor signs in (and comes back here) or, for an e-mail
    invitation, creates an account here and joins at once."""
    invitation = invitations.invitation_for_token(token=token)
    if not request.user.is_authenticated:
        return _invitation_for_visitor(request, invitation)
    if request.method == "POST" and invitation is not None:
        done = _answer(request, invitation)
        if done is not None:
            return done
    problem = None
    if invitation is None:
        problem = _("This invitation link is not valid.")
    else:
        problem = invitations.refusal_for(invitation=invitation, user=request.user)
    return render(
        request,
        "departments/invitation.html",
        {"invitation": invitation, "problem": problem},
        status=404 if invitation is None else 200,
    )


def _invitation_for_visitor(request, invitation):
    if invitation is None or invitations.refusal_for(invitation=invitation):
        return redirect_to_login(request.get_full_path())
    form = None
    if invitation.kind == Invitation.Kind.EMAIL:
        form = UserCreationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                membership = invitations.invitation_accept_new_user(
                    invitation=invitation,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                login(request, membership.user, backend="accounts.backends.PasswordPolicyBackend")
                messages.success(
                    request, _("Welcome to %(org)s.") % {"org": membership.organization.name}
                )
                return redirect("org_home", slug=membership.organization.slug)
    sign_in = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
    return render(
        request,
        "departments/invitation.html",
        {"invitation": invitation, "signup_form": form, "sign_in_url": sign_in},
    )


@require_POST
@login_required
def invitation_respond_mine(request, pk):
    """Accept or decline a username invitation from the organization list."""
    invitation = invitations.invitation_get_for_user(user=request.user, pk=pk)
    return _answer(request, invitation) or redirect("org_list")


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
