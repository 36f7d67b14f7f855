"""Reads of the home page (issue 16 §1): each role's to-do list, with counts and the
period each item is about. Every function runs a fixed number of queries whatever the
number of departments, KPIs or periods (tests/reviews/test_home.py pins them); the view
asks only for the sections of the member's roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F
from django.utils import timezone

from departments.models import DepartmentKind
from departments.permissions import managed_department_ids
from departments.selectors import department_list
from grades.models import AppealState, GradeAppeal
from metrics import selectors as metric_selectors
from metrics.models import Actual, PeriodKind, PeriodStatus
from scorecards.models import Scorecard, Status
from scorecards.selectors.actions import FollowUp, action_list, follow_up
from scorecards.selectors.compare import POP, index_comparisons
from scorecards.selectors.scorecards import (
    latest_month_with_data,
    latest_period_with_data,
    org_scorecard,
)

from .models import Feedback, Notification, ReviewStatus, StepRole
from .selectors import review_list
from .services.feedback import feedback_period_kind
from .services.reminders import REMINDER_KEY_PREFIX

INDICES = ("company_index", "management_index", "business_index")


@dataclass
class ManagerTodo:
    """A manager's to-do: this period's missing values (per department) and due date, the
    reviews returned to them, the ratings their business departments have still to give,
    and the last reminder HR sent them about this period."""

    period: object = None
    missing: list = field(default_factory=list)  # Completeness rows with missing values
    missing_count: int = 0
    overdue: bool = False
    returned: list = field(default_factory=list)
    feedback_period: object = None
    feedback_missing: list = field(default_factory=list)  # (rater, [rated, ...])
    feedback_missing_count: int = 0
    reminded_at: dt.datetime | None = None

    @property
    def count(self) -> int:
        return self.missing_count + len(self.returned) + self.feedback_missing_count


def manager_todo(*, org, membership, user, today: dt.date | None = None) -> ManagerTodo:
    """The manager's to-do over the departments they manage (twelve queries; fewer when there
    is no open month)."""
    today = today or timezone.localdate()
    managed = managed_department_ids(membership)
    todo = ManagerTodo()
    period = metric_selectors.current_period(org=org, kind=PeriodKind.MONTH, today=today)
    if period is not None:
        report = metric_selectors.completeness(org=org, period=period, today=today)
        todo.period = period
        todo.overdue = report["late"]
        todo.missing = [r for r in report["rows"] if r.missing and r.department.pk in managed]
        todo.missing_count = sum(len(r.missing) for r in todo.missing)
        todo.reminded_at = (
            Notification.objects.for_org(org)
            .filter(user=user, key__startswith=f"{REMINDER_KEY_PREFIX}{period.pk}:")
            .order_by("-sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
    todo.returned = list(review_list(org=org, department_ids=managed, status=ReviewStatus.RETURNED))
    feedback_period = metric_selectors.period_pick(
        org=org,
        kind=feedback_period_kind(org),
        defaults=(metric_selectors.PICK_ENDED,),
        today=today,
    )
    if feedback_period is not None and not feedback_period.is_locked:
        departments = list(department_list(org=org, active_only=True))
        raters = [d for d in departments if d.kind == DepartmentKind.BUSINESS and d.pk in managed]
        rated = [d for d in departments if d.kind == DepartmentKind.MANAGEMENT]
        given = set(
            Feedback.objects.for_org(org)
            .filter(period=feedback_period, rater_department__in=raters)
            .values_list("rater_department_id", "rated_department_id")
        )
        todo.feedback_period = feedback_period
        todo.feedback_missing = [
            (rater, missing)
            for rater in raters
            if (missing := [d for d in rated if (rater.pk, d.pk) not in given])
        ]
        todo.feedback_missing_count = sum(len(m) for _r, m in todo.feedback_missing)
    return todo


@dataclass(frozen=True)
class PeriodAttention:
    """A period HR should look at: ended but still open (to lock), or locked with values
    missing (entered by nobody: reopen or accept)."""

    period: object
    reason: str  # "unlocked" | "missing"
    missing: int = 0


@dataclass
class HrTodo:
    period: object = None
    late: list = field(default_factory=list)  # Completeness rows with missing values
    overdue: bool = False
    no_manager: list = field(default_factory=list)  # active departments without a manager
    periods: list = field(default_factory=list)  # PeriodAttention
    waiting: list = field(default_factory=list)  # reviews at an HR step
    appeals: list = field(default_factory=list)  # appeals of grades waiting for a decision

    @property
    def remindable(self) -> list:
        return [r for r in self.late if r.managers]

    @property
    def count(self) -> int:
        return (
            len(self.late)
            + len(self.no_manager)
            + len(self.periods)
            + len(self.waiting)
            + len(self.appeals)
        )


def hr_todo(*, org, today: dt.date | None = None, max_periods: int = 6) -> HrTodo:
    """HR's to-do: the departments still missing values of this month (late once it is
    due), the active departments without a manager, and at most `max_periods` periods
    needing attention, most recent first: ended but unlocked, or locked with values missing,
    the reviews waiting at an HR step and the appeals of grades to decide (twelve queries)."""
    today = today or timezone.localdate()
    todo = HrTodo()
    period = metric_selectors.current_period(org=org, kind=PeriodKind.MONTH, today=today)
    if period is not None:
        report = metric_selectors.completeness(org=org, period=period, today=today)
        todo.period, todo.overdue = period, report["late"]
        todo.late = [r for r in report["rows"] if r.missing]
    departments = list(department_list(org=org, active_only=True))
    todo.no_manager = [d for d in departments if not d.managers.all()]
    todo.periods = _periods_needing_attention(org=org, today=today)[:max_periods]
    todo.waiting = list(review_list(org=org, step_role=StepRole.HR))
    todo.appeals = open_appeals(org=org)
    return todo


def open_appeals(*, org) -> list:
    """The appeals of published grades waiting for HR's or an executive's decision, oldest
    first (one query)."""
    return list(
        GradeAppeal.objects.for_org(org)
        .filter(state=AppealState.OPEN)
        .select_related("department", "calibration__period")
        .order_by("raised_at", "pk")
    )


def _periods_needing_attention(*, org, today: dt.date) -> list[PeriodAttention]:
    """Ended periods still open, and locked periods with fewer actuals than the KPIs of
    their kind expect now (three queries: periods, KPIs per kind, actuals per period)."""
    ended = list(
        metric_selectors.period_list(org=org).filter(end__lt=today).order_by("-end", "start")
    )
    expected = metric_selectors.entry_kpi_counts(org=org)
    entered = dict(_entered_per_period(org=org, today=today))
    found = []
    for p in ended:
        if p.status == PeriodStatus.OPEN:
            found.append(PeriodAttention(period=p, reason="unlocked"))
        else:
            missing = expected.get(p.kind, 0) - entered.get(p.pk, 0)
            if missing > 0:
                found.append(PeriodAttention(period=p, reason="missing", missing=missing))
    return found


def _entered_per_period(*, org, today: dt.date) -> list[tuple[int, int]]:
    """(period id, number of actuals of active typed KPIs whose frequency is the period's
    kind) for the locked periods that have ended (always one query)."""
    return list(
        Actual.objects.for_org(org)
        .filter(
            period__status=PeriodStatus.LOCKED,
            period__end__lt=today,
            kpi__is_active=True,
            kpi__department__is_active=True,
            kpi__indicator__is_computed=False,
            kpi__indicator__frequency=F("period__kind"),
        )
        .exclude(kpi__indicator__aggregation="formula")
        .values("period_id")
        .annotate(n=Count("pk"))
        .values_list("period_id", "n")
        .order_by()
    )


@dataclass(frozen=True)
class IndexChange:
    name: str  # company_index | management_index | business_index
    value: Decimal | None
    change: Decimal | None  # None without a previous value

    @property
    def direction(self) -> str:
        if self.change is None or self.change == 0:
            return "flat"
        return "up" if self.change > 0 else "down"


@dataclass
class ExecutiveTodo:
    period: object = None
    previous: object = None
    indices: list = field(default_factory=list)  # IndexChange
    waiting: list = field(default_factory=list)  # reviews at an executive's step
    turned_red: list = field(default_factory=list)  # Scorecards red now, not red before
    appeals: list = field(default_factory=list)  # appeals of grades waiting for a decision

    @property
    def count(self) -> int:
        return len(self.waiting) + len(self.turned_red) + len(self.appeals)


def executive_todo(*, org) -> ExecutiveTodo:
    """The executive's to-do: the indices of the latest month with scores (one that has
    ended, as the dashboard opens on it; else the running month) and their change
    from the month before, the reviews waiting at an executive's step, and the departments
    that turned red in that month, and the appeals of grades to decide (seven queries)."""
    todo = ExecutiveTodo()
    todo.waiting = list(review_list(org=org, step_role=StepRole.EXECUTIVE))
    todo.appeals = open_appeals(org=org)
    period = latest_period_with_data(
        org=org, kind=PeriodKind.MONTH, ended_before=timezone.localdate()
    ) or latest_period_with_data(org=org, kind=PeriodKind.MONTH)
    if period is None:
        return todo
    current = org_scorecard(org=org, period_id=period.pk)
    found = index_comparisons(org=org, period=period, current=current, compares=[POP])[POP]
    previous = found["previous"]
    todo.period = period
    todo.previous = previous.period_id if previous else None
    for name in INDICES:
        delta = found["indices"][name]
        todo.indices.append(IndexChange(name=name, value=delta.now, change=delta.change))
    red = list(
        Scorecard.objects.for_org(org)
        .filter(period=period, status=Status.RED, department__is_active=True)
        .select_related("department")
        .order_by("score", "department__code")
    )
    before = set()
    if previous is not None and red:
        before = set(
            Scorecard.objects.for_org(org)
            .filter(
                period_id=previous.period_id,
                status=Status.RED,
                department_id__in=[c.department_id for c in red],
            )
            .values_list("department_id", flat=True)
        )
    todo.turned_red = [c for c in red if c.department_id not in before]
    return todo


def actions_follow_up(*, org, department_ids=None, user=None) -> FollowUp:
    """The follow-up of red KPIs (issue 19) in the month the dashboard opens on: its red
    KPIs without an action, the overdue actions and those closed in it, over the
    `department_ids` (None: all) and the actions `user` owns (four queries)."""
    period = latest_month_with_data(org=org, kind=PeriodKind.MONTH)
    return follow_up(org=org, period=period, department_ids=department_ids, user=user)


def my_open_actions(*, org, user) -> int:
    """How many actions the user owns that are still open or in progress (one query)."""
    return action_list(org=org, owner_id=user.pk, status="active").count()


@dataclass
class SignOffTodo:
    """Values that need sign-off: how many await this member's confirmation, and the
    values they entered that were rejected (with the reason)."""

    to_confirm: int = 0
    rejected: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.to_confirm + len(self.rejected)


def sign_off_todo(*, org, membership, user) -> SignOffTodo:
    """Two queries: the count of the member's queue and their rejected values."""
    return SignOffTodo(
        to_confirm=metric_selectors.pending_actuals(org=org, membership=membership).count(),
        rejected=list(metric_selectors.rejected_actuals(org=org, user=user)[:20]),
    )
