"""Reads of grades (SPEC §9): the organization's scale and policy, the graded periods and
a calibration's board (every department's score, computed and final grade, and each
group's distribution against the guideline), live while open, frozen once published."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from departments import selectors as dept_selectors
from departments.models import Department, DepartmentKind
from metrics.models import Period, PeriodKind
from scorecards.models import Scorecard

from . import rules
from .models import (
    Calibration,
    CalibrationEvent,
    CalibrationGrade,
    CalibrationState,
    GradeAppeal,
    GradeBand,
    GradingPolicy,
    Grouping,
)


def policy_get(*, org) -> GradingPolicy:
    """The organization's policy (an unsaved one with the defaults until HR saves one)."""
    policy = GradingPolicy.objects.for_org(org).first()
    return policy if policy is not None else GradingPolicy(organization=org)


def scale_get(*, org) -> list[rules.Band]:
    """The organization's scale, best grade first (the default scale until HR saves one)."""
    rows = list(GradeBand.objects.for_org(org).order_by("position"))
    if not rows:
        return list(rules.DEFAULT_SCALE)
    return [
        rules.Band(
            label=r.label,
            lowest=r.lowest_score,
            coefficient=r.coefficient,
            share_kind=r.share_kind,
            share_percent=r.share_percent,
        )
        for r in rows
    ]


def graded_kinds(policy: GradingPolicy) -> list[str]:
    kinds: list[str] = []
    if policy.grade_months:
        kinds.append(PeriodKind.MONTH)
    if policy.grade_quarters:
        kinds.append(PeriodKind.QUARTER)
    if policy.grade_years:
        kinds.append(PeriodKind.YEAR)
    return kinds


def calibration_list(*, org):
    return Calibration.objects.for_org(org).select_related("period", "published_by", "opened_by")


def calibration_get(*, org, pk) -> Calibration:
    return calibration_list(org=org).get(pk=pk)


def graded_periods(*, org, policy: GradingPolicy | None = None):
    """The periods of the kinds the organization grades that have started, newest first,
    with their calibration (or None)."""
    from django.utils import timezone

    policy = policy or policy_get(org=org)
    periods = list(
        Period.objects.for_org(org)
        .filter(kind__in=graded_kinds(policy), start__lte=timezone.localdate())
        .order_by("-start", "end")
    )
    by_period = {c.period_id: c for c in calibration_list(org=org)}
    return [(p, by_period.get(p.pk)) for p in periods]


@dataclass
class BoardRow:
    department: Department
    group: str
    score: Decimal | None
    computed: str | None
    final: str | None
    coefficient: Decimal | None
    reason: str = ""
    moved_by: object = None
    appeal: GradeAppeal | None = None

    @property
    def moved(self) -> bool:
        return self.final != self.computed


@dataclass
class Board:
    calibration: Calibration | None
    period: Period
    bands: list[rules.Band]
    policy: GradingPolicy
    rows: list[BoardRow]
    checks: list[rules.GroupCheck]
    events: list[CalibrationEvent] = field(default_factory=list)
    appeals: dict[int, GradeAppeal] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def published(self) -> bool:
        return self.calibration is not None and self.calibration.state == CalibrationState.PUBLISHED

    @property
    def moved(self) -> list[BoardRow]:
        return [r for r in self.rows if r.final is not None and r.moved]


def plain_coefficient(value: Decimal | None) -> Decimal | None:
    """A coefficient as people write it: 1.15, 1.0, 0.8 (never 1.150 or 1)."""
    if value is None:
        return None
    value = value.normalize()
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal("0.1")) if isinstance(exponent, int) and exponent > -1 else value


def group_of(department, policy: GradingPolicy) -> str:
    return "company" if policy.grouping == Grouping.COMPANY else department.kind


def group_order(policy: GradingPolicy) -> list[str]:
    if policy.grouping == Grouping.COMPANY:
        return ["company"]
    return [DepartmentKind.MANAGEMENT, DepartmentKind.BUSINESS]


def department_score(card: Scorecard | None) -> Decimal | None:
    """The score a department is graded on: its rolled-up score (which for a department
    without children is its own); none when nothing was scored (coverage 0)."""
    if card is None or not card.coverage:
        return None
    return card.rolled_up_score if card.rolled_up_score is not None else card.score


