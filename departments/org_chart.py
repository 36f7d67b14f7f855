"""Bulk writes of the org chart: departments, people, managers and platform identities in a
fixed number of queries, whatever the number of people (the org-chart import of the
orgchart app calls `org_chart_apply` once, with what it has already checked).

The same rules as the one-at-a-time services (departments.services): a department is
validated by its model's fields, its closure rows are rebuilt for the tree, metrics marks
the changed departments (`scoring_inputs_changed`, once) and gives new management
departments their computed KPIs (`department_saved`), the dashboards go stale. Nothing is
deleted: people and departments missing from a file stay; deactivating members is
`members_deactivate`, an action of its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from perfhub.cache_versions import dashboard_stale

from . import switcher
from .models import (
    Department,
    DepartmentClosure,
    DepartmentManager,
    MemberIdentity,
    Membership,
    Organization,
    Role,
)
from .permissions import can_manage_members
from .signals import department_saved, scoring_inputs_changed

User = get_user_model()

_NOT_CHECKED = ["organization", "parent"]  # ours: no query per row


@dataclass(slots=True)
class DepartmentWrite:
    """A department to create (`pk` None) or to change (`changes`: field → new value; a
    new `parent` is the code of the parent, which may itself be created in the same call)."""

    code: str
    pk: int | None = None
    name: str = ""
    name_en: str = ""
    kind: str = ""
    function: str = ""
    parent: str | None = None
    changes: dict = field(default_factory=dict)


@dataclass(slots=True)
class PersonWrite:
    """A person to create (`user_id` None: a new account with an unusable password) or a
    member to update (only the membership's fields; a blank given or family name of the
    account is filled in, never overwritten). Departments are given by code."""

    user_id: int | None = None
    membership_id: int | None = None
    username: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    role: str = Role.MANAGER
    is_active: bool = True
    department: str | None = None
    title: str = ""
    mobile: str = ""
    identity: tuple[str, str] | None = None
    manages: list[str] = field(default_factory=list)
    fill_names: bool = False


@dataclass(slots=True)
class ApplyResult:
    departments_created: int = 0
    departments_changed: int = 0
    people_created: int = 0
    people_changed: int = 0
    created_user_ids: list[int] = field(default_factory=list)


@transaction.atomic
def org_chart_apply(
    *,
    org: Organization,
    by,
    departments: Iterable[DepartmentWrite],
    people: Iterable[PersonWrite],
) -> ApplyResult:
    """Create and change departments, then people (accounts, memberships, names,
    identities, managed departments), all or nothing. The caller has checked the rows
    against the organization (codes, usernames, ids); a field that still fails its
    model's validation raises ValidationError and nothing is written."""
    result = ApplyResult()
    by_code = {d.code: d for d in Department.objects.for_org(org)}
    touched = _departments_write(org, list(departments), by_code, result)
    _people_write(org, list(people), by_code, result)
    if touched:
        ids = {d.pk for d in touched} | {d.parent_id for d in touched if d.parent_id}
        for department in touched:
            department_saved.send(sender=Department, organization=org, department=department)
        scoring_inputs_changed.send(sender=Department, organization=org, departments=sorted(ids))
        dashboard_stale(org.pk)
    return result


def _departments_write(org, writes, by_code, result) -> list[Department]:
    creates = [w for w in writes if w.pk is None]
    changes = [w for w in writes if w.pk is not None and w.changes]
    # New departments level by level, parents first: a parent's id is known before its
    # children are inserted (one INSERT per level of the new part of the tree).
    pending = {w.code: w for w in creates}
    created: list[Department] = []
    while pending:
        level = [w for w in pending.values() if w.parent is None or w.parent not in pending]
        if not level:  # a cycle among new departments: the caller checks, this is a guard
            raise ValidationError({"parent": [_("The departments' parents make a cycle.")]})
        rows = []
        for w in level:
            parent = by_code.get(w.parent) if w.parent else None
            department = Department(
                organization=org,
                code=w.code,
                name=w.name,
                name_en=w.name_en,
                kind=w.kind,
                function=w.function,
                parent=parent,
            )
            # Field rules only: the organization and parent are ours (no query per row), the
            # codes were checked against the organization and the file by the caller.
            department.full_clean(
                exclude=_NOT_CHECKED, validate_unique=False, validate_constraints=False
            )
            rows.append(department)
        for department in Department.objects.bulk_create(rows):
            by_code[department.code] = department
            created.append(department)
        for w in level:
            del pending[w.code]
    changed: list[Department] = []
    fields: set[str] = set()
    for w in changes:
        department = by_code[w.code]
        for name, value in w.changes.items():
            if name == "parent":
                department.parent = by_code[value] if value else None
                fields.add("parent")
            else:
                setattr(department, name, value)
                fields.add(name)
        department.full_clean(
            exclude=_NOT_CHECKED, validate_unique=False, validate_constraints=False
        )
        changed.append(department)
    if changed:
        Department.objects.for_org(org).bulk_update(changed, sorted(fields))
    if created or any("parent" in w.changes for w in changes):
        closure_rebuild(org)
    result.departments_created = len(created)
    result.departments_changed = len(changed)
    return created + changed


