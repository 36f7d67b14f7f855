"""The company dashboard: its page, API, export, cache and fairness warning."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from scorecards.rollup import recalculate
from tests.factories import enter_actuals, make_department

pytestmark = pytest.mark.django_db


def test_dashboard_indices_and_ranking(api, executive, org, computed):
    body = (
        api(executive)
        .get(f"/api/v1/orgs/{org.slug}/dashboard/", {"period": computed["month"].pk})
        .json()
    )
    assert Decimal(body["business_index"]) == 90
    assert Decimal(body["management_index"]) == Decimal("85.7143")  # 100*(80-50)/(85-50)
    assert Decimal(body["balance_gap"]) == Decimal("4.2857")
    assert [r["department_code"] for r in body["ranking"]] == ["sales", "hr"]


@pytest.mark.parametrize("role,expected", [("outsider", 404), ("manager", 200)])
def test_dashboard_roles(api, role_users, org, computed, role, expected):
    r = api(role_users[role]).get(
        f"/api/v1/orgs/{org.slug}/dashboard/", {"period": computed["month"].pk}
    )
    assert r.status_code == expected


@pytest.mark.parametrize(
    "role,expected",
    [("admin", 200), ("hr", 200), ("manager", 200), ("executive", 200), ("outsider", 404)],
)
def test_dashboard_page_roles(client, role_users, org, computed, role, expected):
    client.force_login(role_users[role])
    response = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    assert response.status_code == expected


def test_dashboard_page_indices_change_and_ranking(
    client, executive, manager, org, computed, sales
):
    client.force_login(executive)
    page = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    text = page.content.decode()
    assert "87.9" in text  # company index: (85.71 + 90) / 2
    assert "dashboard-data" in text and "echarts.min.js" in text
    ranking = page.context["ranking"]
    assert [c.department.code for c in ranking] == ["sales", "hr"]
    february = next(p for p in computed["periods"] if p.kind == "month" and p.number == 2)
    assert page.context["previous"].period_id == february.pk
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    assert [c.department.code for c in page.context["ranking"]] == ["sales"]
    assert "87.9" in page.content.decode()  # the company-level index is for everyone


def test_dashboard_trend_sets_the_company_index_against_a_year_before(
    client, executive, org, computed
):
    """同比 beside the indices' trend: the company index of the same period a year before,
    in the trend table and the chart's data, "—" and null where there is none."""
    import json

    from metrics import selectors as ms
    from metrics.services.periods import periods_generate

    periods = periods_generate(org=org, fiscal_year=2025, by=None)
    march_2025 = next(p for p in periods if p.kind == "month" and p.number == 3)
    revenue = ms.kpi_list(org=org).get(department__code="sales", indicator__code="sales_revenue")
    enter_actuals(org, (revenue, march_2025, "1000000"))
    recalculate(org=org, period_ids=[march_2025.pk])
    client.force_login(executive)
    page = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    before = {o.period.label: o.company_index_year_before for o in page.context["trend"]}
    assert before["2026-03"] == Decimal("60")  # Sales alone: 1,000,000 of 1,666,666.67
    assert before["2026-02"] is None
    html = page.content.decode()
    assert "Company index, same period last year" in html
    data = json.loads(html.split('id="dashboard-data" type="application/json">')[1].split("<")[0])
    trend = data["trend"]
    assert trend["company_year_before"][trend["periods"].index("2026-03")] == 60.0
    assert trend["company_year_before"][trend["periods"].index("2026-02")] is None


def test_dashboard_page_query_count_is_fixed(
    client, executive, org, computed, django_assert_max_num_queries
):

    client.force_login(executive)
    url = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    client.get(url)
    cache.clear()  # the body computed, not served from the cache
    # + 5 on every page: row-level security's user and organization settings, history context;
    # + 3 the follow-up of red KPIs (without an action, overdue, closed: issue 19)
    with django_assert_max_num_queries(20 + 3 + 5) as few:
        client.get(url)
    for n in range(20):
        make_department(org, code=f"x{n}")
    recalculate(org=org, period_ids=[p.pk for p in computed["periods"]])
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url).context["ranking"]) == 22