def calibration_board(
    *, org, period: Period, calibration: Calibration | None = None, department_ids=None
) -> Board:
    """Every active department's grade in the period (or only `department_ids`' rows, the
    groups' checks still over every department): while the calibration is open (or none
    is), computed from the stored scorecards with the moves made; once published, as frozen.
    A fixed number of queries."""
    policy = policy_get(org=org)
    bands = scale_get(org=org)
    if calibration is None:
        calibration = Calibration.objects.for_org(org).filter(period=period).first()
    departments = list(dept_selectors.department_list(org=org, active_only=True))
    stored = (
        {
            g.department_id: g
            for g in CalibrationGrade.objects.for_org(org)
            .filter(calibration=calibration)
            .select_related("moved_by")
        }
        if calibration is not None
        else {}
    )
    published = calibration is not None and calibration.state == CalibrationState.PUBLISHED
    rows = []
    if published:
        by_id = {d.pk: d for d in dept_selectors.department_list(org=org)}
        for dept_id, g in stored.items():
            department = by_id.get(dept_id)
            if department is None:
                continue
            rows.append(
                BoardRow(
                    department=department,
                    group=g.group,
                    score=g.score,
                    computed=g.computed or None,
                    final=g.final or None,
                    coefficient=plain_coefficient(g.coefficient),
                    reason=g.reason,
                    moved_by=g.moved_by,
                )
            )
    else:
        cards = {c.department_id: c for c in Scorecard.objects.for_org(org).filter(period=period)}
        for department in departments:
            score = department_score(cards.get(department.pk))
            computed = rules.computed_grade(score, bands)
            move = stored.get(department.pk)
            final = computed
            if computed is not None and move is not None and move.moved_to:
                final = move.moved_to
            rows.append(
                BoardRow(
                    department=department,
                    group=group_of(department, policy),
                    score=score,
                    computed=computed,
                    final=final,
                    coefficient=plain_coefficient(rules.coefficient_of(final, bands)),
                    reason=move.reason if move is not None and final != computed else "",
                    moved_by=move.moved_by if move is not None and final != computed else None,
                )
            )
    order = {g: i for i, g in enumerate(group_order(policy))}
    rows.sort(
        key=lambda r: (
            order.get(r.group, len(order)),
            r.score is None,
            -(r.score or 0),
            r.department.code,
        )
    )
    checks = rules.check_groups(
        {r.department.pk: r.final for r in rows},
        {r.department.pk: r.group for r in rows},
        bands,
        group_order(policy),
    )
    if department_ids is not None:
        rows = [r for r in rows if r.department.pk in department_ids]
    events = (
        list(
            CalibrationEvent.objects.for_org(org)
            .filter(calibration=calibration)
            .select_related("by", "department")
        )
        if calibration is not None
        else []
    )
    appeals = (
        {
            a.department_id: a
            for a in GradeAppeal.objects.for_org(org)
            .filter(calibration=calibration)
            .select_related("raised_by", "resolved_by")
        }
        if calibration is not None
        else {}
    )
    for row in rows:
        row.appeal = appeals.get(row.department.pk)
    return Board(calibration, period, bands, policy, rows, checks, events, appeals)


def grade_list(*, org, period=None, department_ids=None):
    """Published grades (payroll's export and the API): frozen rows of published
    calibrations, newest period first."""
    rows = (
        CalibrationGrade.objects.for_org(org)
        .filter(calibration__state=CalibrationState.PUBLISHED)
        .select_related("department", "calibration__period")
        .order_by("-calibration__period__start", "calibration__period__end", "department__code")
    )
    if period is not None:
        rows = rows.filter(calibration__period=period)
    if department_ids is not None:
        rows = rows.filter(department_id__in=department_ids)
    return rows


def appeal_list(*, org, calibration, department_ids=None):
    """A calibration's appeals by department code, with their department and people loaded
    (one query); only `department_ids`' when given (None: every department, as
    `departments.permissions.visible_department_ids` returns it)."""
    rows = (
        GradeAppeal.objects.for_org(org)
        .filter(calibration=calibration)
        .select_related("department", "raised_by", "resolved_by")
        .order_by("department__code", "pk")
    )
    if department_ids is not None:
        rows = rows.filter(department_id__in=department_ids)
    return rows
