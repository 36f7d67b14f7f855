"""The look of the dashboard and scorecard exports (metrics.workbooks): title block,
number and percentage formats, fitted widths, status fills, and the company goals."""

import io
import re

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook

from metrics import selectors as metric_selectors
from metrics import workbooks
from scorecards.rollup import recalculate
from scorecards.services import goal_save
from tests.factories import enter_actuals

pytestmark = pytest.mark.django_db

HEADER_ROW = 4


def _book(response):
    assert response.status_code == 200
    assert response["Content-Type"] == workbooks.XLSX
    return load_workbook(io.BytesIO(response.content))


def _columns(ws):
    return [c.value for c in ws[HEADER_ROW]]


def _cell(ws, column_name, row=HEADER_ROW + 1):
    return ws.cell(row=row, column=_columns(ws).index(column_name) + 1)


def _fill(cell):
    return cell.fill.fgColor.rgb[-6:] if cell.fill and cell.fill.fill_type == "solid" else None


@pytest.fixture
def goal(org, computed, hr):
    kpis = metric_selectors.kpi_list(org=org)
    month = computed["month"]
    saved = goal_save(
        org=org,
        by=hr,
        title="Grow with happier staff",
        period=month,
        links=[
            (kpis.get(department__code="sales", indicator__code="sales_revenue"), 3),
            (kpis.get(department__code="hr", indicator__code="employee_satisfaction"), 1),
        ],
    )
    recalculate(org=org, period_ids=[month.pk])
    return saved


def test_dashboard_export_title_formats_widths_and_fills(client, executive, org, computed):
    executive.first_name, executive.last_name = "小明", "王"
    executive.save()
    client.force_login(executive)
    month = computed["month"]
    with translation.override("en"):
        wb = _book(client.get(f"/o/{org.slug}/dashboard/export.xlsx?period={month.pk}"))
    indices = wb["Indices"]
    assert indices["A1"].value == f"{org.name} · {month.label}"
    assert indices["A1"].font.b
    stamp = r"Exported at \d{4}-\d\d-\d\d \d\d:\d\d by 王小明"  # ISO time, the name
    assert re.fullmatch(stamp, indices["A2"].value)
    assert indices.freeze_panes == f"A{HEADER_ROW + 1}"
    assert _columns(indices)[:2] == ["Period", "Company index"]
    assert _cell(indices, "Management index").number_format == "0.0"
    coverage = _cell(indices, "Management coverage")
    assert coverage.number_format == "0.0%" and 0 < coverage.value <= 1
    assert _fill(indices.cell(row=HEADER_ROW, column=1)) == workbooks.HEADER_COLOUR

    ranking = wb["Ranking of departments"]
    rows = {r[2].value: r for r in ranking.iter_rows(min_row=HEADER_ROW + 1)}
    sales, hr = rows["sales"], rows["hr"]
    assert sales[4].value == 90.0 and sales[4].number_format == "0.0"
    assert sales[6].number_format == "0.0%"
    statuses = {r[2].value: (_fill(r[7]), r[7].value) for r in rows.values()}
    assert statuses["sales"] == (workbooks.STATUS_COLOURS["amber"], "amber")
    assert hr[7].value and _fill(hr[7]) in workbooks.STATUS_COLOURS.values()
    width = ranking.column_dimensions["B"].width  # department names: fitted, not 8
    assert width >= len("Department") + 2

    heat = wb["Departments × KPIs"]
    codes = _columns(heat)
    revenue = heat.cell(
        row=[r[0].value for r in heat.iter_rows()].index("Sales") + 1,
        column=codes.index("Sales revenue") + 1,
    )
    assert revenue.value == 90.0 and _fill(revenue) == workbooks.STATUS_COLOURS["amber"]


def test_dashboard_export_lists_goals_with_progress_and_departments(
    client, executive, org, computed, goal
):
    client.force_login(executive)
    with translation.override("en"):
        wb = _book(client.get(f"/o/{org.slug}/dashboard/export.xlsx?period={computed['month'].pk}"))
    ws = wb["Company goals"]
    assert _columns(ws)[:5] == ["Goal", "Progress", "Department", "Kind", "KPI"]
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert {r[0] for r in rows} == {"Grow with happier staff"}
    assert rows[0][1] == pytest.approx(88.93, abs=0.01)  # (3 × 90 + 85.71) / 4
    assert {(r[2], r[4]) for r in rows} == {
        (computed["hr_dept"].display_name, "Employee satisfaction"),
        ("Sales", "Sales revenue"),
    }
    assert _cell(ws, "Progress").number_format == "0.0"


def test_dashboard_export_in_chinese(client, executive, org, computed, goal):
    client.force_login(executive)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    wb = _book(client.get(f"/o/{org.slug}/dashboard/export.xlsx?period={computed['month'].pk}"))
    assert wb.sheetnames[0] == "指数"
    assert wb.worksheets[0]["A2"].value.startswith("导出时间")
    assert "公司目标" in wb.sheetnames


def test_scorecard_export_formats_targets_by_unit(client, manager, org, sales, computed):
    client.force_login(manager)
    url = f"/o/{org.slug}/scorecards/{sales.pk}/export.xlsx?period={computed['month'].pk}"
    with translation.override("en"):
        wb = _book(client.get(url))
    card = wb["Scorecard"]
    assert card["A1"].value.startswith(org.name) and computed["month"].label in card["A1"].value
    assert _cell(card, "Coverage").number_format == "0.0%"
    ws = wb["KPIs"]
    rows = {r[1].value: r for r in ws.iter_rows(min_row=HEADER_ROW + 1)}
    revenue = rows["sales_revenue"]
    target = revenue[_columns(ws).index("Target")]
    assert target.value == pytest.approx(1666666.666667)
    assert target.number_format == "#,##0.00"  # shown 1,666,666.67
    assert _fill(revenue[_columns(ws).index("Status")]) == workbooks.STATUS_COLOURS["amber"]
    new_customers = rows["new_customers"]
    assert new_customers[_columns(ws).index("Target")].number_format == "#,##0"  # a count


