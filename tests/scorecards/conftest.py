import pytest

from metrics import selectors
from metrics.models import PendingRecalculation
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply
from scorecards.rollup import recalculate
from tests.factories import make_department


@pytest.fixture
def year_periods(org):
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    return {
        "months": [p for p in periods if p.kind == "month"],
        "quarters": [p for p in periods if p.kind == "quarter"],
        "year": next(p for p in periods if p.kind == "year"),
        "all": periods,
    }


@pytest.fixture
def computed(org, sales, manager):
    library_install(org=org)
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    hr_dept = make_department(org, code="hr", kind="management", function="hr")
    template_apply(
        template=selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    template_apply(
        template=selectors.template_list(org=org).get(code="hr_standard"),
        departments=[hr_dept],
        by=None,
    )
    month = next(p for p in periods if p.kind == "month" and p.number == 3)
    kpis = {(k.department.code, k.indicator.code): k for k in selectors.kpi_list(org=org)}
    actuals_save(
        org=org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(kpis[("sales", "sales_revenue")].pk, month.pk, "1500000", note="n"),
            ActualInput(kpis[("hr", "employee_satisfaction")].pk, month.pk, "80", note="n"),
        ],
    )
    recalculate(org=org, period_ids=[p.pk for p in periods])
    return {"month": month, "hr_dept": hr_dept, "periods": periods}


@pytest.fixture
def support(org, sales, manager, hr, executive, admin):
    """Sales (business, managed by `manager`) and two management departments (HR with the
    hr_standard template, so with internal service satisfaction; Legal without a template),
    the 2026 periods, and a second business department managed by someone else."""
    from departments.models import Membership, Role
    from tests.factories import UserFactory

    library_install(org=org)
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    hr_dept = make_department(org, code="hr", kind="management", function="hr", name_en="HR")
    legal = make_department(org, code="legal", kind="management", function="legal")
    other_manager = UserFactory(username="otto-manager", email="otto@example.com")
    Membership.objects.create(organization=org, user=other_manager, role=Role.MANAGER)
    production = make_department(
        org, code="production", function="production", managers=[other_manager]
    )
    template_apply(
        template=selectors.template_list(org=org).get(code="hr_standard"),
        departments=[hr_dept],
        by=None,
    )
    months = [p for p in periods if p.kind == "month"]
    return {
        "periods": periods,
        "months": months,
        "month": months[2],
        "quarter": next(p for p in periods if p.kind == "quarter"),
        "hr_dept": hr_dept,
        "legal": legal,
        "production": production,
        "other_manager": other_manager,
    }


@pytest.fixture
def member_of(org):
    """The Membership of a user as the access layer resolves it (with managed_ids)."""
    from departments.models import Membership
    from departments.selectors import managed_department_ids

    def _member_of(user):
        membership = Membership.objects.for_org(org).get(user=user)
        membership.managed_ids = managed_department_ids(org=org, user=user)
        return membership

    return _member_of


@pytest.fixture
def setup(org, hr, sales):
    from metrics import selectors
    from metrics.services.library import library_install
    from metrics.services.periods import periods_generate
    from metrics.services.templates import template_apply

    library_install(org=org)
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    template_apply(
        template=selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    kpi = selectors.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    month = next(p for p in periods if p.kind == "month" and p.number == 3)
    PendingRecalculation.objects.for_org(org).delete()  # set-up marks; each test starts clean
    return {"kpi": kpi, "month": month, "periods": periods}


@pytest.fixture
def action_world(computed, org, sales, manager):
    """The computed March with a red line (Sales' profit margin at 1 %, a formula of its
    profit), an amber one (Sales' revenue) and grey ones (no value): what actions are put
    on (issue 19)."""
    from scorecards.models import ScorecardLine
    from tests.factories import enter_actuals

    month = computed["month"]
    kpis = {k.indicator.code: k for k in selectors.kpi_list(org=org, department=sales)}
    enter_actuals(org, (kpis["profit"], month, "15000"))  # margin: 1 % of 1.5 million
    recalculate(org=org, period_ids=[p.pk for p in computed["periods"]])
    line = ScorecardLine.objects.for_org(org).get(period=month, kpi=kpis["profit_margin"])
    assert line.status == "red", line.status
    return {
        **computed,
        "red": kpis["profit_margin"],
        "amber": kpis["sales_revenue"],
        "grey": kpis["customer_growth"],
        "sales": sales,
    }


@pytest.fixture
def two_years(db, org, sales):
    """Sales (business) and HR (management) with their templates, fiscal years 2025 and
    2026: sales revenue in March 2025 (1.0 M), February 2026 (1.2 M) and March 2026
    (1.5 M; a month's target is 1,666,666.67); HR's employee satisfaction in March 2026
    only (80), so HR has no score a year before."""
    library_install(org=org)
    periods = periods_generate(org=org, fiscal_year=2025, by=None)
    periods += periods_generate(org=org, fiscal_year=2026, by=None)
    hr_dept = make_department(org, code="hr", kind="management", function="hr")
    for code, dept in (("sales_standard", sales), ("hr_standard", hr_dept)):
        template_apply(
            template=selectors.template_list(org=org).get(code=code),
            departments=[dept],
            by=None,
        )
    month = {(p.fiscal_year, p.number): p for p in periods if p.kind == "month"}
    kpis = {(k.department.code, k.indicator.code): k for k in selectors.kpi_list(org=org)}
    revenue = kpis[("sales", "sales_revenue")]
    satisfaction = kpis[("hr", "employee_satisfaction")]
    actuals_save(
        org=org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(revenue.pk, month[(2025, 3)].pk, "1000000", note="n"),
            ActualInput(revenue.pk, month[(2026, 2)].pk, "1200000", note="n"),
            ActualInput(revenue.pk, month[(2026, 3)].pk, "1500000", note="n"),
            ActualInput(satisfaction.pk, month[(2026, 3)].pk, "80", note="n"),
        ],
    )
    recalculate(org=org, period_ids=[p.pk for p in periods])
    by_kind = {}
    for p in periods:
        by_kind[(p.kind, p.fiscal_year, p.number)] = p
    return {
        "periods": by_kind,
        "march": month[(2026, 3)],
        "hr": hr_dept,
        "sales": sales,
        "revenue": revenue,
        "satisfaction": satisfaction,
    }
