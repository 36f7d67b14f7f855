"""Company goals: API and pages, progress computed by the roll-up, roles, isolation."""

from decimal import Decimal

import pytest

from scorecards.rollup import recalculate

pytestmark = pytest.mark.django_db


def kpi(org, dept_code, code):
    from metrics import selectors

    return selectors.kpi_list(org=org).get(department__code=dept_code, indicator__code=code)


def test_goal_api_progress_and_sides(api, executive, manager, org, computed):
    month = computed["month"]
    payload = {
        "title": "Grow with happier staff",
        "period": month.pk,
        "links": [
            {"kpi": kpi(org, "sales", "sales_revenue").pk, "weight": 3},
            {"kpi": kpi(org, "hr", "employee_satisfaction").pk, "weight": 1},
        ],
    }
    r = api(executive).post(f"/api/v1/orgs/{org.slug}/goals/", payload, format="json")
    assert r.status_code == 201, r.content
    goal_id = r.json()["id"]
    recalculate(org=org, period_ids=[month.pk])
    body = api(manager).get(f"/api/v1/orgs/{org.slug}/goals/{goal_id}/").json()
    # (3 × 90 + 1 × 85.7143) / 4
    assert Decimal(body["progress"]).quantize(Decimal("0.01")) == Decimal("88.93")
    assert [link["indicator_code"] for link in body["business"]] == ["sales_revenue"]
    assert [link["indicator_code"] for link in body["management"]] == ["employee_satisfaction"]


@pytest.mark.parametrize(
    "role,expected",
    [("admin", 201), ("hr", 201), ("executive", 201), ("manager", 403), ("outsider", 404)],
)
def test_goal_write_roles(api, role_users, org, computed, role, expected):
    payload = {
        "title": "G",
        "period": computed["month"].pk,
        "links": [{"kpi": kpi(org, "sales", "sales_revenue").pk, "weight": 1}],
    }
    r = api(role_users[role]).post(f"/api/v1/orgs/{org.slug}/goals/", payload, format="json")
    assert r.status_code == expected


def test_goal_refuses_other_orgs_kpi_and_empty_links(api, executive, org, other_org, computed):
    from metrics.models import Kpi

    foreign = Kpi.objects.unscoped().exclude(organization=org).first()
    payload = {"title": "G", "period": computed["month"].pk, "links": []}
    r = api(executive).post(f"/api/v1/orgs/{org.slug}/goals/", payload, format="json")
    assert r.status_code == 400 and "links" in r.json()
    if foreign is not None:
        payload["links"] = [{"kpi": foreign.pk, "weight": 1}]
        r = api(executive).post(f"/api/v1/orgs/{org.slug}/goals/", payload, format="json")
        assert r.status_code == 400


def test_goal_pages(client, role_users, org, computed):
    client.force_login(role_users["hr"])
    month = computed["month"]
    data = {
        "title": "Faster service",
        "description": "",
        "period": month.pk,
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-kpi": kpi(org, "sales", "customer_satisfaction").pk,
        "form-0-weight": "1",
        "form-1-kpi": "",
        "form-1-weight": "",
    }
    response = client.post(f"/o/{org.slug}/goals/new/", data)
    assert response.status_code == 302
    page = client.get(f"/o/{org.slug}/goals/?period={month.pk}").content.decode()
    assert "Faster service" in page
    client.force_login(role_users["manager"])
    assert client.get(f"/o/{org.slug}/goals/?period={month.pk}").status_code == 200
    assert client.get(f"/o/{org.slug}/goals/new/").status_code == 403
    client.force_login(role_users["outsider"])
    assert client.get(f"/o/{org.slug}/goals/").status_code == 404


def test_goal_page_shows_the_goals_in_force_during_the_period(client, role_users, org, computed):
    """A month's page lists the goals of the month and of the quarter and year containing
    it, as the dashboard does (the year's goal is named with its period); another month's
    goal is not listed."""
    from metrics.models import Period
    from scorecards.models import Goal, GoalLink

    month = computed["month"]
    periods = Period.objects.for_org(org)
    year = periods.get(kind="year", start__lte=month.start, end__gte=month.end)
    other_month = periods.filter(kind="month").exclude(pk=month.pk).first()
    link_kpi = kpi(org, "sales", "customer_satisfaction")
    for title, period in (("Year goal", year), ("Month goal", month), ("Other", other_month)):
        goal = Goal.objects.create(organization=org, title=title, period=period)
        GoalLink.objects.create(organization=org, goal=goal, kpi=link_kpi, weight=Decimal(1))
    client.force_login(role_users["executive"])
    page = client.get(f"/o/{org.slug}/goals/?period={month.pk}").content.decode()
    assert "Year goal" in page and "Month goal" in page and "Other" not in page
    assert page.index("Year goal") < page.index("Month goal")  # the longest first
    assert f'Year goal <small class="text-body-secondary">· {year.label}</small>' in page
