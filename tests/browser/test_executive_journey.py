"""The executive reads the company dashboard: switches period and filters, every chart
renders with its table, drills down to a department and to a KPI's history, exports to
Excel."""

import openpyxl
import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser


def approve_a_review(v: Visitor, department_url: str) -> None:
    """From the scorecard to the department's review, then to the reviews of the period; a
    submitted review is opened and approved with a comment, and its history shows it."""
    page = v.page
    page.goto(department_url)
    page.click("main a[href*='/reviews/']")
    page.wait_for_url("**/reviews/**")
    v.check()
    page.click("main a[href*='/reviews/?period=']")
    page.wait_for_url("**/reviews/?period=**")
    v.check()
    # The demo has submitted reviews of Sales in the last months, one at the executive
    # decision (the other waits for HR's check): open it.
    options = page.locator("#period-pick option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    for value in reversed(values):
        v.goto(f"{v.org_url}reviews/?period={value}")
        submitted = page.locator(
            "tr:has(.badge.review-submitted):has([data-current-step=executive]) a"
        )
        if submitted.count():
            break
    else:
        raise AssertionError("no submitted review to approve")
    submitted.first.click()
    page.wait_for_url("**/reviews/*/?period=**")
    v.check()
    page.fill("#id_comment", "OK")
    v.confirm("button[value=approve]")
    assert page.locator(".badge.review-approved").count() == 1
    assert page.locator("main ol.review-history li").count() >= 3  # submit, HR, approve
    assert page.locator("[data-step-state=done]").count() == 3


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_executive_reads_the_dashboard_and_drills_down(stack, browser, axe_source, lang, tmp_path):
    context = browser.new_context(
        locale=lang, accept_downloads=True, viewport={"width": 1366, "height": 900}
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    try:
        v.sign_in("executive")
        page.click(f"nav a[href='{org}/dashboard/']")
        page.wait_for_url(f"**{org}/dashboard/")
        v.check()
        charts = page.locator("[id$='-chart']")
        # Six charts, each drawn or, with nothing to say, one line instead.
        assert charts.count() + page.locator(".chart-empty").count() >= 6
        assert page.locator("#ranking-table tbody tr").count() >= 8

        # Another period: the picker submits on change.
        options = page.locator("#period-pick option")
        current = page.locator("#period-pick").input_value()
        # Another period with scores on both sides (which ones have them depends on the date
        # the demo was loaded).
        computed = {
            str(row[0])
            for row in stack.sql(
                "SELECT s.period_id FROM reviews_orgscorecard s JOIN departments_organization o"
                " ON o.id = s.organization_id WHERE o.slug = %s"
                " AND s.business_index IS NOT NULL AND s.management_index IS NOT NULL",
                [stack.org],
            )
        }
        other = next(
            value
            for i in range(options.count())
            if (value := options.nth(i).get_attribute("value")) != current and value in computed
        )
        with page.expect_navigation():
            page.select_option("#period-pick", other)
        v.check()
        assert f"period={other}" in page.url
        assert page.locator("#period-pick").input_value() == other

        # Filters: business departments only, then sales, then cleared.
        page.select_option("#id_kind", "business")
        v.submit("form[method=get] button[type=submit]")
        assert "kind=business" in page.url and f"period={other}" in page.url
        business_rows = page.locator("#ranking-table tbody tr").count()
        assert 0 < business_rows < 8
        page.select_option("#id_function", "sales")
        v.submit("form[method=get] button[type=submit]")
        assert 0 < page.locator("#ranking-table tbody tr").count() <= business_rows
        page.click("main a.btn-link[href^='?']")
        page.wait_for_load_state()
        v.check()
        assert "kind=" not in page.url

        # Every chart drawn (ECharts' SVG inside each container); the heatmap's table comes
        # when its <details> is opened.
        for i in range(charts.count()):
            assert charts.nth(i).locator("svg").count() >= 1
        page.click("#statuses-table summary")
        page.locator("#statuses-table table").wait_for()
        v.check()

        # Export to Excel.
        with page.expect_download() as download_info:
            page.click(f"a[href^='{org}/dashboard/export.xlsx']")
        path = tmp_path / "dashboard.xlsx"
        download_info.value.save_as(path)
        book = openpyxl.load_workbook(path)
        assert book.sheetnames
        assert sum(sheet.max_row for sheet in book.worksheets) > 8
        numbers = [
            c.value
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for c in row
            if isinstance(c.value, int | float)
        ]
        assert numbers, "the export has no numbers"

        # Drill down: a department's scorecard, then one KPI's history.
        page.locator("#ranking-table tbody a").first.click()
        page.wait_for_url("**/scorecards/**")
        v.check()
        department_url = page.url
        assert page.locator("main tbody tr").count() >= 1
        page.locator("main tbody a[href*='/kpis/']").first.click()
        page.wait_for_url("**/kpis/**")
        v.check()
        assert page.locator("#kpi-chart svg").count() >= 1
        assert page.locator("#kpi-table tbody tr").count() >= 1
        page.click("main a[href^='?kind=quarter']")
        page.wait_for_url("**kind=quarter**")
        v.check()

        approve_a_review(v, department_url)
    finally:
        context.close()