def test_dashboard_filters_stay_in_url_and_narrow_departments(
    client, executive, org, computed, sales
):

    make_department(org, code="east", parent=sales)
    recalculate(org=org, period_ids=[p.pk for p in computed["periods"]])
    client.force_login(executive)
    base = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    page = client.get(base + "&kind=management")
    assert [c.department.code for c in page.context["ranking"]] == ["hr"]
    assert 'value="management" selected' in page.content.decode()
    page = client.get(base + f"&parent={sales.pk}")
    assert {c.department.code for c in page.context["ranking"]} == {"sales", "east"}
    page = client.get(base + "&function=hr")
    assert [c.department.code for c in page.context["ranking"]] == ["hr"]
    page = client.get(base + "&parent=abc&kind=nonsense")  # ignored, not an error
    assert page.status_code == 200 and len(page.context["ranking"]) == 3


def test_dashboard_heatmap_and_trend(client, executive, org, computed, sales):
    client.force_login(executive)
    page = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    heat = page.context["heatmap"]
    rows = {r["department"].code: r["cells"] for r in heat["rows"]}
    codes = [i.code for i in heat["columns"]]
    revenue = rows["sales"][codes.index("sales_revenue")]
    assert revenue.status == "amber" and revenue.score == 90
    assert rows["hr"][codes.index("sales_revenue")] is None  # HR has no such KPI
    charts = page.context["charts"]
    assert [c[2] for c in charts["heatmap"]["cells"]].count(2) >= 1  # an amber cell
    trend = page.context["trend"]
    assert [o.period.kind for o in trend] == ["month"] * 3  # January to March
    assert trend[-1].period_id == computed["month"].pk