def closure_rebuild(org) -> None:
    """Make the closure table match the tree (the parents of every department): two reads,
    one DELETE of the rows that no longer hold, one INSERT of the missing ones."""
    parents = dict(Department.objects.for_org(org).values_list("pk", "parent_id"))
    wanted: dict[tuple[int, int], int] = {}
    for pk in parents:
        depth, seen = 0, set()
        node: int | None = pk
        while node is not None and node not in seen:
            seen.add(node)
            wanted[(node, pk)] = depth
            node, depth = parents.get(node), depth + 1
    closure = DepartmentClosure.objects.for_org(org)
    existing = {
        (a, d): (pk, depth)
        for pk, a, d, depth in closure.values_list("pk", "ancestor_id", "descendant_id", "depth")
    }
    stale = [pk for key, (pk, depth) in existing.items() if wanted.get(key) != depth]
    if stale:
        closure.filter(pk__in=stale).delete()
    DepartmentClosure.objects.bulk_create(
        DepartmentClosure(organization=org, ancestor_id=a, descendant_id=d, depth=depth)
        for (a, d), depth in wanted.items()
        if existing.get((a, d), (None, None))[1] != depth
    )


def _people_write(org, people: list[PersonWrite], by_code, result) -> None:
    if not people:
        return
    new = [p for p in people if p.user_id is None]
    users = [
        User(
            username=p.username,
            email=p.email,
            first_name=p.first_name,
            last_name=p.last_name,
            password=make_password(None),  # unusable: a set-password link or sign-on
        )
        for p in new
    ]
    for user in users:
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    users = User.objects.bulk_create(users)
    for person, user in zip(new, users, strict=True):
        person.user_id = user.pk
    known = {id(p): _user_id(p) for p in people}
    result.created_user_ids = [u.pk for u in users]
    result.people_created = len(users)

    def department_id(code):
        return by_code[code].pk if code else None

    Membership.objects.bulk_create(
        Membership(
            organization=org,
            user_id=known[id(p)],
            role=p.role,
            is_active=True,
            department_id=department_id(p.department),
            title=p.title,
            mobile=p.mobile,
        )
        for p in new
    )
    existing = [p for p in people if p.membership_id is not None]
    if existing:
        memberships = Membership.objects.for_org(org).in_bulk([p.membership_id for p in existing])
        changed = []
        for p in existing:
            m = memberships[p.membership_id]
            m.role, m.is_active, m.title, m.mobile = p.role, p.is_active, p.title, p.mobile
            m.department_id = department_id(p.department)
            changed.append(m)
        Membership.objects.for_org(org).bulk_update(
            changed, ["role", "is_active", "department", "title", "mobile"]
        )
        switcher.forget([p.user_id for p in existing])
        named = [p for p in existing if p.fill_names]
        if named:
            accounts = User.objects.in_bulk([p.user_id for p in named])
            for p in named:
                account = accounts[p.user_id]
                account.first_name = account.first_name or p.first_name
                account.last_name = account.last_name or p.last_name
            User.objects.bulk_update(list(accounts.values()), ["first_name", "last_name"])
        result.people_changed = len(existing)
    MemberIdentity.objects.bulk_create(
        MemberIdentity(
            organization=org, user_id=known[id(p)], provider=p.identity[0], uid=p.identity[1]
        )
        for p in people
        if p.identity
    )
    managers = {(by_code[code].pk, known[id(p)]) for p in people for code in p.manages}
    if managers:
        present = set(
            DepartmentManager.objects.for_org(org)
            .filter(department_id__in={d for d, _u in managers})
            .values_list("department_id", "user_id")
        )
        DepartmentManager.objects.bulk_create(
            DepartmentManager(organization=org, department_id=d, user_id=u)
            for d, u in sorted(managers - present)
        )


def _user_id(person: PersonWrite) -> int:
    if person.user_id is None:  # set for every person once the new accounts are inserted
        raise ValueError("person without an account")
    return person.user_id


@transaction.atomic
def members_deactivate(*, org: Organization, by, by_membership, membership_ids) -> int:
    """Deactivate members (people who left): they can no longer open the organization, stop
    managing its departments and are no longer offered as managers; their history stays.
    Never oneself; an admin only by an admin; never the last active admin. Returns how many
    were deactivated (those already inactive are left as they are)."""
    members = list(
        Membership.objects.for_org(org)
        .filter(pk__in=list(membership_ids), is_active=True)
        .select_related("user")
    )
    if any(m.user_id == by.pk for m in members):
        raise ValidationError({"members": [_("You cannot deactivate yourself.")]})
    admins = [m for m in members if m.role == Role.ADMIN]
    if admins and not can_manage_members(by_membership):
        raise ValidationError(
            {"members": [_("Only an administrator can deactivate an administrator.")]}
        )
    if admins:
        active_admins = (
            Membership.objects.for_org(org).filter(role=Role.ADMIN, is_active=True).count()
        )
        if active_admins - len(admins) < 1:
            raise ValidationError({"members": [_("The organization needs at least one admin.")]})
    if not members:
        return 0
    user_ids = [m.user_id for m in members]
    DepartmentManager.objects.for_org(org).filter(user_id__in=user_ids).delete()
    Membership.objects.for_org(org).filter(pk__in=[m.pk for m in members]).update(is_active=False)
    switcher.forget(user_ids)
    dashboard_stale(org.pk)  # the departments' managers shown on the dashboards
    return len(members)
