"""The company goals on the dashboard (SPEC §5): the goals in force during the period with
their progress and the departments contributing on each side, in a fixed number of queries."""

import pytest
from django.core.cache import cache

from metrics import selectors as metric_selectors
from metrics.services.templates import template_apply
from scorecards.rollup import recalculate
from scorecards.selectors.dashboard import dashboard_goals
from scorecards.services import goal_save
from tests.factories import make_department

pytestmark = pytest.mark.django_db


def _kpi(org, department, code):
    return metric_selectors.kpi_list(org=org).get(department=department, indicator__code=code)


@pytest.fixture
def goals(org, sales, computed, executive):
    """A goal of the year (sales revenue and HR's employee satisfaction), one of March and
    one of April (not in force in March)."""
    periods = computed["periods"]
    year = next(p for p in periods if p.kind == "year")
    april = next(p for p in periods if p.kind == "month" and p.number == 4)
    revenue = _kpi(org, sales, "sales_revenue")
    satisfaction = _kpi(org, computed["hr_dept"], "employee_satisfaction")
    made = {
        "year": goal_save(
            org=org,
            by=executive,
            title="<i>Grow</i> the year",
            period=year,
            links=[(revenue, 3), (satisfaction, 1)],
        ),
        "march": goal_save(
            org=org,
            by=executive,
            title="March push",
            period=computed["month"],
            links=[(revenue, 1)],
        ),
        "april": goal_save(
            org=org, by=executive, title="April push", period=april, links=[(revenue, 1)]
        ),
    }
    recalculate(org=org, period_ids=[p.pk for p in periods])
    return made


def test_the_goals_in_force_during_the_period_with_their_sides(org, sales, computed, goals):
    shown = dashboard_goals(org=org, period=computed["month"])
    assert [g.title for g in shown] == ["<i>Grow</i> the year", "March push"]
    year = shown[0]
    assert year.progress is not None
    business = year.sides["business"]
    assert [d["department"].code for d in business] == ["sales"]
    assert [i["link"].kpi.indicator.code for i in business[0]["items"]] == ["sales_revenue"]
    assert [d["department"].code for d in year.sides["management"]] == ["hr"]
    assert shown[1].sides["management"] == []


def test_dashboard_goals_queries_do_not_grow_with_goals_and_links(
    org, sales, computed, goals, executive, django_assert_num_queries
):
    with django_assert_num_queries(3):  # goals, their links, the lines
        dashboard_goals(org=org, period=computed["month"])
    year = next(p for p in computed["periods"] if p.kind == "year")
    for n in range(5):
        department = make_department(org, code=f"g{n}")
        template_apply(
            template=metric_selectors.template_list(org=org).get(code="sales_standard"),
            departments=[department],
            by=executive,
        )
        goal_save(
            org=org,
            by=executive,
            title=f"Goal {n}",
            period=year,
            links=[
                (_kpi(org, department, "sales_revenue"), 1),
                (_kpi(org, department, "new_customers"), 2),
            ],
        )
    with django_assert_num_queries(3):
        shown = dashboard_goals(org=org, period=computed["month"])
    assert len(shown) == 7


def test_the_dashboard_page_shows_goals_progress_and_departments(
    client, org, executive, computed, goals
):
    cache.clear()
    client.force_login(executive)
    page = client.get(
        f"/o/{org.slug}/dashboard/?period={computed['month'].pk}", HTTP_ACCEPT_LANGUAGE="en"
    )
    text = page.content.decode()
    assert 'id="dashboard-goals"' in text
    assert "&lt;i&gt;Grow&lt;/i&gt; the year" in text and "<i>Grow</i>" not in text
    assert "March push" in text and "April push" not in text
    section = text[text.index('id="dashboard-goals"') : text.index("</section>")]
    year = goals["year"]
    year.refresh_from_db()
    assert f"{year.progress:.1f}" in section
    assert "Sales" in section and computed["hr_dept"].display_name in section


def test_a_period_without_goals_says_so(client, org, executive, computed):
    client.force_login(executive)
    page = client.get(
        f"/o/{org.slug}/dashboard/?period={computed['month'].pk}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.context["goals"] == []
    assert "No company goal covers this period." in page.content.decode()
