"""The balanced-scorecard pages (issue 20): a department's KPIs by perspective, the company's
(the mean of the departments' perspective scores) and its strategy map, from the lines the
roll-up stored."""

from decimal import Decimal as D

import pytest

from metrics.services.indicators import indicator_create
from metrics.services.kpis import kpi_create
from metrics.services.periods import periods_generate
from scorecards.models import Scorecard
from scorecards.rollup import recalculate
from scorecards.selectors import bsc
from scorecards.services import goal_save
from tests.factories import enter_actuals, make_department

pytestmark = pytest.mark.django_db

PERSPECTIVES = ["financial", "customer", "process", "learning"]


def _indicator(org, code, perspective):
    return indicator_create(
        org=org,
        by=None,
        code=code,
        name=f"{code}-名",
        name_en=code,
        unit="count",
        direction="higher_is_better",
        aggregation="average",
        perspective=perspective,
        frequency="month",
    )


def _kpi(org, department, indicator, weight):
    # target 100, threshold 0: a value scores itself (up to the cap of 120)
    return kpi_create(
        org=org,
        by=None,
        department=department,
        indicator=indicator,
        weight=D(weight),
        target=D(100),
        threshold=D(0),
    )


@pytest.fixture
def bsc_data(org, sales, hr):
    """Sales: financial 3 × 80, 1 × 120, 4 × (no value); customer 2 × 50; process 1 × (no
    value); no learning KPI. Ops: financial 1 × 100; customer 1 × 70; learning 2 × 60.
    March 2026; a goal of the year and one of March linked to some of them, one of
    February that is not in force in March."""
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    months = [p for p in periods if p.kind == "month"]
    march, february = months[2], months[1]
    year = next(p for p in periods if p.kind == "year")
    ops = make_department(org, code="ops", name="运营部", name_en="Ops")
    ind = {
        code: _indicator(org, code, perspective)
        for code, perspective in [
            ("fin1", "financial"),
            ("fin2", "financial"),
            ("fin3", "financial"),
            ("cust1", "customer"),
            ("proc1", "process"),
            ("learn1", "learning"),
        ]
    }
    k = {
        "s_fin1": _kpi(org, sales, ind["fin1"], 3),
        "s_fin2": _kpi(org, sales, ind["fin2"], 1),
        "s_fin3": _kpi(org, sales, ind["fin3"], 4),
        "s_cust1": _kpi(org, sales, ind["cust1"], 2),
        "s_proc1": _kpi(org, sales, ind["proc1"], 1),
        "o_fin1": _kpi(org, ops, ind["fin1"], 1),
        "o_cust1": _kpi(org, ops, ind["cust1"], 1),
        "o_learn1": _kpi(org, ops, ind["learn1"], 2),
    }
    enter_actuals(
        org,
        (k["s_fin1"], march, "80"),
        (k["s_fin2"], march, "120"),
        (k["s_cust1"], march, "50"),
        (k["o_fin1"], march, "100"),
        (k["o_cust1"], march, "70"),
        (k["o_learn1"], march, "60"),
    )
    year_goal = goal_save(
        org=org,
        by=hr,
        title="<b>Grow</b> revenue",
        period=year,
        links=[(k["s_fin1"], D(2)), (k["o_learn1"], D(1))],
    )
    goal_save(org=org, by=hr, title="Happy customers", period=march, links=[(k["s_cust1"], 1)])
    goal_save(org=org, by=hr, title="February push", period=february, links=[(k["s_fin2"], 1)])
    recalculate(org=org, period_ids=[p.pk for p in periods])
    return {"march": march, "ops": ops, "kpis": k, "year_goal": year_goal, "periods": periods}


def _by(groups):
    return {g.perspective: g for g in groups}


def test_department_perspectives_renormalise_the_weights_within_each(org, sales, bsc_data):
    groups = bsc.department_bsc(org=org, department=sales, period=bsc_data["march"])
    assert [g.perspective for g in groups] == PERSPECTIVES
    by = _by(groups)
    # (3 × 80 + 1 × 120) / (3 + 1): the line without a value is left out (exclude policy)
    assert by["financial"].score == D(90) and by["financial"].status == "amber"
    assert by["customer"].score == D(50) and by["customer"].status == "red"
    assert by["process"].score is None and by["process"].status == "grey"
    assert len(by["process"].lines) == 1
    assert by["learning"].lines == [] and by["learning"].score is None
    shares = {line.kpi_id: line.share for line in by["financial"].lines}
    assert shares[bsc_data["kpis"]["s_fin1"].pk] == D("0.375")
    assert shares[bsc_data["kpis"]["s_fin3"].pk] == D("0.5")


