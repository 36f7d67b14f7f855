"""A known month for the briefing book: Sales (business) and HR (management) with the
library's templates, February on target and March with Sales' revenue red and noted, the
scorecards computed by the real roll-up, and March's grades calibrated and published."""

from decimal import Decimal

import pytest

from departments.models import Membership
from grades import rules
from grades import services as grade_services
from grades.models import PublishRule
from metrics import selectors
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply
from scorecards.rollup import recalculate
from scorecards.services import comment_add
from tests.factories import make_department

NOTE = "<b>Key account lost</b> & price cut"
LINE_COMMENT = "Call the key account back <i>this week</i>"
CARD_COMMENT = "HR held its targets: keep the survey cadence"


def member(user):
    return Membership.objects.unscoped().select_related("organization").get(user=user)


@pytest.fixture
def scenario(org, sales, manager, hr, executive):
    library_install(org=org)
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    hr_dept = make_department(
        org,
        code="hr",
        kind="management",
        function="hr",
        name="人力资源部",
        name_en="Human Resources",
    )
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
    months = [p for p in periods if p.kind == "month"]
    feb, march = months[1], months[2]
    kpis = {(k.department.code, k.indicator.code): k for k in selectors.kpi_list(org=org)}
    revenue = kpis[("sales", "sales_revenue")]
    satisfaction = kpis[("hr", "employee_satisfaction")]
    month_target = revenue.target / 3 if revenue.target_period == "quarter" else revenue.target
    actuals_save(
        org=org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(revenue.pk, feb.pk, str(round(month_target, 2))),
            ActualInput(satisfaction.pk, feb.pk, "80"),
            # a tenth of the target: red, with the manager's note (markup must stay text)
            ActualInput(revenue.pk, march.pk, str(round(month_target / 10, 2)), note=NOTE),
            ActualInput(satisfaction.pk, march.pk, "85", note="survey done"),
        ],
    )
    recalculate(org=org, period_ids=[p.pk for p in periods])
    policy = grade_services.selectors.policy_get(org=org)
    grade_services.grading_save(
        org=org,
        membership=member(hr),
        bands=rules.DEFAULT_SCALE,
        grade_months=True,
        grade_quarters=True,
        grade_years=True,
        grouping=policy.grouping,
        publish_rule=PublishRule.OVERRIDE,
    )
    calibration = grade_services.calibration_open(org=org, membership=member(hr), period=march)
    grade_services.calibration_publish(
        org=org, membership=member(hr), calibration=calibration, override_reason="two departments"
    )
    comment_add(
        org=org,
        membership=member(executive),
        department=sales,
        period=march,
        kpi=revenue,
        text=LINE_COMMENT,
    )
    comment_add(
        org=org, membership=member(executive), department=hr_dept, period=march, text=CARD_COMMENT
    )
    return {
        "periods": periods,
        "feb": feb,
        "march": march,
        "hr_dept": hr_dept,
        "revenue": revenue,
        "month_target": Decimal(month_target),
    }


FAKE_PDF = b"%PDF-1.7 fake book"


@pytest.fixture
def months(org):
    """The 2026 months, nothing computed (the tests that do not read the book)."""
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    return [p for p in periods if p.kind == "month"]


@pytest.fixture
def fake_render(monkeypatch):
    """The book without WeasyPrint (seconds each): the tests of requests, jobs and the
    schedule check what happens around the rendering; test_render checks the book."""
    from briefings import services

    calls = []

    def render(*, org, period, language):
        calls.append((period.pk, language))
        return FAKE_PDF

    monkeypatch.setattr(services, "_render", render)
    return calls


@pytest.fixture
def eager():
    """Jobs run in-process for one test (as without a broker), then as configured."""
    from perfhub.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved
