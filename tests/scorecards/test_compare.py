"""Year-on-year (同比) and period-on-period (环比) comparisons: the one selector
(scorecards.selectors.compare) over the stored roll-up tables (issue 20)."""

import datetime as dt
from decimal import Decimal

import pytest

from metrics import selectors as metric_selectors
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply
from scorecards.rollup import recalculate
from scorecards.selectors.compare import (
    Delta,
    attach_comparisons,
    compare_choice,
    comparison,
    comparison_start,
)
from scorecards.selectors.scorecards import attach_lines, org_scorecard, scorecard_list
from tests.factories import make_department


class P:
    """A period as comparison_start reads it."""

    def __init__(self, kind, start):
        self.kind, self.start = kind, start


@pytest.mark.parametrize(
    "kind,start,compare,expected",
    [
        ("month", dt.date(2026, 3, 1), "yoy", dt.date(2025, 3, 1)),
        ("month", dt.date(2026, 3, 1), "pop", dt.date(2026, 2, 1)),
        # the previous month across a year boundary
        ("month", dt.date(2026, 1, 1), "pop", dt.date(2025, 12, 1)),
        ("month", dt.date(2026, 12, 1), "yoy", dt.date(2025, 12, 1)),
        # the previous quarter, across a year boundary too
        ("quarter", dt.date(2026, 4, 1), "pop", dt.date(2026, 1, 1)),
        ("quarter", dt.date(2026, 1, 1), "pop", dt.date(2025, 10, 1)),
        ("quarter", dt.date(2026, 4, 1), "yoy", dt.date(2025, 4, 1)),
        # a fiscal year starting in April: its previous year, both ways
        ("year", dt.date(2026, 4, 1), "pop", dt.date(2025, 4, 1)),
        ("year", dt.date(2026, 4, 1), "yoy", dt.date(2025, 4, 1)),
    ],
)
def test_comparison_start(kind, start, compare, expected):
    assert comparison_start(P(kind, start), compare) == expected


@pytest.mark.parametrize(
    "asked,expected", [("yoy", "yoy"), ("pop", "pop"), (None, "pop"), ("x", "pop"), ("", "pop")]
)
def test_compare_choice_defaults_to_period_on_period(asked, expected):
    assert compare_choice(asked) == expected


@pytest.mark.parametrize(
    "now,then,with_percent,change,percent,direction",
    [
        ("90", "60", True, "30", "50.0", "up"),
        ("60", "90", True, "-30", "-33.3", "down"),
        ("5", "0", True, "5", None, "up"),  # no % change from 0
        ("5", "-10", True, "15", "150.0", "up"),  # % of the value's size
        ("90", "60", False, "30", None, "up"),  # scores: points only
        ("90", None, True, None, None, "flat"),  # nothing then: missing, never 0
        (None, "60", True, None, None, "flat"),
        ("70", "70", True, "0", "0.0", "flat"),
    ],
)
def test_delta(now, then, with_percent, change, percent, direction):
    d = Delta(
        Decimal(now) if now else None, Decimal(then) if then else None, with_percent=with_percent
    )
    assert d.missing is (then is None)
    assert d.change == (Decimal(change) if change else None)
    assert d.percent == (Decimal(percent) if percent else None)
    assert d.direction == direction


def _cards(org, period):
    cards = attach_lines(org=org, scorecards=scorecard_list(org=org, period_id=period.pk))
    return {c.department.code: c for c in cards}


# (compare, department, expected own score then or None for "no value then")
@pytest.mark.parametrize(
    "compare,code,then,change",
    [
        ("yoy", "sales", "60", "30"),  # March 2025: 1.0 M of 1.67 M
        ("pop", "sales", "72", "18"),  # February 2026: 1.2 M
        ("yoy", "hr", None, None),  # HR had no score a year before
        ("pop", "hr", None, None),
    ],
)
def test_department_scores_against_then(org, two_years, compare, code, then, change):
    cards = _cards(org, two_years["march"])
    attach_comparisons(org=org, cards=cards.values(), compares=[compare])
    delta = cards[code].compare[compare]["score"]
    assert delta.value == (Decimal(then) if then else None)
    assert delta.change == (Decimal(change) if change else None)
    assert delta.missing is (then is None)