def test_zero_policy_counts_a_missing_value_as_zero_as_the_rollup_does(org, sales, bsc_data):
    org.missing_actual_policy = "zero"
    org.save()
    recalculate(org=org, period_ids=[bsc_data["march"].pk])
    by = _by(bsc.department_bsc(org=org, department=sales, period=bsc_data["march"]))
    assert by["financial"].score == D(45)  # (3 × 80 + 1 × 120 + 4 × 0) / 8
    assert by["process"].score is None  # no value at all: empty, as a department would be


def test_a_single_perspective_scores_as_the_department_does(org, bsc_data):
    """Same formula as the roll-up: a department whose KPIs are all of one perspective has
    that perspective's score as its stored score."""
    solo = make_department(org, code="solo")
    kpi = _kpi(org, solo, _indicator(org, "solo_a", "customer"), 3)
    other = _kpi(org, solo, _indicator(org, "solo_b", "customer"), 7)
    enter_actuals(org, (kpi, bsc_data["march"], "33"), (other, bsc_data["march"], "101"))
    recalculate(org=org, period_ids=[bsc_data["march"].pk])
    card = Scorecard.objects.for_org(org).get(department=solo, period=bsc_data["march"])
    by = _by(bsc.department_bsc(org=org, department=solo, period=bsc_data["march"]))
    assert by["customer"].score == card.score == D("80.6")  # (3 × 33 + 7 × 101) / 10
    assert by["customer"].status == card.status == "amber"


def test_company_perspective_is_the_mean_of_the_departments(org, sales, bsc_data):
    company = bsc.company_bsc(org=org, period=bsc_data["march"])
    by = _by(company.perspectives)
    assert by["financial"].score == D(95) and by["financial"].count == 2  # (90 + 100) / 2
    assert by["financial"].status == "amber"
    assert by["customer"].score == D(60) and by["customer"].status == "red"  # (50 + 70) / 2
    assert by["process"].score is None and by["process"].count == 0  # Sales's has no value
    assert by["learning"].score == D(60) and by["learning"].count == 1  # Ops only
    assert [row["department"].code for row in company.rows] == ["ops", "sales"]
    # the rows shown can be narrowed; the company's scores still count every department
    narrowed = bsc.company_bsc(org=org, period=bsc_data["march"], department_ids={sales.pk})
    assert [row["department"].code for row in narrowed.rows] == ["sales"]
    assert _by(narrowed.perspectives)["financial"].score == D(95)


def test_strategy_map_links_the_goals_in_force_to_their_kpis(org, sales, bsc_data):
    company = bsc.company_bsc(org=org, period=bsc_data["march"])
    strategy = bsc.strategy_map(
        org=org, period=bsc_data["march"], lines=company.lines, department_ids={sales.pk}
    )
    assert [g.title for g in strategy["goals"]] == ["<b>Grow</b> revenue", "Happy customers"]
    items = {(i["goal"].title, i["link"].kpi.indicator.code): i for i in strategy["items"]}
    assert set(items) == {
        ("<b>Grow</b> revenue", "fin1"),
        ("<b>Grow</b> revenue", "learn1"),
        ("Happy customers", "cust1"),
    }
    learn = items[("<b>Grow</b> revenue", "learn1")]
    assert learn["perspective"] == "learning" and learn["line"].score == D(60)
    assert learn["visible"] is False  # Ops: not the member's
    chart = bsc.strategy_chart(strategy)
    assert chart["layers"] == ["Learning and growth", "Internal process", "Customer", "Financial"]
    goals = [n for n in chart["nodes"] if n["goal"]]
    kpis = {n["name"]: n for n in chart["nodes"] if not n["goal"]}
    assert [g["layer"] for g in goals] == [4, 4]
    assert kpis["fin1 · Sales"]["layer"] == 3 and kpis["fin1 · Sales"]["score"] == 80
    assert kpis["cust1 · Sales"]["status"] == "red"
    assert kpis["learn1 · Ops"]["layer"] == 0
    assert len(chart["links"]) == 3


