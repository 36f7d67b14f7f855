"""The incremental roll-up (a run recomputes only what its marks reach) gives, row for row,
what a full recalculation gives: random sequences of saves, target edits (of the KPI, and of
one month: targets per period), department moves, and locking and reopening periods
(Hypothesis), drained at random points by the real job."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from departments.services import department_update
from metrics import scoring, selectors
from metrics.models import Actual, PendingRecalculation, Period, PeriodStatus
from metrics.services.actuals import ActualInput, ActualsRefused, actuals_save
from metrics.services.kpis import kpi_update
from metrics.services.period_targets import kpi_period_targets_set
from metrics.services.periods import period_lock, period_reopen
from metrics.services.templates import template_apply
from scorecards import rollup, tasks
from scorecards.models import Goal, GoalLink, OrgScorecard, Scorecard, ScorecardLine
from scorecards.services import goal_save
from tests.factories import make_department

pytestmark = pytest.mark.django_db

MONTHS = 4  # the first months of the year: enough for two quarters


def everything(org):
    """Every row the roll-up writes, each stored column but its id and time of computation."""

    def rows(model):
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in {"id", "computed_at", "created_at"}
        ]
        return sorted(model.objects.for_org(org).values_list(*columns), key=repr)

    return {m.__name__: rows(m) for m in (ScorecardLine, Scorecard, OrgScorecard, Goal, GoalLink)}


@pytest.fixture
def world(org, hr, library, periods):
    """A tree (top > north > north_east; top > south; a loose `ops`), KPIs from the
    templates, a goal, some actuals, all computed in full."""
    top = make_department(org, code="top", kind="management", function="hr")
    north = make_department(org, code="north", parent=top)
    south = make_department(org, code="south", parent=top, weight_in_parent=Decimal(2))
    north_east = make_department(org, code="north_east", parent=north)
    ops = make_department(org, code="ops", kind="management", function="hr")
    departments = [top, north, south, north_east, ops]
    sales = selectors.template_list(org=org).get(code="sales_standard")
    hr_tpl = selectors.template_list(org=org).get(code="hr_standard")
    template_apply(template=sales, departments=[north, south, north_east], by=None)
    template_apply(template=hr_tpl, departments=[top, ops], by=None)
    kpis = [
        k
        for k in selectors.kpi_list(org=org).order_by("pk")
        if k.indicator.aggregation != "formula" and not k.indicator.is_computed
    ]
    months = sorted((p for p in periods if p.kind == "month"), key=lambda p: p.start)[:MONTHS]
    goal_save(org=org, by=hr, title="Grow", period=months[0], links=[(kpis[0], 1), (kpis[-1], 2)])
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(k.pk, m.pk, "50", note="n") for k in kpis[::3] for m in months[:2]],
        require_note_for_red=False,
    )
    rollup.recalculate(org=org, period_ids=[p.pk for p in periods])
    PendingRecalculation.objects.for_org(org).delete()
    return {"departments": departments, "kpis": kpis, "months": months}


def drain(org):
    """The real job, as a worker runs it (the marks say what to do)."""
    tasks.recalculate.apply(kwargs={"organization_id": org.pk}).get()


def full(org):
    """The reference: every open period recomputed whole (locked periods keep what they
    were closed with, in both)."""
    open_ids = list(
        Period.objects.for_org(org).filter(status=PeriodStatus.OPEN).values_list("pk", flat=True)
    )
    rollup.recalculate(org=org, period_ids=open_ids)


changes = st.lists(
    st.one_of(
        st.tuples(
            st.just("save"),
            st.integers(0, 200),
            st.integers(0, MONTHS - 1),
            st.integers(0, 150),
        ),
        st.tuples(st.just("target"), st.integers(0, 200), st.integers(1, 120)),
        # a month's own target (0: removed)
        st.tuples(
            st.just("period_target"),
            st.integers(0, 200),
            st.integers(0, MONTHS - 1),
            st.integers(0, 120),
        ),
        st.tuples(st.just("move"), st.integers(0, 4), st.integers(-1, 4)),
        st.tuples(st.just("lock"), st.integers(0, MONTHS - 1)),
        st.tuples(st.just("reopen"), st.integers(0, MONTHS - 1)),
        st.tuples(st.just("drain")),
    ),
    min_size=1,
    max_size=8,
)


def apply(org, hr, world, change) -> None:
    kind, *args = change
    kpis, months, departments = world["kpis"], world["months"], world["departments"]
    if kind == "save":
        kpi, month = kpis[args[0] % len(kpis)], months[args[1]]
        current = Actual.objects.for_org(org).filter(kpi=kpi, period=month).first()
        actuals_save(
            org=org,
            by=hr,
            source="api",
            can_enter=lambda d: True,
            entries=[
                ActualInput(
                    kpi.pk,
                    month.pk,
                    str(args[2]),
                    note="n",
                    version=current.version if current else None,
                )
            ],
            require_note_for_red=False,
        )
    elif kind == "target":
        kpi = kpis[args[0] % len(kpis)]
        kpi.refresh_from_db()
        kpi_update(kpi=kpi, by=hr, target=Decimal(args[1]))
    elif kind == "period_target":
        kpi, month = kpis[args[0] % len(kpis)], months[args[1]]
        kpi.refresh_from_db()
        own = None if args[2] == 0 else scoring.PeriodTarget(Decimal(args[2]))
        kpi_period_targets_set(
            org=org, kpi=kpi, by=hr, fiscal_year=month.fiscal_year, targets={month.pk: own}
        )
    elif kind == "move":
        department = departments[args[0]]
        department.refresh_from_db()
        parent = departments[args[1]] if args[1] >= 0 else None
        department_update(department=department, by=hr, parent=parent)
    elif kind == "lock":
        drain(org)  # what was marked before the lock is computed before it
        period_lock(period=Period.objects.for_org(org).get(pk=months[args[0]].pk), by=hr)
    elif kind == "reopen":
        period_reopen(
            period=Period.objects.for_org(org).get(pk=months[args[0]].pk), by=hr, reason="why"
        )
    else:
        drain(org)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=changes)
def test_incremental_runs_equal_a_full_recalculation_row_for_row(org, hr, world, steps):
    with transaction.atomic():  # each example starts from the same world
        for change in steps:
            try:
                with transaction.atomic():
                    apply(org, hr, world, change)
            except (ValidationError, ActualsRefused):
                pass  # refused (a locked month, a move under itself): nothing changed
        drain(org)
        assert not PendingRecalculation.objects.for_org(org).exists()
        incremental = everything(org)
        full(org)
        assert everything(org) == incremental
        transaction.set_rollback(True)


def test_a_save_recomputes_only_its_departments_lines(org, hr, world):
    """The grain is real: the other departments' lines are not rewritten (their
    computed_at stays)."""
    from django.utils import timezone

    before = timezone.now()
    kpi, month = world["kpis"][0], world["months"][0]
    apply(org, hr, world, ("save", 0, 0, 77))
    drain(org)
    touched = set(
        ScorecardLine.objects.for_org(org)
        .filter(computed_at__gte=before)
        .values_list("department_id", flat=True)
    )
    assert touched == {kpi.department_id}
    cards = Scorecard.objects.for_org(org).filter(computed_at__gte=before)
    assert {c.department_id for c in cards} == {kpi.department_id}
    assert {c.period_id for c in cards} == {
        p.pk for p in Period.objects.for_org(org) if p.start <= month.start and p.end >= month.end
    }


def test_a_burst_over_many_pairs_equals_a_full_recalculation(org, hr, world):
    """Month-end: saves in every department's every month drained by one run. Past
    FEW_PAIRS marked (period, department) pairs the run's statements are hash-joined
    (scorecards.rollup): the same rows as a full recalculation."""
    steps = [
        ("save", k, m, 40 + (7 * k + m) % 50)
        for k in range(0, len(world["kpis"]), 2)
        for m in range(MONTHS)
    ]
    with transaction.atomic():
        for change in steps:
            try:
                with transaction.atomic():
                    apply(org, hr, world, change)
            except ActualsRefused:
                pass  # outside an indicator's bounds: the others still make the burst
        pairs = set(
            PendingRecalculation.objects.for_org(org).values_list("period_id", "department_id")
        )
        assert len(pairs) > rollup.FEW_PAIRS and None not in {d for _p, d in pairs}
        drain(org)
        assert not PendingRecalculation.objects.for_org(org).exists()
        incremental = everything(org)
        full(org)
        assert everything(org) == incremental
        transaction.set_rollback(True)