@pytest.mark.parametrize(
    "compare,actual_then,actual_change,percent,score_then",
    [
        ("yoy", "1000000", "500000", "50.0", "60"),
        ("pop", "1200000", "300000", "25.0", "72"),
    ],
)
def test_line_actual_and_score_against_then(
    org, two_years, compare, actual_then, actual_change, percent, score_then
):
    cards = _cards(org, two_years["march"])
    attach_comparisons(org=org, cards=cards.values())
    line = next(ln for ln in cards["sales"].lines if ln.kpi_id == two_years["revenue"].pk)
    actual, score = line.compare[compare]["actual"], line.compare[compare]["score"]
    assert actual.value == Decimal(actual_then)
    assert actual.change == Decimal(actual_change)
    assert actual.percent == Decimal(percent)
    assert score.value == Decimal(score_then)
    assert score.percent is None  # points only for scores
    hr_line = next(ln for ln in cards["hr"].lines if ln.kpi_id == two_years["satisfaction"].pk)
    assert hr_line.compare[compare]["actual"].missing
    assert hr_line.compare[compare]["score"].change is None


def test_previous_quarter_and_previous_year(org, two_years):
    periods = two_years["periods"]
    q1_2026, q1_2025 = periods[("quarter", 2026, 1)], periods[("quarter", 2025, 1)]
    year_2026 = periods[("year", 2026, 1)]
    found = comparison(org=org, periods=[q1_2026, year_2026], compare="pop", org_index=True)
    # Q1 2026 against Q4 2025 (nothing entered then): no value, not 0
    assert found.org_row(q1_2026).period == periods[("quarter", 2025, 4)]
    deltas = found.org_deltas(q1_2026, org_scorecard(org=org, period_id=q1_2026.pk))
    assert deltas["business_index"].missing and deltas["business_index"].change is None
    assert found.org_row(year_2026).period == periods[("year", 2025, 1)]
    found = comparison(org=org, periods=[q1_2026], compare="yoy", org_index=True)
    assert found.org_row(q1_2026).period == q1_2025
    deltas = found.org_deltas(q1_2026, org_scorecard(org=org, period_id=q1_2026.pk))
    # Q1 2026 sales 2.7 M of 5 M = 54; Q1 2025 1.0 M of 5 M = 20
    assert deltas["business_index"].value == Decimal(20)
    assert deltas["business_index"].change == Decimal(34)
    assert deltas["management_index"].missing  # HR had no score in Q1 2025


def test_missing_comparison_period_is_missing_not_the_one_before(org, two_years):
    """January 2025 has no December 2024 (fiscal year 2024 never generated): nothing to
    compare with, never the latest earlier period."""
    january = two_years["periods"][("month", 2025, 1)]
    found = comparison(org=org, periods=[january], compare="pop", org_index=True)
    assert found.org_row(january) is None


def test_queries_are_constant(org, two_years, django_assert_num_queries):
    """One query per level and comparison, whatever the number of periods and cards."""
    one = _cards(org, two_years["march"])
    with django_assert_num_queries(4):  # cards and lines, for yoy and pop
        attach_comparisons(org=org, cards=one.values())
    for n in range(5):
        make_department(org, code=f"x{n}")
    every = list(attach_lines(org=org, scorecards=scorecard_list(org=org)))
    assert len(every) > 40
    with django_assert_num_queries(4):
        attach_comparisons(org=org, cards=every)
    with django_assert_num_queries(1):
        comparison(org=org, periods=[c.period for c in every], compare="yoy", org_index=True)
    with django_assert_num_queries(0):
        comparison(org=org, periods=[], compare="yoy", org_index=True, cards=True, lines=True)


def test_other_organizations_values_are_never_compared(org, other_org, two_years):
    """The same periods in another organization, with other values: never read."""
    periods = periods_generate(org=other_org, fiscal_year=2025, by=None)
    periods += periods_generate(org=other_org, fiscal_year=2026, by=None)
    library_install(org=other_org)
    dept = make_department(other_org, code="sales", name="S", name_en="S")
    template_apply(
        template=metric_selectors.template_list(org=other_org).get(code="sales_standard"),
        departments=[dept],
        by=None,
    )
    kpi = metric_selectors.kpi_list(org=other_org).get(indicator__code="sales_revenue")
    feb = next(p for p in periods if p.kind == "month" and p.fiscal_year == 2026 and p.number == 2)
    actuals_save(
        org=other_org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(kpi.pk, feb.pk, "9", note="n")],
    )
    recalculate(org=other_org, period_ids=[p.pk for p in periods])
    cards = _cards(org, two_years["march"])
    found = comparison(org=org, periods=[two_years["march"]], compare="pop", cards=True, lines=True)
    assert {k[0] for k in found.cards} <= {c.department_id for c in cards.values()}
    assert all(v[0] != Decimal(9) for v in found.lines.values())