def test_department_page_shows_perspectives_and_links(client, hr, org, sales, bsc_data):
    client.force_login(hr)
    march = bsc_data["march"]
    page = client.get(f"/o/{org.slug}/scorecards/{sales.pk}/bsc/?period={march.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "90.0" in html and "50.0" in html
    assert "No KPI of this perspective in this period." in html  # learning
    kpi = bsc_data["kpis"]["s_fin1"]
    assert f'href="/o/{org.slug}/kpis/{kpi.pk}/?period={march.pk}"' in html
    assert f'href="/o/{org.slug}/scorecards/{sales.pk}/?period={march.pk}"' in html
    # and the scorecard links to its balanced scorecard
    scorecard = client.get(f"/o/{org.slug}/scorecards/{sales.pk}/?period={march.pk}")
    assert (
        f"/o/{org.slug}/scorecards/{sales.pk}/bsc/?period={march.pk}" in scorecard.content.decode()
    )


def test_department_page_roles(client, role_users, org, sales, bsc_data):
    url = f"/o/{org.slug}/scorecards/{sales.pk}/bsc/"
    other = f"/o/{org.slug}/scorecards/{bsc_data['ops'].pk}/bsc/"
    for role in ("admin", "hr", "executive", "manager"):
        client.force_login(role_users[role])
        assert client.get(url).status_code == 200, role
    assert client.get(other).status_code == 403  # the manager does not manage Ops
    client.force_login(role_users["outsider"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_company_page_roles_and_what_a_manager_sees(client, role_users, org, sales, bsc_data):
    url = f"/o/{org.slug}/bsc/?period={bsc_data['march'].pk}"
    for role in ("admin", "hr", "executive"):
        client.force_login(role_users[role])
        page = client.get(url)
        assert page.status_code == 200, role
        assert f"/o/{org.slug}/scorecards/{bsc_data['ops'].pk}/bsc/" in page.content.decode()
    client.force_login(role_users["manager"])
    html = client.get(url).content.decode()
    assert "95.0" in html  # the company's financial score counts Ops too
    assert f"/o/{org.slug}/scorecards/{bsc_data['ops'].pk}/bsc/" not in html
    assert f"/o/{org.slug}/scorecards/{sales.pk}/bsc/" in html
    assert f"/o/{org.slug}/kpis/{bsc_data['kpis']['o_learn1'].pk}/" not in html
    assert f"/o/{org.slug}/kpis/{bsc_data['kpis']['s_fin1'].pk}/" in html
    client.force_login(role_users["outsider"])
    assert client.get(url).status_code == 404


def test_company_page_escapes_names_and_feeds_the_chart_as_json(client, hr, org, bsc_data):
    client.force_login(hr)
    html = client.get(f"/o/{org.slug}/bsc/?period={bsc_data['march'].pk}").content.decode()
    assert "<b>Grow</b>" not in html and "&lt;b&gt;Grow&lt;/b&gt; revenue" in html
    assert 'id="strategy-chart" data-table="strategy-table"' in html
    assert 'id="strategy-table"' in html
    assert '<script id="strategy-data" type="application/json">' in html
    assert "\\u003Cb\\u003EGrow" in html  # json_script's escaping
    # the dashboard links to it
    dashboard = client.get(f"/o/{org.slug}/dashboard/").content.decode()
    assert f'href="/o/{org.slug}/bsc/' in dashboard


def test_pages_without_goals_or_lines_say_so(client, hr, org, sales):
    periods_generate(org=org, fiscal_year=2026, by=None)
    client.force_login(hr)
    html = client.get(f"/o/{org.slug}/bsc/").content.decode()
    assert "No company goal in force in this period." in html
    assert "No department has KPI lines in this period." in html
    assert 'id="strategy-chart"' not in html
    html = client.get(f"/o/{org.slug}/scorecards/{sales.pk}/bsc/").content.decode()
    assert html.count("No KPI of this perspective in this period.") == 4


def test_the_pages_are_in_chinese(client, hr, org, sales, bsc_data):
    client.force_login(hr)
    client.cookies["django_language"] = "zh-hans"
    march = bsc_data["march"]
    html = client.get(f"/o/{org.slug}/bsc/?period={march.pk}").content.decode()
    assert "fin1-名" in html and "运营部" in html


def _grow(org, bsc_data, n):
    """n more departments with a KPI in each perspective, values, and links to the goal."""
    indicators = [_indicator(org, f"g{n}_{p}", p) for p in PERSPECTIVES]
    links = [(link.kpi, link.weight) for link in bsc_data["year_goal"].links.all()]
    march = bsc_data["march"]
    for i in range(n):
        department = make_department(org, code=f"more{n}_{i}")
        kpis = [_kpi(org, department, ind, 1) for ind in indicators]
        enter_actuals(org, *[(kpi, march, "90") for kpi in kpis])
        links += [(kpi, D(1)) for kpi in kpis]
    goal = bsc_data["year_goal"]
    goal_save(
        org=org, by=goal.created_by, goal=goal, title=goal.title, period=goal.period, links=links
    )
    recalculate(org=org, period_ids=[march.pk])


@pytest.mark.parametrize("role", ["hr", "manager"])
def test_query_counts_do_not_grow_with_departments_and_kpis(
    client,
    role_users,
    org,
    sales,
    bsc_data,
    role,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    client.force_login(role_users[role])
    march = bsc_data["march"]
    company = f"/o/{org.slug}/bsc/?period={march.pk}"
    department = f"/o/{org.slug}/scorecards/{sales.pk}/bsc/?period={march.pk}"
    counts = {}
    for url in (company, department):
        client.get(url)  # the session's first request does more
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    _grow(org, bsc_data, 3)
    for url in (company, department):
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200