def _february_revenue(org, month, value: str):
    """Sales revenue of February entered and rolled up (the month before `month`)."""
    from metrics.models import Period

    february = Period.objects.for_org(org).get(kind="month", start__lt=month.start, number=2)
    revenue = metric_selectors.kpi_list(org=org).get(
        department__code="sales", indicator__code="sales_revenue"
    )
    enter_actuals(org, (revenue, february, value))
    recalculate(org=org, period_ids=[february.pk])
    return february


def test_dashboard_export_carries_the_comparison_shown(client, executive, org, computed):
    """With 环比 (period on period) the indices sheet adds the month compared with and the
    change, and the ranking each department's score then and its change, with its sign;
    with 同比 and no year before, the columns are there and empty (not 0)."""
    month = computed["month"]
    february = _february_revenue(org, month, "1000000")
    client.force_login(executive)
    with translation.override("en"):
        wb = _book(client.get(f"/o/{org.slug}/dashboard/export.xlsx?period={month.pk}&compare=pop"))
    indices = list(wb["Indices"].iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert [r[0] for r in indices] == [month.label, february.label, "Change, Period on period"]
    now, then, change = (r[1] for r in indices)  # the company index
    assert change == pytest.approx(now - then)
    assert wb["Indices"].cell(row=HEADER_ROW + 3, column=2).number_format == "+0.0;-0.0;0.0"
    ranking = wb["Ranking of departments"]
    assert _columns(ranking)[-2:] == ["Score, Period on period", "Change, Period on period"]
    sales = next(r for r in ranking.iter_rows(min_row=HEADER_ROW + 1) if r[2].value == "sales")
    assert sales[4].value == 90.0
    assert sales[8].value is not None and sales[9].value == pytest.approx(90.0 - sales[8].value)
    with translation.override("en"):
        wb = _book(client.get(f"/o/{org.slug}/dashboard/export.xlsx?period={month.pk}&compare=yoy"))
    ranking = wb["Ranking of departments"]
    assert _columns(ranking)[-2:] == ["Score, Year on year", "Change, Year on year"]
    rows = list(ranking.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert rows and all(r[8] is None and r[9] is None for r in rows)  # no FY2025: nothing


def test_dashboard_export_lists_the_goals_in_force_with_their_period(
    client, executive, org, computed, hr
):
    """A month's export lists the year's goal too, as the dashboard does, naming its period."""
    from metrics.models import Period

    month = computed["month"]
    year = Period.objects.for_org(org).get(kind="year", start__lte=month.start, end__gte=month.end)
    kpis = metric_selectors.kpi_list(org=org)
    goal_save(
        org=org,
        by=hr,
        title="A year of growth",
        period=year,
        links=[(kpis.get(department__code="sales", indicator__code="sales_revenue"), 1)],
    )
    client.force_login(executive)
    with translation.override("en"):
        wb = _book(client.get(f"/o/{org.slug}/dashboard/export.xlsx?period={month.pk}"))
    ws = wb["Company goals"]
    assert _columns(ws)[-1] == "Period"
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert [(r[0], r[-1]) for r in rows] == [("A year of growth", year.label)]


def test_scorecard_export_carries_the_comparison_shown(client, manager, org, sales, computed):
    """The scorecard's export, asked for with 环比, adds the score then and its change, and
    for each line the actual then, its change (in the unit's format, signed), the change in
    % and the score then with its change; a line with nothing then has empty cells."""
    month = computed["month"]
    _february_revenue(org, month, "1200000")
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/scorecards/{sales.pk}/?period={month.pk}&compare=yoy")
    assert "&amp;compare=yoy" in page.content.decode()  # the export link keeps the choice
    url = f"/o/{org.slug}/scorecards/{sales.pk}/export.xlsx?period={month.pk}&compare=pop"
    with translation.override("en"):
        wb = _book(client.get(url))
    card = wb["Scorecard"]
    then, change = (_cell(card, f"{n}, Period on period").value for n in ("Score", "Change"))
    assert then is not None and change == pytest.approx(_cell(card, "Score").value - then)
    ws = wb["KPIs"]
    columns = _columns(ws)
    assert "Period" not in columns  # no empty column
    rows = {r[1].value: r for r in ws.iter_rows(min_row=HEADER_ROW + 1)}
    line = rows["sales_revenue"]
    actual_then = line[columns.index("Actual, Period on period")]
    actual_change = line[columns.index("Change, Period on period")]
    assert actual_then.value == 1200000 and actual_then.number_format == "#,##0.00"
    assert actual_change.value == 300000  # 1,500,000 - 1,200,000
    assert actual_change.number_format == "+#,##0.00;-#,##0.00;#,##0.00"
    assert line[columns.index("Change in %, Period on period")].value == 25.0
    score_then = line[columns.index("Score, Period on period")].value
    score_change = line[columns.index("Score change, Period on period")].value
    assert score_change == pytest.approx(line[columns.index("Score")].value - score_then)
    nothing = rows["new_customers"]  # no actual in either month
    assert nothing[columns.index("Actual, Period on period")].value is None
    assert nothing[columns.index("Change in %, Period on period")].value is None
