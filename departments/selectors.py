"""Reads of organizations, members and departments, always scoped to one organization."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet

from perfhub import tenancy

from .models import (
    Department,
    DepartmentClosure,
    Membership,
    managed_department_ids,  # a selector, defined beside the models Membership reads it from
)

__all__ = [
    "department_get",
    "department_list",
    "department_tree",
    "managed_department_ids",
    "membership_for",
    "membership_get",
    "membership_list",
    "membership_list_for_user",
    "subtree_ids",
]


def membership_list_for_user(*, user) -> list[Membership]:
    """The user's memberships in every organization, with the organization loaded.

    Scoped by the user rather than by one organization: this is the organization switcher.
    The database shows these rows through the user setting (tenancy.user_visible), in the
    current transaction or in one of its own (the switcher of an error page)."""
    with tenancy.user_visible(user):
        return list(
            Membership.objects.unscoped()  # narrowed to one user right here
            .filter(user=user, is_active=True)
            .select_related("organization")
            .order_by("organization__name")
        )


def membership_for(*, user, slug: str) -> Membership | None:
    """The user's membership in the organization with this slug, or None (one query)."""
    if not user.is_authenticated:
        return None
    with tenancy.user_visible(user):
        return (
            Membership.objects.unscoped()  # narrowed to one user and one slug right here
            .filter(organization__slug=slug, user=user, is_active=True)
            .select_related("organization")
            .first()
        )


def membership_list(*, org, active_only: bool = False) -> QuerySet[Membership]:
    """The organization's members with their user loaded, ordered by username
    (`active_only`: those who may sign in and be chosen as managers)."""
    qs = Membership.objects.for_org(org).select_related("user", "department")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("user__username")


def membership_get(*, org, pk) -> Membership:
    """One member of the organization, or 404 (also for another tenant's id)."""
    return tenancy.get_or_404(membership_list(org=org), pk)


def department_list(*, org, active_only: bool = False) -> QuerySet[Department]:
    """Departments with their parent and managers loaded, ordered by code."""
    qs = (
        Department.objects.for_org(org)
        .select_related("parent")
        .prefetch_related(
            Prefetch("managers", queryset=get_user_model().objects.order_by("username"))
        )
        .annotate(child_count=Count("children", distinct=True))
    )
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("code")


def department_get(*, org, pk) -> Department:
    """One department of the organization, or 404 (also for another tenant's id)."""
    return tenancy.get_or_404(department_list(org=org), pk)


def department_tree(*, org) -> list[tuple[Department, int]]:
    """Departments in tree order with their depth, for the tree page (fixed queries)."""
    by_parent: dict[int | None, list[Department]] = {}
    for d in department_list(org=org):
        by_parent.setdefault(d.parent_id, []).append(d)
    ordered: list[tuple[Department, int]] = []

    def walk(parent_id: int | None, level: int) -> None:
        for child in by_parent.get(parent_id, []):
            ordered.append((child, level))
            walk(child.pk, level + 1)

    walk(None, 0)
    return ordered


def subtree_ids(*, org, department_id: int) -> list[int]:
    """The department and all below it."""
    return list(
        DepartmentClosure.objects.for_org(org)
        .filter(ancestor_id=department_id)
        .values_list("descendant_id", flat=True)
    )
