"""The set-based roll-up against SPEC §3-§4: worked examples, time, formulas, hierarchy,
organization indices, policies; and agreement with the pure reference (metrics.scoring)."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import scoring
from metrics.models import Actual
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.indicators import indicator_create
from metrics.services.kpis import kpi_create
from scorecards.models import OrgScorecard, Scorecard, ScorecardLine
from scorecards.rollup import recalculate
from tests.factories import make_department

pytestmark = pytest.mark.django_db
D = Decimal


def indicator(
    org,
    code,
    direction="higher_is_better",
    aggregation="average",
    unit="count",
    formula="",
    frequency="month",
):
    return indicator_create(
        org=org,
        by=None,
        code=code,
        name=code,
        unit=unit,
        direction=direction,
        aggregation=aggregation,
        formula=formula,
        perspective="process",
        frequency=frequency,
    )


def enter(org, values):
    """values: [(kpi, period, value)] entered with a note (red values need one)."""
    actuals_save(
        org=org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(k.pk, p.pk, str(v), note="n") for k, p, v in values],
    )


def run(org, periods):
    return recalculate(org=org, period_ids=[p.pk for p in periods])


def line(kpi, period):
    return ScorecardLine.objects.for_org(kpi.organization_id).get(kpi=kpi, period=period)


WORKED = [
    # direction, T, F, target_max, A, expected (SPEC §3)
    ("lower_is_better", "10", None, None, "15", "50"),
    ("lower_is_better", "10", "20", None, "4", "120"),
    ("higher_is_better", "5000000", "0", None, "4000000", "80"),
    ("lower_is_better", "100", "200", None, "130", "70"),
    ("lower_is_better", "15", "30", None, "12", "120"),
    ("higher_is_better", "90", "50", None, "86", "90"),
    ("within_range", "95", "10", "105", "110", "50"),
]


@pytest.mark.parametrize("direction,t,f,tmax,a,expected", WORKED)
def test_worked_examples_of_spec(org, year_periods, direction, t, f, tmax, a, expected):
    dept = make_department(org, code="d")
    ind = indicator(org, "x", direction=direction, unit="ratio")
    kpi = kpi_create(
        org=org,
        by=None,
        department=dept,
        indicator=ind,
        weight=D(10),
        target=D(t),
        threshold=D(f) if f else None,
        target_max=D(tmax) if tmax else None,
    )
    month = year_periods["months"][0]
    enter(org, [(kpi, month, a)])
    run(org, [month])
    assert line(kpi, month).score == D(expected)
    card = Scorecard.objects.for_org(org).get(department=dept, period=month)
    assert card.score == D(expected) and card.coverage == 1


def test_time_rollup_by_aggregation_and_sum_target_scaling(org, year_periods):
    dept = make_department(org, code="d")
    months, q1 = year_periods["months"], year_periods["quarters"][0]
    kpis = {}
    for agg in ["sum", "average", "last", "min", "max"]:
        ind = indicator(org, f"i_{agg}", aggregation=agg)
        kpis[agg] = kpi_create(
            org=org,
            by=None,
            department=dept,
            indicator=ind,
            weight=D(1),
            target=D(30),
            target_period="quarter",
        )
    # January 10, February missing, March 8
    enter(org, [(k, months[0], 10) for k in kpis.values()])
    enter(org, [(k, months[2], 8) for k in kpis.values()])
    run(org, year_periods["all"])
    expected = {"sum": 18, "average": 9, "last": 8, "min": 8, "max": 10}
    for agg, value in expected.items():
        assert line(kpis[agg], q1).actual == value, agg
        assert line(kpis[agg], q1).months_with_value == 2
    # sum: a quarterly 30 is 10 a month and 120 a year; others keep it for longer periods only
    assert line(kpis["sum"], months[0]).target == 10
    assert line(kpis["sum"], year_periods["year"]).target == 120
    assert line(kpis["average"], year_periods["year"]).target == 30
    assert line(kpis["average"], months[0]).target is None
    assert not line(kpis["average"], months[0]).scored
    assert line(kpis["average"], months[0]).actual == 10  # shown, without a score


def test_turnover_formula_over_a_year_from_aggregated_components(org, year_periods):
    from metrics import selectors
    from metrics.services.library import library_install

    library_install(org=org)
    dept = make_department(org, code="hr", kind="management", function="hr")
    ind = {i.code: i for i in selectors.indicator_list(org=org)}
    leavers = kpi_create(org=org, by=None, department=dept, indicator=ind["leavers"])
    headcount = kpi_create(org=org, by=None, department=dept, indicator=ind["headcount"])
    turnover = kpi_create(
        org=org,
        by=None,
        department=dept,
        indicator=ind["turnover_rate"],
        weight=D(25),
        target=D(10),
        threshold=D(20),
        target_period="year",
    )
    monthly_leavers = [1, 2, 0, 3, 1, 2, 1, 0, 2, 1, 3, 2]  # 18
    monthly_heads = [100, 102, 98, 101, 99, 100, 103, 97, 100, 100, 101, 99]  # avg 100
    entries = []
    for m, lv, hc in zip(year_periods["months"], monthly_leavers, monthly_heads, strict=True):
        entries += [(leavers, m, lv), (headcount, m, hc)]
    enter(org, entries)
    run(org, year_periods["all"])
    year = line(turnover, year_periods["year"])
    assert year.actual == D(18)  # 18 / 100 * 100, never the average of monthly ratios
    assert year.score == D(20)  # lower: 100 * (20 - 18) / (20 - 10)
    jan = line(turnover, year_periods["months"][0])
    assert jan.actual == D(1) and not jan.scored  # shown, not scored (yearly target)
    # leavers and headcount are tracked (weight 0), not scored
    assert not line(leavers, year_periods["year"]).scored


def test_formula_with_missing_component_or_zero_divisor_has_no_value(org, year_periods):
    dept = make_department(org, code="d")
    a = kpi_create(org=org, by=None, department=dept, indicator=indicator(org, "a"))
    b = kpi_create(org=org, by=None, department=dept, indicator=indicator(org, "b"))
    ratio = kpi_create(
        org=org,
        by=None,
        department=dept,
        indicator=indicator(org, "r", aggregation="formula", formula="a / b", unit="ratio"),
        weight=D(1),
        target=D(2),
    )
    m1, m2 = year_periods["months"][:2]
    enter(org, [(a, m1, 4), (a, m2, 4), (b, m2, 0)])
    run(org, [m1, m2])
    assert line(ratio, m1).actual is None and line(ratio, m1).status == "grey"
    assert line(ratio, m2).actual is None


def test_department_score_coverage_and_missing_policy(org, year_periods):
    dept = make_department(org, code="d")
    k1 = kpi_create(
        org=org,
        by=None,
        department=dept,
        indicator=indicator(org, "a"),
        weight=D(60),
        target=D(100),
    )
    kpi_create(
        org=org,
        by=None,
        department=dept,
        indicator=indicator(org, "b"),
        weight=D(40),
        target=D(100),
    )
    kpi_create(org=org, by=None, department=dept, indicator=indicator(org, "c"))  # tracked
    month = year_periods["months"][0]
    enter(org, [(k1, month, 90)])
    run(org, [month])
    card = Scorecard.objects.for_org(org).get(department=dept, period=month)
    assert card.score == 90 and card.coverage == D("0.6")
    org.missing_actual_policy = "zero"
    org.save()
    run(org, [month])
    card.refresh_from_db()
    assert card.score == 54 and card.coverage == D("0.6")  # (60*90 + 40*0) / 100


def test_no_actual_at_all_is_empty_and_grey(org, year_periods):
    dept = make_department(org, code="d")
    kpi_create(
        org=org, by=None, department=dept, indicator=indicator(org, "a"), weight=D(1), target=D(1)
    )
    month = year_periods["months"][0]
    run(org, [month])
    card = Scorecard.objects.for_org(org).get(department=dept, period=month)
    assert card.score is None and card.status == "grey" and card.coverage == 0


def test_a_line_for_every_kpi_and_period_even_without_values(org, year_periods):
    """Months without a value, quarters without any, and a KPI whose indicator became
    quarterly after a month was entered: every KPI still has its line in every period it
    is kept in, empty where nothing counts."""
    from metrics.services.indicators import indicator_update

    dept = make_department(org, code="d")
    months, quarters = year_periods["months"], year_periods["quarters"]
    monthly = kpi_create(
        org=org, by=None, department=dept, indicator=indicator(org, "m"), weight=D(1), target=D(10)
    )
    changed = kpi_create(
        org=org, by=None, department=dept, indicator=indicator(org, "q"), weight=D(1), target=D(10)
    )
    enter(org, [(monthly, months[0], 5), (monthly, months[4], 6), (changed, months[0], 7)])
    indicator_update(indicator=changed.indicator, by=None, frequency="quarter")
    run(org, year_periods["all"])

    lines = ScorecardLine.objects.for_org(org)
    assert lines.filter(kpi=monthly).count() == 12 + 4 + 1
    assert (line(monthly, months[1]).actual, line(monthly, months[1]).months_with_value) == (
        None,
        0,
    )
    assert line(monthly, quarters[0]).actual == 5 and line(monthly, quarters[1]).actual == 6
    assert line(monthly, quarters[2]).actual is None and line(monthly, quarters[2]).status == "grey"
    assert line(monthly, year_periods["year"]).actual == D("5.5")
    # Quarterly now: kept in quarters and the year; its January value is no quarter's value.
    assert lines.filter(kpi=changed).count() == 4 + 1
    assert not lines.filter(kpi=changed).exclude(actual=None).exists()


def test_hierarchy_and_organization_indices(org, year_periods):
    org.management_weight = D("0.4")
    org.save()
    parent = make_department(org, code="sales")
    east = make_department(org, code="east", parent=parent, weight_in_parent=D(2))
    west = make_department(org, code="west", parent=parent, weight_in_parent=D(1))
    hr = make_department(org, code="hr", kind="management", function="hr")
    ind = indicator(org, "a")
    scores = {parent: 90, east: 60, west: 120, hr: 80}
    month = year_periods["months"][0]
    entries = []
    for dept, value in scores.items():
        kpi = kpi_create(
            org=org, by=None, department=dept, indicator=ind, weight=D(1), target=D(100)
        )
        entries.append((kpi, month, value))
    enter(org, entries)
    run(org, [month])
    cards = {c.department_id: c for c in Scorecard.objects.for_org(org).filter(period=month)}
    # parent: own 90 (weight 1), east 60 (weight 2), west 120 (weight 1) -> 330 / 4
    assert cards[parent.pk].rolled_up_score == D("82.5")
    assert cards[parent.pk].score == 90
    assert cards[east.pk].rolled_up_score == 60
    o = OrgScorecard.objects.for_org(org).get(period=month)
    assert o.business_index == 90  # own scores: (90 + 60 + 120) / 3
    assert o.management_index == 80
    assert o.company_index == D("0.4") * 80 + D("0.6") * 90
    assert o.balance_gap == 10


def test_rerun_is_idempotent_and_clears_marks(org, year_periods):
    from metrics.models import PendingRecalculation

    dept = make_department(org, code="d")
    kpi = kpi_create(
        org=org, by=None, department=dept, indicator=indicator(org, "a"), weight=D(1), target=D(10)
    )
    PendingRecalculation.objects.for_org(org).delete()  # (creating the KPI marked them all)
    enter(org, [(kpi, year_periods["months"][0], 7)])
    assert PendingRecalculation.objects.for_org(org).count() == 3
    run(org, year_periods["all"])
    first = list(
        ScorecardLine.objects.for_org(org)
        .order_by("kpi_id", "period_id")
        .values_list("kpi_id", "period_id", "actual", "score", "status")
    )
    run(org, year_periods["all"])
    again = list(
        ScorecardLine.objects.for_org(org)
        .order_by("kpi_id", "period_id")
        .values_list("kpi_id", "period_id", "actual", "score", "status")
    )
    assert first == again
    assert PendingRecalculation.objects.for_org(org).count() == 0


def test_other_organization_is_untouched(org, other_org, year_periods):
    from metrics.services.periods import periods_generate

    periods_generate(org=other_org, fiscal_year=2026, by=None)
    dept = make_department(org, code="d")
    kpi = kpi_create(
        org=org, by=None, department=dept, indicator=indicator(org, "a"), weight=D(1), target=D(10)
    )
    enter(org, [(kpi, year_periods["months"][0], 7)])
    run(org, year_periods["all"])
    assert ScorecardLine.objects.for_org(other_org).count() == 0
    assert Scorecard.objects.for_org(other_org).count() == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(["higher_is_better", "lower_is_better", "within_range"]),
            st.sampled_from(["sum", "average", "last", "min", "max"]),
            st.lists(
                st.one_of(
                    st.none(),
                    st.tuples(
                        st.decimals(min_value=0, max_value=500, places=2),
                        st.sampled_from(list(scoring.SignOff)),
                        st.one_of(st.none(), st.decimals(min_value=0, max_value=500, places=2)),
                    ),
                ),
                min_size=3,
                max_size=3,
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_sql_rollup_agrees_with_the_pure_reference(org, year_periods, data):
    """Random KPIs and quarterly values, each as entered, confirmed, awaiting confirmation
    or rejected (with or without a value confirmed before): the SQL scores equal
    metrics.scoring's, which counts only what `counted_value` lets count."""
    from metrics.models import Kpi

    ScorecardLine.objects.for_org(org).delete()
    Kpi.objects.for_org(org).delete()
    dept = make_department(org, code="d") if not hasattr(org, "_d") else org._d
    org._d = dept
    months, q1 = year_periods["months"][:3], year_periods["quarters"][0]
    entries, expected = [], {}
    for n, (direction, agg, values) in enumerate(data):
        code = f"p{n}_{direction[:3]}_{agg}"
        from metrics.models import Indicator

        ind = Indicator.objects.for_org(org).filter(code=code).first() or indicator(
            org, code, direction=direction, aggregation=agg, unit="ratio"
        )
        rule = {
            "target": D(100),
            "threshold": D(40) if direction != "within_range" else D(30),
            "target_max": D(120) if direction == "within_range" else None,
        }
        if direction == "lower_is_better":
            rule["threshold"] = D(180)
        kpi = kpi_create(
            org=org,
            by=None,
            department=dept,
            indicator=ind,
            weight=D(n + 1),
            target_period="quarter",
            **rule,
        )
        present = [(m, v) for m, v in zip(months, values, strict=True) if v is not None]
        entries += [(kpi, m, v) for m, v in present]
        counted = scoring.counted_values(v for _m, v in present)
        value = scoring.aggregate(counted, agg) if counted else None
        period_rule = scoring.rule_for_period(
            direction=direction,
            aggregation=agg,
            cap=D(120),
            target_period_months=3,
            period_months=3,
            **rule,
        )
        expected[kpi.pk] = None if value is None else scoring.kpi_score(period_rule, value)
    if entries:
        enter(org, [(k, m, v[0]) for k, m, v in entries])
        for k, m, (_v, status, confirmed) in entries:
            if status == scoring.SignOff.CONFIRMED:
                confirmed = _v
            Actual.objects.for_org(org).filter(kpi=k, period=m).update(
                status=status, confirmed_value=confirmed
            )
    run(org, [q1])
    for kpi_id, score in expected.items():
        got = ScorecardLine.objects.for_org(org).get(kpi_id=kpi_id, period=q1).score
        if score is None:
            assert got is None
        else:
            assert abs(got - score) < D("0.0001"), (kpi_id, got, score)
