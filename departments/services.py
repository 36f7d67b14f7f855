"""Every write to organizations, members and departments. Forms, API and the demo loader
all call these functions."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfhub import tenancy
from perfhub.auth import user_sign_out_everywhere
from perfhub.cache_versions import dashboard_stale
from perfhub.errors import save_unique

from .models import (
    Department,
    DepartmentClosure,
    DepartmentManager,
    Membership,
    Organization,
    Profile,
    Role,
)
from .signals import department_saved, organization_created, scoring_inputs_changed

ORG_SETTINGS_FIELDS = (
    "name",
    "fiscal_year_start_month",
    "currency",
    "language",
    "amber_line",
    "management_weight",
    "missing_actual_policy",
    "review_frequency",
    "reminder_days_before",
    "feedback_anonymous",
    "feedback_cooperation_kpi",
    "escalate_after_days",
)


# The one answer to a taken, malformed or too long address (`slug`), in pages and API:
# whether another organization uses it is not for an outsider to learn (audit finding #10).
SLUG_UNAVAILABLE = gettext_lazy(
    "This address is not available. Choose another one: at most 60 letters, digits, "
    "hyphens or underscores."
)


@transaction.atomic
def organization_create(*, name: str, slug: str, by, language: str = "zh-hans", **fields):
    """Create an organization, make `by` its admin and seed it (library, templates)."""
    org = Organization(name=name, slug=slug, language=language, **fields)
    try:
        org.full_clean()
        save_unique(org)
    except ValidationError as exc:
        errors = exc.update_error_dict({})
        if "slug" in errors:
            errors["slug"] = [ValidationError(str(SLUG_UNAVAILABLE))]
        raise ValidationError(errors) from exc
    # The new organization's rows are written with the database set to it (row-level
    # security accepts no others); the caller's setting is restored afterwards.
    with tenancy.org_atomic(org):
        Membership.objects.create(organization=org, user=by, role=Role.ADMIN)
        organization_created.send(sender=Organization, organization=org, by=by)
    return org


@transaction.atomic
def organization_update(*, org: Organization, by, **fields) -> Organization:
    """Change the organization's settings (admin only; checked by the caller's gate)."""
    unknown = set(fields) - set(ORG_SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in unknown})
    for key, value in fields.items():
        setattr(org, key, value)
    org.full_clean()
    org.save(update_fields=list(fields) or None)
    scoring_inputs_changed.send(sender=Organization, organization=org)  # metrics marks
    dashboard_stale(org.pk)
    return org


def _admin_count(org) -> int:
    return Membership.objects.for_org(org).filter(role=Role.ADMIN, is_active=True).count()


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose one of: %s.") % ", ".join(Role.values)]})
    org = membership.organization
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admin_count(org) <= 1:
        raise ValidationError({"role": [_("The organization needs at least one admin.")]})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    """Remove a member; they stop managing the organization's departments.

    Their sessions and tokens lose this organization on their next request (membership is
    checked on every request); when it was their last organization, their API tokens are
    deleted and their browser sessions ended too."""
    org = membership.organization
    if membership.role == Role.ADMIN and _admin_count(org) <= 1:
        raise ValidationError({"role": [_("The organization needs at least one admin.")]})
    DepartmentManager.objects.for_org(org).filter(user_id=membership.user_id).delete()
    user_id = membership.user_id
    membership.delete()
    # Their memberships in other organizations: visible to this transaction through the
    # user setting (row-level security), as on their own sign-in landing page.
    with tenancy.user_visible(user_id):
        others = Membership.objects.unscoped().filter(user_id=user_id).exists()
    if not others:
        user_sign_out_everywhere(user_id=user_id)


# --- departments --------------------------------------------------------------------------


def _check_parent(org, department: Department | None, parent: Department | None) -> None:
    if parent is None:
        return
    if parent.organization_id != org.pk:
        # Same words as an unknown id: another tenant's department must not be revealed.
        raise ValidationError({"parent": [_("Unknown department.")]})
    if department is not None and department.pk is not None:
        if parent.pk == department.pk:
            raise ValidationError({"parent": [_("A department cannot be its own parent.")]})
        below = DepartmentClosure.objects.for_org(org).filter(
            ancestor_id=department.pk, descendant_id=parent.pk
        )
        if below.exists():
            raise ValidationError(
                {
                    "parent": [
                        _("%(parent)s is below %(dept)s: moving there would make a cycle.")
                        % {"parent": parent.display_name, "dept": department.display_name}
                    ]
                }
            )


def _check_managers(org, managers) -> list:
    managers = list(managers or [])
    if not managers:
        return managers
    member_ids = set(
        Membership.objects.for_org(org)
        .filter(user_id__in=[u.pk for u in managers], is_active=True)
        .values_list("user_id", flat=True)
    )
    outsiders = [u for u in managers if u.pk not in member_ids]
    if outsiders:
        raise ValidationError(
            {"managers": [_("Not a member of this organization: %s") % outsiders[0].pk]}
        )
    return managers


def _set_managers(org, department: Department, managers: list) -> None:
    DepartmentManager.objects.for_org(org).filter(department=department).exclude(
        user__in=managers
    ).delete()
    existing = set(
        DepartmentManager.objects.for_org(org)
        .filter(department=department)
        .values_list("user_id", flat=True)
    )
    # A user named twice (`"managers": [3, 3]`) is one manager, not a duplicate row.
    unique = {u.pk: u for u in managers}
    DepartmentManager.objects.bulk_create(
        DepartmentManager(organization=org, department=department, user=u)
        for pk, u in unique.items()
        if pk not in existing
    )


def _closure_insert(org, department: Department) -> None:
    rows = [
        DepartmentClosure(organization=org, ancestor=department, descendant=department, depth=0)
    ]
    if department.parent_id:
        for ancestor_id, depth in (
            DepartmentClosure.objects.for_org(org)
            .filter(descendant_id=department.parent_id)
            .values_list("ancestor_id", "depth")
        ):
            rows.append(
                DepartmentClosure(
                    organization=org,
                    ancestor_id=ancestor_id,
                    descendant=department,
                    depth=depth + 1,
                )
            )
    DepartmentClosure.objects.bulk_create(rows)


def _closure_move(org, department: Department) -> None:
    """Re-hang the subtree of `department` under its (new) parent."""
    closure = DepartmentClosure.objects.for_org(org)
    subtree = list(closure.filter(ancestor_id=department.pk).values_list("descendant_id", "depth"))
    subtree_ids = [d for d, _depth in subtree]
    # Links from outside the subtree into it are the old path: drop them.
    closure.filter(descendant_id__in=subtree_ids).exclude(ancestor_id__in=subtree_ids).delete()
    if department.parent_id:
        ancestors = list(
            closure.filter(descendant_id=department.parent_id).values_list("ancestor_id", "depth")
        )
        DepartmentClosure.objects.bulk_create(
            DepartmentClosure(
                organization=org,
                ancestor_id=a,
                descendant_id=d,
                depth=a_depth + d_depth + 1,
            )
            for a, a_depth in ancestors
            for d, d_depth in subtree
        )


@transaction.atomic
def department_create(
    *,
    org: Organization,
    by,
    name: str,
    code: str,
    kind: str,
    function: str,
    name_en: str = "",
    parent: Department | None = None,
    weight_in_parent: Decimal = Decimal(1),
    is_active: bool = True,
    managers=None,
) -> Department:
    """Create a department in the tree (refusing cross-organization parents)."""
    _check_parent(org, None, parent)
    managers = _check_managers(org, managers)
    department = Department(
        organization=org,
        name=name,
        name_en=name_en,
        code=code,
        kind=kind,
        function=function,
        parent=parent,
        weight_in_parent=weight_in_parent,
        is_active=is_active,
    )
    department.full_clean()
    save_unique(department)
    _closure_insert(org, department)
    _set_managers(org, department, managers)
    department_saved.send(sender=Department, organization=org, department=department)
    # metrics marks the new department and its parent (whose rolled-up score changes)
    scoring_inputs_changed.send(
        sender=Department,
        organization=org,
        departments=[d for d in (department.pk, department.parent_id) if d],
    )
    dashboard_stale(org.pk)  # the tree (and the closure rows) changed
    return department


DEPARTMENT_FIELDS = ("name", "name_en", "code", "kind", "function", "weight_in_parent", "is_active")


@transaction.atomic
def department_update(*, department: Department, by, **fields) -> Department:
    """Rename, move (`parent`), set kind, function, managers, weight or the active flag.

    A move under the department itself or one of its sub-departments is refused."""
    org = department.organization
    unknown = set(fields) - set(DEPARTMENT_FIELDS) - {"parent", "managers"}
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in unknown})
    moved = False
    old_parent = department.parent_id
    if "parent" in fields:
        parent = fields.pop("parent")
        _check_parent(org, department, parent)
        moved = (parent.pk if parent else None) != department.parent_id
        department.parent = parent
    managers = None
    if "managers" in fields:
        managers = _check_managers(org, fields.pop("managers"))
    for key, value in fields.items():
        setattr(department, key, value)
    department.full_clean()
    save_unique(department)
    if moved:
        _closure_move(org, department)
    if managers is not None:
        _set_managers(org, department, managers)
    department_saved.send(sender=Department, organization=org, department=department)
    # metrics marks the department, its old and its new parent: their ancestors' rolled-up
    # scores are recomputed with them (scorecards.rollup).
    scoring_inputs_changed.send(
        sender=Department,
        organization=org,
        departments=[d for d in (department.pk, old_parent, department.parent_id) if d],
    )
    dashboard_stale(org.pk)  # the tree (and the closure rows) changed
    return department


def profile_for(*, user):
    """The user's preferences (created with the defaults on first use)."""
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile
