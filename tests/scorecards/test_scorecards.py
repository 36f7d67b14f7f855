"""Department scorecards: their page, API, export, the KPI drill-down and HR's
recalculation."""

from decimal import Decimal

import pytest

from tests.factories import enter_actuals

pytestmark = pytest.mark.django_db


def test_scorecards_list_with_lines(api, hr, org, sales, computed):
    body = (
        api(hr)
        .get(
            f"/api/v1/orgs/{org.slug}/scorecards/",
            {"period": computed["month"].pk, "department": sales.pk},
        )
        .json()
    )
    assert body["count"] == 1
    card = body["results"][0]
    assert Decimal(card["score"]) == 90 and card["pending"] is False
    revenue = next(line for line in card["lines"] if line["indicator_code"] == "sales_revenue")
    assert Decimal(revenue["score"]) == 90 and revenue["status"] == "amber"


def test_manager_sees_only_managed_scorecards(api, manager, org, sales, computed):
    body = (
        api(manager)
        .get(f"/api/v1/orgs/{org.slug}/scorecards/", {"period": computed["month"].pk})
        .json()
    )
    assert {c["department"] for c in body["results"]} == {sales.pk}
    body = (
        api(manager)
        .get(f"/api/v1/orgs/{org.slug}/scorecards/", {"department": computed["hr_dept"].pk})
        .json()
    )
    assert body["count"] == 0


def test_recalculation_request_roles(api, role_users, org, computed):
    url = f"/api/v1/orgs/{org.slug}/recalculations/"
    payload = {"period": computed["month"].pk}
    assert api(role_users["outsider"]).post(url, payload, format="json").status_code == 404
    assert api(role_users["manager"]).post(url, payload, format="json").status_code == 403
    assert api(role_users["executive"]).post(url, payload, format="json").status_code == 403
    r = api(role_users["hr"]).post(url, payload, format="json")
    assert r.status_code == 202 and r.json()["periods_total"] == 3


def test_scorecard_page_pending_banner_and_roles(client, role_users, org, sales, computed):
    from metrics.services.recalc import recalculation_mark

    url = f"/o/{org.slug}/scorecards/{sales.pk}/?period={computed['month'].pk}"
    client.force_login(role_users["manager"])
    page = client.get(url)
    assert page.status_code == 200 and "90.0" in page.content.decode()
    assert "recalculated" not in page.content.decode()
    recalculation_mark(org=org, periods=[computed["month"]])
    assert "recalculated" in client.get(url).content.decode()
    other = f"/o/{org.slug}/scorecards/{computed['hr_dept'].pk}/"
    assert client.get(other).status_code == 403
    client.force_login(role_users["outsider"])
    assert client.get(url).status_code == 404


def test_scorecard_api_query_count_fixed(api, hr, org, computed, django_assert_max_num_queries):
    client = api(hr)
    url = f"/api/v1/orgs/{org.slug}/scorecards/"
    # + 4: the cards' and lines' values then, year on year and period on period (issue 20)
    with django_assert_max_num_queries(12 + 4) as few:
        client.get(url, {"limit": 2})
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url, {"limit": 30}).json()["results"]) == 30


def test_hr_recalculates_a_period_from_the_page_and_sees_progress(
    client, hr, org, computed, manager
):
    period = computed["month"]
    client.force_login(hr)
    response = client.post(f"/o/{org.slug}/periods/{period.pk}/recalculate/")
    assert response.status_code == 302 and "/recalculations/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "3" in page  # periods: the month, its quarter and the year
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="progress"' in partial and "<html" not in partial
    client.force_login(manager)
    assert client.post(f"/o/{org.slug}/periods/{period.pk}/recalculate/").status_code == 403


def test_scorecard_export_contents_and_roles(client, role_users, org, sales, computed):
    import io

    from openpyxl import load_workbook

    url = f"/o/{org.slug}/scorecards/{sales.pk}/export.xlsx?period={computed['month'].pk}"
    client.force_login(role_users["manager"])
    wb = load_workbook(io.BytesIO(client.get(url).content))
    lines = {r[1]: r for r in wb.worksheets[1].iter_rows(min_row=5, values_only=True)}
    revenue = lines["sales_revenue"]
    assert revenue[4] == 1500000.0 and revenue[5] == pytest.approx(1666666.666667)
    assert revenue[8] == 90.0
    client.force_login(role_users["outsider"])
    assert client.get(url).status_code == 404
    other = f"/o/{org.slug}/scorecards/{computed['hr_dept'].pk}/export.xlsx"
    client.force_login(role_users["manager"])
    assert client.get(other).status_code == 403


def test_kpi_detail_trend_history_roles_and_queries(
    client, role_users, org, sales, computed, django_assert_max_num_queries
):
    from metrics import selectors as ms

    revenue = ms.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    url = f"/o/{org.slug}/kpis/{revenue.pk}/"
    client.force_login(role_users["manager"])
    page = client.get(url)
    assert page.status_code == 200
    march = {p.label: line for p, line in page.context["trend"]}["2026-03"]
    assert march.actual == 1500000 and march.score == 90
    assert "1,500,000" in page.content.decode() and "kpi-data" in page.content.decode()
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url + "?kind=quarter")
    other = ms.kpi_list(org=org, department=computed["hr_dept"]).first()
    assert client.get(f"/o/{org.slug}/kpis/{other.pk}/").status_code == 403
    client.force_login(role_users["outsider"])
    assert client.get(url).status_code == 404


def test_kpi_detail_shows_the_pending_banner_while_its_periods_await_recalculation(
    client, role_users, org, sales, computed
):
    from metrics import selectors as ms
    from metrics.services.recalc import recalculation_mark

    revenue = ms.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    url = f"/o/{org.slug}/kpis/{revenue.pk}/"
    client.force_login(role_users["manager"])
    assert 'class="alert alert-info pending-banner"' not in client.get(url).content.decode()
    recalculation_mark(org=org, periods=[computed["month"]])
    page = client.get(url).content.decode()
    assert 'class="alert alert-info pending-banner"' in page and "will update shortly" in page
    # The same banner as the dashboard's (one include).
    dashboard = client.get(f"/o/{org.slug}/dashboard/", {"period": computed["month"].pk})
    assert 'class="alert alert-info pending-banner"' in dashboard.content.decode()


def test_kpi_detail_opens_on_the_period_the_user_came_from_with_the_year_up_to_it(
    client, manager, org, sales, computed
):
    """Issue 16 §2: the KPI page has its own picker, keeps ?period= and shows the 12
    periods up to the chosen one, not next year's empty months."""
    from metrics import selectors as ms
    from metrics.services.periods import periods_generate

    periods_generate(org=org, fiscal_year=2027, by=None)  # next year's periods, no data
    revenue = ms.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    url = f"/o/{org.slug}/kpis/{revenue.pk}/"
    client.force_login(manager)
    # By default the latest month with data (March 2026), and the months up to it.
    page = client.get(url)
    assert page.context["period"] == computed["month"]
    assert [p.label for p, _ in page.context["trend"]] == ["2026-01", "2026-02", "2026-03"]
    # The period asked for: the 12 months up to it, and the picker selects it.
    june = next(p for p in computed["periods"] if p.kind == "month" and p.number == 6)
    page = client.get(url, {"period": june.pk})
    labels = [p.label for p, _ in page.context["trend"]]
    assert labels[-1] == "2026-06" and len(labels) == 6
    html = page.content.decode()
    assert f'<option value="{june.pk}" selected>2026-06</option>' in html
    # The kind switch and the way back to the scorecard keep the period.
    assert f'href="?kind=quarter&amp;period={june.pk}"' in html
    assert f'/scorecards/{sales.pk}/?period={june.pk}"' in html
    # A quarter chosen: the quarters up to it; a year: its months.
    q2 = next(p for p in computed["periods"] if p.kind == "quarter" and p.number == 2)
    page = client.get(url, {"period": q2.pk})
    assert page.context["kind"] == "quarter"
    assert [p.label for p, _ in page.context["trend"]] == ["FY2026 Q1", "FY2026 Q2"]
    year = next(p for p in computed["periods"] if p.kind == "year")
    page = client.get(url, {"period": year.pk})
    assert [p.label for p, _ in page.context["trend"]][-1] == "2026-12"
    assert len(page.context["trend"]) == 12
    # Another organization's period id is a 404, text too.
    assert client.get(url, {"period": "x"}).status_code == 404


def test_kpi_detail_sets_each_period_against_the_same_period_a_year_before(
    client, manager, org, sales, computed
):
    """同比 on the KPI page: a column with the actual a year before and its change (in the
    unit and in %), "—" where there is none; the chart gets the same values as a series.
    One query for the whole window, whatever its length."""
    import json

    from metrics import selectors as ms
    from metrics.services.periods import periods_generate
    from scorecards.rollup import recalculate

    periods = periods_generate(org=org, fiscal_year=2025, by=None)
    march_2025 = next(p for p in periods if p.kind == "month" and p.number == 3)
    revenue = ms.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    enter_actuals(org, (revenue, march_2025, "1200000"))
    recalculate(org=org, period_ids=[march_2025.pk])
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/kpis/{revenue.pk}/", {"period": computed["month"].pk})
    html = page.content.decode()
    assert "Same period last year" in html
    then = {pair[0].label: delta for pair, delta in page.context["rows"]}
    assert then["2026-03"].value == 1200000 and then["2026-03"].percent == 25
    assert "1,200,000" in html and "+300,000 (+25.0%)" in html
    assert then["2026-02"].missing  # nothing in February 2025
    chart = json.loads(html.split('id="kpi-data" type="application/json">')[1].split("<")[0])
    assert chart["year_before"][chart["periods"].index("2026-03")] == 1200000
    assert chart["year_before"][chart["periods"].index("2026-02")] is None


def test_scorecard_links_to_its_kpis_with_its_period(client, manager, org, sales, computed):
    from metrics import selectors as ms

    revenue = ms.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    month = computed["month"]
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/scorecards/{sales.pk}/", {"period": month.pk})
    assert f'href="/o/{org.slug}/kpis/{revenue.pk}/?period={month.pk}"' in page.content.decode()


def test_not_scored_lines_say_why_in_the_api_and_the_page(api, client, hr, org, sales, computed):
    """Issue 16 §6: "not scored" always says why (here a tracked KPI of weight 0)."""
    body = (
        api(hr)
        .get(
            f"/api/v1/orgs/{org.slug}/scorecards/",
            {"period": computed["month"].pk, "department": sales.pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        .json()
    )
    lines = body["results"][0]["lines"]
    unscored = [line for line in lines if not line["scored"]]
    assert unscored, "the sales template has tracked KPIs"
    assert {line["not_scored_reason"] for line in unscored} == {"weight_0"}
    assert {line["not_scored_message"] for line in unscored} == {"weight 0, tracked only"}
    scored = [line for line in lines if line["scored"]]
    assert scored and all(line["not_scored_reason"] is None for line in scored)
    client.force_login(hr)
    page = client.get(
        f"/o/{org.slug}/scorecards/{sales.pk}/?period={computed['month'].pk}",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert page.count("not scored: weight 0, tracked only") == len(unscored)
