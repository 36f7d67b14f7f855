"""Closing the cycle in the browser (issue 17): HR opens a quarter's calibration; an
executive moves the Sales grade with a reason, watches the guideline, publishes and
downloads the coefficients; the Sales manager reads the grade and the reason and appeals;
the executive decides the appeal. Each language takes its own quarter."""

import openpyxl
import pytest

from .journey import Visitor
from .test_manager_journey import new_context

pytestmark = pytest.mark.browser

# Ended quarters with scores whose grades nobody has calibrated yet, newest first.
QUARTERS_SQL = """
SELECT p.id FROM metrics_period p JOIN departments_organization o ON o.id = p.organization_id
WHERE o.slug = %s AND p.kind = 'quarter' AND p.end < CURRENT_DATE
  AND EXISTS (SELECT 1 FROM reviews_scorecard s WHERE s.period_id = p.id AND s.coverage > 0)
  AND NOT EXISTS (SELECT 1 FROM grades_calibration c WHERE c.period_id = p.id)
ORDER BY p.start DESC
"""
SALES_SQL = """
SELECT d.id FROM departments_department d JOIN departments_organization o
  ON o.id = d.organization_id WHERE o.slug = %s AND d.code = 'sales'
"""


def _visitor(browser, stack, axe_source, lang, width):
    context = new_context(browser, stack, lang, viewport={"width": width, "height": 900})
    page = context.new_page()
    return context, page, Visitor(page, stack, axe_source, lang)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_grades_are_calibrated_published_read_and_appealed(
    stack, browser, axe_source, lang, tmp_path
):
    quarters = [row[0] for row in stack.sql(QUARTERS_SQL, [stack.org])]
    assert quarters, "no ended quarter left to calibrate in the demo"
    quarter = quarters[0]
    (sales,) = stack.sql(SALES_SQL, [stack.org])[0]
    url = f"/o/{stack.org}/grades/?period={quarter}"
    zh = lang == "zh-hans"  # people type in their language (the page is checked for English)
    reason = "销售口径调整" if zh else "Sales definition changed"
    appeal = "目标中途上调" if zh else "Target raised mid-quarter"
    agreed = "同意" if zh else "Agreed"

    context, page, v = _visitor(browser, stack, axe_source, lang, 1366)
    try:
        v.sign_in("hr")
        page.click("#nav-reviews")  # the Reviews menu holds Grades
        page.click(f"nav a[href='/o/{stack.org}/grades/']")
        v.check()
        v.goto(url)
        v.submit("main button[value=open]")
        assert page.locator(".badge.text-bg-warning").count() == 1  # being calibrated
    finally:
        context.close()

    context, page, v = _visitor(browser, stack, axe_source, lang, 375)
    try:
        v.sign_in("executive")
        v.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        row = page.locator(f"#grade-{sales}")
        before = row.locator("strong.grade").inner_text()
        row.locator("summary").click()
        options = row.locator("select[name=grade] option")
        labels = [options.nth(i).inner_text() for i in range(options.count())]
        # Down to the lowest grade (or the one above it): no "at most" limit can break.
        target = labels[-1] if before != labels[-1] else labels[-2]
        row.locator("select[name=grade]").select_option(target)
        row.locator("input[name=reason]").fill("")
        v.submit(f"#grade-{sales} button[value=move]")  # no reason: refused beside it
        assert page.locator(f"#grade-{sales} .invalid-feedback").count() >= 1
        row = page.locator(f"#grade-{sales}")
        row.locator("select[name=grade]").select_option(target)
        row.locator("input[name=reason]").fill(reason)
        v.submit(f"#grade-{sales} button[value=move]")
        row = page.locator(f"#grade-{sales}")
        assert row.locator("strong.grade").inner_text() == target
        assert reason in row.inner_text()
        assert "table-warning" in (row.get_attribute("class") or "")
        v.confirm("main button[value=publish]")
        assert page.locator(".badge.text-bg-success").first.is_visible()  # published
        with page.expect_download() as download:
            page.click("main a[href*='/grades/'][href$='export.xlsx']")
        path = tmp_path / "grades.xlsx"
        download.value.save_as(path)
        sheet = openpyxl.load_workbook(path).worksheets[0]
        cells = [c.value for r in sheet.iter_rows() for c in r]
        assert reason in cells
    finally:
        context.close()

    context, page, v = _visitor(browser, stack, axe_source, lang, 375)
    try:
        v.sign_in("manager")
        v.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        row = page.locator(f"#grade-{sales}")
        assert row.locator("strong.grade").inner_text() == target
        assert reason in row.inner_text()
        assert (
            page.locator("main tbody tr").count()
            == page.locator("main tbody tr[id^=grade-]").count()
        )  # only the manager's departments
        row.locator("summary").click()
        row.locator("textarea[name=reason]").fill(appeal)
        v.submit(f"#grade-{sales} button[value=appeal]")
        assert appeal in page.locator(f"#grade-{sales}").inner_text()
        assert page.locator(f"#grade-{sales} summary").count() == 0  # once
    finally:
        context.close()

    context, page, v = _visitor(browser, stack, axe_source, lang, 1366)
    try:
        v.sign_in("executive")
        v.goto(url)
        row = page.locator(f"#grade-{sales}")
        row.locator("select[name=grade]").select_option(before)
        row.locator("input[name=reason]").fill(agreed)
        v.submit(f"#grade-{sales} button[value=resolve]")
        row = page.locator(f"#grade-{sales}")
        assert row.locator("strong.grade").inner_text() == before
        assert agreed in row.inner_text()
        page.screenshot(path=tmp_path / f"grades-{lang}.png", full_page=True)
    finally:
        context.close()
