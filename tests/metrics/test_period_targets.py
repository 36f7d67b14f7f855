"""Targets per period (issue 20): which periods may have their own target, the service
(all or nothing, every refusal naming its period and field, marks at the grain of the
change) and what the editor offers ("spread evenly", "copy last year's shape")."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from metrics.models import KpiPeriodTarget, PendingRecalculation
from metrics.period_targets import (
    allows_own_target,
    editor_grain,
    split_by_weights,
    split_evenly,
    targets_year,
)
from metrics.scoring import PeriodTarget
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.kpis import kpi_update
from metrics.services.period_targets import kpi_period_targets_set
from metrics.services.periods import period_lock, periods_generate
from tests.factories import make_department

pytestmark = pytest.mark.django_db
D = Decimal
PT = PeriodTarget


class _Ind:
    def __init__(self, aggregation, frequency):
        self.aggregation, self.frequency = aggregation, frequency


class _Kpi:
    def __init__(self, aggregation, frequency, target_period):
        self.indicator = _Ind(aggregation, frequency)
        self.target_period = target_period


@pytest.mark.parametrize(
    "aggregation,frequency,target_period,month,quarter,year,grain",
    [
        ("sum", "month", "quarter", True, True, False, "month"),
        ("sum", "month", "year", True, True, False, "month"),
        ("sum", "quarter", "year", False, True, False, "quarter"),
        ("sum", "year", "year", False, False, False, None),
        ("average", "month", "month", True, True, False, "month"),
        ("average", "month", "quarter", False, True, False, "quarter"),
        ("average", "month", "year", False, False, False, None),
        ("last", "quarter", "quarter", False, True, False, "quarter"),
        ("formula", "month", "month", True, True, False, "month"),
    ],
)
def test_which_periods_may_have_their_own_target(
    aggregation, frequency, target_period, month, quarter, year, grain
):
    kpi = _Kpi(aggregation, frequency, target_period)
    assert allows_own_target(kpi, "month") is month
    assert allows_own_target(kpi, "quarter") is quarter
    assert allows_own_target(kpi, "year") is year
    assert editor_grain(kpi) == grain


@pytest.mark.parametrize(
    "total,n,parts",
    [
        ("20000000", 12, ["1666666.67"] * 11 + ["1666666.63"]),
        ("5000000", 3, ["1666666.67", "1666666.67", "1666666.66"]),
        ("12", 12, ["1"] * 12),
    ],
)
def test_split_evenly_adds_up_exactly(total, n, parts):
    got = split_evenly(D(total), n)
    assert got == [D(p) for p in parts] and sum(got) == D(total)


def test_split_by_weights_adds_up_exactly():
    got = split_by_weights(D("20000000"), [D(1), D(1), D(2)])
    assert got == [D("5000000.00"), D("5000000.00"), D("10000000.00")]
    odd = split_by_weights(D(100), [D(1), D(1), D(1)])
    assert sum(odd) == 100 and odd[0] == D("33.33")


@pytest.fixture
def revenue(sales_kpis):
    """Sales revenue: summed over the months, 5,000,000 per quarter, threshold 0."""
    return sales_kpis["sales_revenue"]


def _month(periods, n):
    return next(p for p in periods if p.kind == "month" and p.number == n)


def _quarter(periods, n):
    return next(p for p in periods if p.kind == "quarter" and p.number == n)


def grain(org):
    return set(PendingRecalculation.objects.for_org(org).values_list("period_id", "department_id"))


def test_saving_a_month_target_marks_its_department_in_the_month_quarter_and_year_only(
    org, hr, sales, revenue, periods
):
    make_department(org, code="ops")
    PendingRecalculation.objects.for_org(org).delete()
    nov = _month(periods, 11)
    kpi_period_targets_set(
        org=org, kpi=revenue, by=hr, fiscal_year=2026, targets={nov.pk: PT(D(2500000))}
    )
    year = next(p for p in periods if p.kind == "year")
    assert grain(org) == {
        (nov.pk, sales.pk),
        (_quarter(periods, 4).pk, sales.pk),
        (year.pk, sales.pk),
    }
    assert not PendingRecalculation.objects.for_org(org).filter(department__isnull=True).exists()


def test_an_unchanged_save_marks_nothing(org, hr, revenue, periods):
    nov = _month(periods, 11)
    kpi_period_targets_set(
        org=org, kpi=revenue, by=hr, fiscal_year=2026, targets={nov.pk: PT(D(2500000))}
    )
    PendingRecalculation.objects.for_org(org).delete()
    kpi_period_targets_set(
        org=org, kpi=revenue, by=hr, fiscal_year=2026, targets={nov.pk: PT(D(2500000))}
    )
    assert grain(org) == set()


def test_save_upserts_and_removes(org, hr, revenue, periods):
    oct_, nov = _month(periods, 10), _month(periods, 11)
    kpi_period_targets_set(
        org=org,
        kpi=revenue,
        by=hr,
        fiscal_year=2026,
        targets={oct_.pk: PT(D(1)), nov.pk: PT(D(2), D(1))},
    )
    kpi_period_targets_set(
        org=org, kpi=revenue, by=hr, fiscal_year=2026, targets={oct_.pk: None, nov.pk: PT(D(3))}
    )
    rows = list(
        KpiPeriodTarget.objects.for_org(org).values_list("period_id", "target", "threshold")
    )
    assert rows == [(nov.pk, D(3), None)]


def _refused(org, kpi, targets, year=2026):
    with pytest.raises(ValidationError) as exc:
        kpi_period_targets_set(org=org, kpi=kpi, by=None, fiscal_year=year, targets=targets)
    assert not KpiPeriodTarget.objects.for_org(org).exists()  # nothing half-saved
    return exc.value.message_dict


def test_a_threshold_on_the_wrong_side_is_refused_naming_the_month_and_nothing_is_saved(
    org, revenue, periods
):
    oct_, nov = _month(periods, 10), _month(periods, 11)
    errors = _refused(
        org, revenue, {oct_.pk: PT(D(1000000)), nov.pk: PT(D(2500000), threshold=D(3000000))}
    )
    assert list(errors) == [f"{nov.pk}.threshold"]
    assert errors[f"{nov.pk}.threshold"][0].startswith("2026-11: ")
    assert "below the target" in errors[f"{nov.pk}.threshold"][0]


def test_a_threshold_equal_to_the_target_is_refused(org, revenue, periods):
    nov = _month(periods, 11)
    errors = _refused(org, revenue, {nov.pk: PT(D(5), threshold=D(5))})
    assert "must differ from the target" in errors[f"{nov.pk}.threshold"][0]


def test_a_quarter_whose_summed_rule_is_wrong_is_refused_naming_it(org, hr, revenue, periods):
    """Each month valid on its own (October's own threshold 0, the others keep the KPI's
    scaled 666,666.67); the quarter's sum 1,410,000 below the KPI's threshold 2,000,000."""
    kpi_update(kpi=revenue, by=hr, threshold=D(2000000))
    months = [_month(periods, n) for n in (10, 11, 12)]
    targets = {
        months[0].pk: PT(D(10000), threshold=D(0)),
        months[1].pk: PT(D(700000)),
        months[2].pk: PT(D(700000)),
    }
    errors = _refused(org, revenue, targets)
    q4 = _quarter(periods, 4)
    assert list(errors) == [f"{q4.pk}.target"]
    assert errors[f"{q4.pk}.target"][0].startswith("FY2026 Q4: ")


def test_a_month_of_a_quarterly_average_is_refused(org, sales_kpis, periods):
    """Customer satisfaction: averaged, target per month here set to quarter: a month is
    not scored, so it cannot have a target of its own."""
    kpi = sales_kpis["customer_satisfaction"]
    kpi_update(kpi=kpi, by=None, target_period="quarter")
    nov = _month(periods, 11)
    errors = _refused(org, kpi, {nov.pk: PT(D(90))})
    assert "cannot have a target of its own" in errors[f"{nov.pk}.period"][0]


def test_the_year_and_other_years_periods_are_refused(org, revenue, periods):
    year = next(p for p in periods if p.kind == "year")
    assert f"{year.pk}.period" in _refused(org, revenue, {year.pk: PT(D(1))})
    other_year = periods_generate(org=org, fiscal_year=2027, by=None)[0]
    assert f"{other_year.pk}.period" in _refused(org, revenue, {other_year.pk: PT(D(1))})


def test_another_organizations_period_is_refused(org, other_org, revenue, periods):
    theirs = periods_generate(org=other_org, fiscal_year=2026, by=None)
    month = next(p for p in theirs if p.kind == "month")
    errors = _refused(org, revenue, {month.pk: PT(D(1))})
    assert list(errors) == [f"{month.pk}.period"]


def test_a_locked_period_refuses_a_change(org, hr, revenue, periods):
    nov = _month(periods, 11)
    period_lock(period=nov, by=hr)
    errors = _refused(org, revenue, {nov.pk: PT(D(1))})
    assert "locked" in errors[f"{nov.pk}.target"][0]


def test_a_kpi_without_target_refuses_period_targets(org, hr, sales_kpis, periods):
    kpi = sales_kpis["sales_revenue"]
    kpi_update(kpi=kpi, by=hr, target=None, weight=D(0))
    errors = _refused(org, kpi, {_month(periods, 1).pk: PT(D(1))})
    assert "target" in errors


def test_editor_spreads_evenly_and_copies_last_years_shape(org, hr, revenue, periods):
    last = periods_generate(org=org, fiscal_year=2025, by=None)
    months = [p for p in last if p.kind == "month"]
    view = targets_year(org=org, kpi=revenue, fiscal_year=2026)
    assert view.grain == "month" and len(view.cells) == 12
    assert view.year_target == 20000000
    assert [c.even for c in view.cells] == split_evenly(D(20000000), 12)
    assert all(c.default.quantize(D("0.01")) == D("1666666.67") for c in view.cells)
    assert "no value for 12 of its 12 periods" in view.shape_problem
    # last year: 1 a month, 4 in November
    entries = [
        ActualInput(revenue.pk, m.pk, "4" if m.number == 11 else "1", note="n") for m in months
    ]
    actuals_save(org=org, by=hr, source="api", can_enter=lambda d: True, entries=entries)
    view = targets_year(org=org, kpi=revenue, fiscal_year=2026)
    assert view.shape_problem == ""
    shapes = [c.shape for c in view.cells]
    assert shapes[10] == D("5333333.33") and sum(shapes) == 20000000
    assert shapes[0] == D("1333333.33")


def test_editor_shows_own_and_effective_targets(org, hr, revenue, periods):
    months = [_month(periods, n) for n in (10, 11, 12)]
    kpi_period_targets_set(
        org=org,
        kpi=revenue,
        by=hr,
        fiscal_year=2026,
        targets={m.pk: PT(D(t)) for m, t in zip(months, (1000000, 3000000, 2000000), strict=True)},
    )
    view = targets_year(org=org, kpi=revenue, fiscal_year=2026)
    nov = next(c for c in view.cells if c.period.pk == months[1].pk)
    assert nov.own.target == 3000000 and nov.effective == 3000000
    totals = {t.period.label: (t.effective, t.from_periods) for t in view.totals}
    assert totals["FY2026 Q4"] == (D(6000000), True)
    assert totals["FY2026 Q3"] == (D(5000000), False)
    assert totals["FY2026"][1] is False


def test_the_entry_grid_shows_and_previews_the_months_own_target(org, hr, sales, revenue, periods):
    """The manager's entry page: the month's own target, and the rule its preview uses."""
    from metrics.selectors import entry_grids

    nov = _month(periods, 11)
    kpi_period_targets_set(
        org=org, kpi=revenue, by=hr, fiscal_year=2026, targets={nov.pk: PT(D(3000000))}
    )
    (grid,) = entry_grids(org=org, period=nov, department_ids=[sales.pk])
    row = next(r for r in grid.rows if r.kpi.pk == revenue.pk)
    assert row.target == 3000000 and row.rule.target == 3000000
    oct_grid = entry_grids(org=org, period=_month(periods, 10), department_ids=[sales.pk])
    row = next(r for r in oct_grid[0].rows if r.kpi.pk == revenue.pk)
    assert row.target.quantize(D("0.01")) == D("1666666.67")


def test_a_red_value_against_the_months_own_target_needs_a_note(org, hr, revenue, periods):
    """1,500,000 scores 90 against the even split (1,666,666.67) but 50 against November's
    own 3,000,000: the note is asked for; against a low spring target it is not."""
    from metrics.services.actuals import ActualsRefused

    nov, mar = _month(periods, 11), _month(periods, 3)
    kpi_period_targets_set(
        org=org,
        kpi=revenue,
        by=hr,
        fiscal_year=2026,
        targets={nov.pk: PT(D(3000000)), mar.pk: PT(D(500000))},
    )

    def save(period, value):
        actuals_save(
            org=org,
            by=hr,
            source="api",
            can_enter=lambda d: True,
            entries=[ActualInput(revenue.pk, period.pk, value, note="")],
        )

    with pytest.raises(ActualsRefused) as exc:
        save(nov, "1500000")
    assert "note" in next(iter(exc.value.errors.values()))
    save(mar, "600000")  # 36 against the even split, 120 against March's own


def test_a_target_too_long_for_its_column_is_refused_naming_the_month(org, revenue, periods):
    nov = _month(periods, 11)
    errors = _refused(org, revenue, {nov.pk: PT(D("123456789012345"))})
    assert errors[f"{nov.pk}.target"][0].startswith("2026-11: ")
