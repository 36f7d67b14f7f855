"""Reads of actions on red KPIs and goals behind plan (issue 19 "Action plans"), and the
follow-up the scorecard, the dashboard and the home page show: red KPIs without an action,
overdue actions and actions closed in the period. Each runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from departments.models import Membership
from perfhub.names import display_name
from perfhub.tenancy import get_or_404

from ..models import ACTION_ACTIVE, Action, ActionStatus, ScorecardLine, Status

ACTION_RELATED = (
    "owner",
    "created_by",
    "department",
    "period",
    "kpi__indicator",
    "kpi__department",
    "goal",
)


def visible_actions(qs: QuerySet, *, department_ids=None, user=None) -> QuerySet:
    """Narrow actions to what a member sees (departments.permissions.can_view_action):
    every action when `department_ids` is None; else those of these departments, those on
    company goals (every member sees goals) and those the `user` owns."""
    if department_ids is None:
        return qs
    seen = Q(department_id__in=department_ids) | Q(department__isnull=True)
    if user is not None:
        seen |= Q(owner_id=user.pk)
    return qs.filter(seen)


def action_list(
    *,
    org,
    department_ids=None,
    user=None,
    status: str | None = None,
    owner_id: int | None = None,
    department_id: int | None = None,
    period_id: int | None = None,
    kpi_id: int | None = None,
    goal_id: int | None = None,
    overdue: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Action]:
    """The organization's actions a member sees (`department_ids`, `user`: see
    visible_actions), with their owner, subject and period loaded, soonest due first;
    narrowed by status ("active": open or in progress; "closed": done or dropped), owner,
    department, period, KPI or goal, and to the overdue ones (still active, due before
    `today`)."""
    qs = visible_actions(
        Action.objects.for_org(org).select_related(*ACTION_RELATED),
        department_ids=department_ids,
        user=user,
    )
    if status == "active":
        qs = qs.filter(status__in=ACTION_ACTIVE)
    elif status == "closed":
        qs = qs.exclude(status__in=ACTION_ACTIVE)
    elif status:
        qs = qs.filter(status=status)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if kpi_id is not None:
        qs = qs.filter(kpi_id=kpi_id)
    if goal_id is not None:
        qs = qs.filter(goal_id=goal_id)
    if overdue:
        qs = overdue_filter(qs, today=today)
    return qs.order_by("due_date", "pk")


def overdue_filter(qs: QuerySet, *, today: dt.date | None = None) -> QuerySet:
    """Actions still open or in progress whose due date has passed."""
    return qs.filter(status__in=ACTION_ACTIVE, due_date__lt=today or timezone.localdate())


def action_get(*, org, pk) -> Action:
    """One action of the organization with what action_list loads, or 404 (also for
    another tenant's id)."""
    return get_or_404(Action.objects.for_org(org).select_related(*ACTION_RELATED), pk)


def covered_lines_q() -> Exists:
    """A KPI line that has an action: one of its own period, or one still open or in
    progress on the same KPI from any period (the plan still running covers it)."""
    return Exists(
        Action.objects.filter(
            organization_id=OuterRef("organization_id"), kpi_id=OuterRef("kpi_id")
        ).filter(Q(period_id=OuterRef("period_id")) | Q(status__in=ACTION_ACTIVE))
    )


def red_without_action(*, org, period, department_ids=None) -> list[ScorecardLine]:
    """The period's red KPI lines of active departments and KPIs that no action covers
    (covered_lines_q), by department then indicator code; KPI, indicator and department
    loaded (one query)."""
    lines = (
        ScorecardLine.objects.for_org(org)
        .filter(
            period_id=period.pk,
            status=Status.RED,
            department__is_active=True,
            kpi__is_active=True,
        )
        .exclude(covered_lines_q())
        .select_related("kpi__indicator", "department", "period")
        .order_by("department__code", "kpi__indicator__code")
    )
    if department_ids is not None:
        lines = lines.filter(department_id__in=department_ids)
    return list(lines)


def closed_in(*, org, period, department_ids=None, user=None) -> list[Action]:
    """Actions done or dropped during the period (their closed_at date within it), most
    recent first (one query)."""
    return list(
        action_list(org=org, department_ids=department_ids, user=user, status="closed")
        .filter(closed_at__date__gte=period.start, closed_at__date__lte=period.end)
        .order_by("-closed_at", "pk")
    )


@dataclass
class FollowUp:
    """What follows through on red KPIs: the period's red lines without an action, the
    overdue actions (whatever their period) and the actions closed during the period."""

    period: object = None
    red_without: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    closed: list = field(default_factory=list)
    done_count: int = 0

    @property
    def count(self) -> int:
        return len(self.red_without) + len(self.overdue)


def follow_up(
    *, org, period, department_ids=None, user=None, today: dt.date | None = None
) -> FollowUp:
    """The follow-up of `period` for the departments a member sees (`department_ids`,
    None: all; `user`: also the actions they own): three queries."""
    if period is None:
        return FollowUp()
    closed = closed_in(org=org, period=period, department_ids=department_ids, user=user)
    return FollowUp(
        period=period,
        red_without=red_without_action(org=org, period=period, department_ids=department_ids),
        overdue=list(
            action_list(
                org=org, department_ids=department_ids, user=user, overdue=True, today=today
            )
        ),
        closed=closed,
        done_count=sum(1 for a in closed if a.status == ActionStatus.DONE),
    )


def attach_line_actions(*, org, period, lines) -> None:
    """Give each line its `actions`: those of its KPI in the period, and those still open
    or in progress on the KPI from other periods (one query)."""
    lines = list(lines)
    if not lines:
        return
    found: dict[int, list] = defaultdict(list)
    rows = (
        Action.objects.for_org(org)
        .filter(kpi_id__in={line.kpi_id for line in lines})
        .filter(Q(period_id=period.pk) | Q(status__in=ACTION_ACTIVE))
        .select_related("owner", "period")
        .order_by("due_date", "pk")
    )
    for action in rows:
        found[action.kpi_id].append(action)
    for line in lines:
        line.actions = found.get(line.kpi_id, [])


def attach_goal_actions(*, org, goals) -> None:
    """Give each goal its `actions` (owner loaded; one query)."""
    goals = list(goals)
    found: dict[int, list] = defaultdict(list)
    if goals:
        rows = (
            Action.objects.for_org(org)
            .filter(goal_id__in=[g.pk for g in goals])
            .select_related("owner")
            .order_by("due_date", "pk")
        )
        for action in rows:
            found[action.goal_id].append(action)
    for goal in goals:
        goal.actions = found.get(goal.pk, [])


def member_choices(*, org) -> list[tuple[int, str]]:
    """(user id, display name) of the organization's members, by name: the owners an action
    may have (one query)."""
    rows = Membership.objects.for_org(org).filter(is_active=True).select_related("user")
    choices = [(m.user_id, display_name(m.user)) for m in rows]
    return sorted(choices, key=lambda c: (c[1].lower(), c[0]))


def member_user(*, org, user_id: int | None):
    """The user of the organization's member `user_id`, else None (the service then names
    the owner field): one query."""
    if user_id is None:
        return None
    membership = (
        Membership.objects.for_org(org)
        .filter(is_active=True)
        .filter(user_id=user_id)
        .select_related("user")
    )
    found = membership.first()
    return found.user if found is not None else None