def test_dashboard_export_contents(client, executive, org, computed):
    import io

    from openpyxl import load_workbook

    client.force_login(executive)
    response = client.get(
        f"/o/{org.slug}/dashboard/export.xlsx?period={computed['month'].pk}&kind=business"
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    # The title block (3 rows) and the header row come first.
    indices = list(wb.worksheets[0].iter_rows(min_row=5, values_only=True))
    assert indices[0][2] == pytest.approx(85.7143) and indices[0][3] == 90  # numbers, not text
    ranking = list(wb.worksheets[1].iter_rows(min_row=5, values_only=True))
    assert [r[2] for r in ranking] == ["sales"]  # the filter applies to the export
    assert ranking[0][4] == 90.0


def test_fairness_warns_after_three_periods_of_one_side_far_ahead(org, hr):
    """Business departments score 110 and management 80 for three months: a warning, with
    the KPIs sitting at their cap."""
    from metrics.services.actuals import ActualInput, actuals_save
    from metrics.services.indicators import indicator_create
    from metrics.services.kpis import kpi_create
    from metrics.services.periods import periods_generate
    from scorecards.selectors.dashboard import fairness
    from tests.factories import make_department

    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    months = [p for p in periods if p.kind == "month"][:3]
    ind = indicator_create(
        org=org,
        by=None,
        code="easy",
        name="Easy",
        unit="ratio",
        direction="higher_is_better",
        aggregation="average",
        perspective="process",
        frequency="month",
    )
    entries = []
    for n, (kind, value) in enumerate(
        [("business", 130), ("business", 125), ("management", 80), ("management", 82)]
    ):
        dept = make_department(
            org, code=f"f{n}", kind=kind, function="sales" if kind == "business" else "hr"
        )
        kpi = kpi_create(
            org=org, by=None, department=dept, indicator=ind, weight=Decimal(1), target=Decimal(100)
        )
        entries += [ActualInput(kpi.pk, m.pk, str(value), note="n") for m in months]
    actuals_save(org=org, by=hr, source="api", entries=entries, can_enter=lambda d: True)
    recalculate(org=org, period_ids=[p.pk for p in periods])
    result = fairness(org=org, period=months[-1])
    assert result["ahead"] == "business"
    assert result["rows"][-1]["gap"] == pytest.approx(120 - 81)
    assert result["capped"][0]["kpi__indicator__code"] == "easy"
    assert result["capped"][0]["times"] == 6  # two departments × three months at the cap
    assert fairness(org=org, period=months[1])["ahead"] is None  # only two periods so far


def test_dashboard_status_table_loads_on_demand(client, executive, org, computed):
    client.force_login(executive)
    base = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    page = client.get(base).content.decode()
    assert "part=statuses" in page and "status-amber text-end" not in page
    part = client.get(base + "&part=statuses", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and "status-amber" in part and "90" in part


def test_dashboard_department_trend(client, executive, org, computed):
    client.force_login(executive)
    page = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    rows = {r["department"].code: r["scores"] for r in page.context["department_trend"]}
    assert rows["sales"][-1] == 90 and len(rows["sales"]) == 3
    assert page.context["charts"]["departments_trend"][0]["scores"][-1] is not None
    # Its table is loaded when opened.
    assert "part=trend" in page.content.decode()
    part = client.get(
        f"/o/{org.slug}/dashboard/?period={computed['month'].pk}&part=trend", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in part and "90.0" in part


def test_dashboard_body_is_cached_until_the_data_changes(
    client,
    executive,
    org,
    computed,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    """The second view of the same dashboard reuses the rendered body; a roll-up or a
    renamed department makes it stale at once."""
    from departments.services import department_update
    from scorecards.rollup import recalculate

    client.force_login(executive)
    url = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    first = client.get(url)
    assert "ranking" in first.context  # computed
    second = client.get(url)
    assert "ranking" not in second.context  # served from the cache
    assert second.context["body"] == first.context["body"]
    # The session, the user, the membership and the pending banner (the period is not read,
    # the organization switcher is cached); + row-level security's settings and the history
    # context.
    with django_assert_max_num_queries(4 + 5) as served:
        client.get(url)
    assert not [q for q in served.captured_queries if "metrics_period" in q["sql"]]
    with django_capture_on_commit_callbacks(execute=True):
        department_update(department=computed["hr_dept"], by=None, name="People & Culture")
    renamed = client.get(url)
    assert "ranking" in renamed.context and "People &amp; Culture" in renamed.content.decode()
    assert "ranking" not in client.get(url).context
    with django_capture_on_commit_callbacks(execute=True):
        recalculate(org=org, period_ids=[p.pk for p in computed["periods"]])
    assert "ranking" in client.get(url).context
    # Another member's scope, the language and the filters are part of the key.
    other = client.get(url + "&kind=business")
    assert "ranking" in other.context
    assert [c.department.kind for c in other.context["ranking"]] == ["business"]


def test_dashboard_cache_can_be_turned_off(client, executive, org, computed, settings):
    settings.PERFHUB_DASHBOARD_CACHE_SECONDS = 0
    client.force_login(executive)
    url = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    client.get(url)
    assert "ranking" in client.get(url).context


def test_dashboard_period_picker_shows_a_new_fiscal_year_at_once(
    client, executive, org, computed, django_capture_on_commit_callbacks
):
    """The heading and period picker are cached with the body; periods created in bulk
    (a fiscal year generated) make them stale like any saved period."""
    from metrics.services.periods import periods_generate

    client.force_login(executive)
    # ?all=1: "show all", or the new year's periods (future, without data) stay hidden.
    url = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}&all=1"
    before = client.get(url).content.decode()
    year = computed["month"].fiscal_year + 1
    assert f"FY{year}" not in before
    assert "ranking" not in client.get(url).context  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        periods_generate(org=org, fiscal_year=year, by=executive)
    after = client.get(url)
    assert "ranking" in after.context  # computed again
    assert f"FY{year}" in after.content.decode()


def test_dashboard_opens_on_the_latest_month_with_data_not_the_year(
    client, executive, org, computed
):
    """Issue 16 §2: the year ends after its months, so "the latest period with data" was the
    whole fiscal year, and the trend charts showed one or two dots."""
    from scorecards.selectors.scorecards import latest_period_with_data

    assert latest_period_with_data(org=org).kind == "year"  # what it opened on before
    client.force_login(executive)
    page = client.get(f"/o/{org.slug}/dashboard/")
    assert page.context["period"] == computed["month"]
    assert f'<option value="{computed["month"].pk}" selected>2026-03</option>' in (
        page.content.decode()
    )


def test_dashboard_opens_on_the_latest_month_that_ended_not_the_running_one(
    client, executive, org, computed, monkeypatch
):
    """On 6 April the running month holds what was entered so far: the dashboard opens on
    March, the latest month with data that has ended; with only the running month holding
    data, on it."""
    import datetime as dt

    from django.utils import timezone

    from scorecards.models import OrgScorecard
    from scorecards.selectors.scorecards import latest_month_with_data

    march = computed["month"]
    april = next(p for p in computed["periods"] if p.kind == "month" and p.number == 4)
    OrgScorecard.objects.for_org(org).filter(period=april).delete()
    OrgScorecard.objects.create(
        organization=org, period=april, company_index=Decimal("50"), computed_at=timezone.now()
    )
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 4, 6))
    assert latest_month_with_data(org=org) == march
    client.force_login(executive)
    assert client.get(f"/o/{org.slug}/dashboard/").context["period"] == march
    # No month has ended with data yet (March runs): the latest month with data.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 3, 20))
    assert latest_month_with_data(org=org) == april
