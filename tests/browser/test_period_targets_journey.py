"""Targets per period on a phone (issue 20): HR opens Sales' KPI grid, follows "Targets by
period" of sales revenue, sees twelve month cells, fills them evenly, gives the running
month a seasonal target of its own and saves; once the worker has recomputed, Sales'
scorecard for that month shows the month's own target. Both languages, 375 px wide:
nothing wider than the window."""

import time
from decimal import Decimal

import pytest
from django.utils import translation

from metrics.templatetags.metrics_tags import readable

from .journey import Visitor

pytestmark = pytest.mark.browser

WIDER_THAN_THE_WINDOW = "document.documentElement.scrollWidth > window.innerWidth + 1"
# A different target per language: the second run changes it again.
SEASONAL = {"zh-hans": Decimal(2500000), "en": Decimal(2600000)}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_hr_sets_a_seasonal_month_target_and_the_scorecard_shows_it(
    stack, browser, axe_source, lang
):
    context = browser.new_context(
        locale=lang, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    try:
        ((sales, kpi),) = stack.sql(
            "SELECT d.id, k.id FROM departments_department d"
            " JOIN departments_organization o ON o.id = d.organization_id"
            " JOIN metrics_kpi k ON k.department_id = d.id"
            " JOIN metrics_indicator i ON i.id = k.indicator_id"
            " WHERE o.slug = %s AND d.code = 'sales' AND i.code = 'sales_revenue'",
            [stack.org],
        )
        # The running month: the latest open month that has started.
        ((month, label),) = stack.sql(
            "SELECT p.id, to_char(p.start, 'YYYY-MM') FROM metrics_period p"
            " JOIN departments_organization o ON o.id = p.organization_id"
            " WHERE o.slug = %s AND p.kind = 'month' AND p.status = 'open'"
            " AND p.start <= current_date ORDER BY p.start DESC LIMIT 1",
            [stack.org],
        )
        v.sign_in("hr")
        v.goto(f"{org}/departments/{sales}/kpis/")
        with page.expect_navigation():
            page.locator(f"a[href='{org}/kpis/{kpi}/targets/']").click()
        v.check()
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
        cells = page.locator("input[data-target-cell]")
        assert cells.count() == 12
        page.click("button[data-fill=even]")
        row = page.locator("tbody tr", has_text=label)
        assert row.locator("input[data-target-cell]").input_value() != ""
        # the demo's older months are locked: their cells stay as they are
        assert page.locator("input[data-target-cell][disabled]").count() >= 1
        target = SEASONAL[lang]
        row.locator("input[data-target-cell]").fill(str(target))
        saved_at = time.time()
        v.submit("#period-targets button[type=submit]")
        assert "/targets/" in page.url
        assert page.locator(".alert-success").count() == 1
        assert page.locator("tbody tr", has_text=label).locator(
            "input[data-target-cell]"
        ).input_value() == str(target)
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)

        with translation.override(lang):
            shown = str(readable(target, "currency"))
        deadline = time.monotonic() + 60
        while True:
            v.goto(f"{org}/scorecards/{sales}/?period={month}")
            computed = stack.sql(
                "SELECT extract(epoch FROM computed_at), target FROM reviews_scorecardline"
                " WHERE kpi_id = %s AND period_id = %s",
                [kpi, month],
            )
            pending = page.locator(".alert-info").count()
            if computed and computed[0][1] == target and not pending:
                break
            assert time.monotonic() < deadline, "the scorecard was never recomputed"
            time.sleep(1)
        assert float(computed[0][0]) >= saved_at - 5
        line = page.locator("main tbody tr", has=page.locator(f"a[href^='{org}/kpis/{kpi}/?']"))
        assert shown in line.first.inner_text()
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
    finally:
        context.close()


# Paste as Excel copies: tabs between the cells, a line break after each row (the last
# one too), numbers as displayed with thousands separators.
def _excel(block: list[list[Decimal]]) -> str:
    return "".join("\t".join(f"{v:,.2f}" for v in row) + "\r\n" for row in block)


PASTE = """([selector, text]) => {
  const input = document.querySelector(selector);
  input.focus();
  const data = new DataTransfer();
  data.setData("text/plain", text);
  const init = {clipboardData: data, bubbles: true, cancelable: true};
  input.dispatchEvent(new ClipboardEvent("paste", init));
}"""


def test_hr_pastes_two_kpis_year_into_the_department_grid(stack, browser, axe_source):
    """Sales' grid in Chinese on a phone: a 2 x 12 block copied from Excel, pasted into the
    first open month of the first KPI, lines up with the months of the first two KPIs; the
    locked months keep theirs; one save stores both KPIs' open months."""
    lang = "zh-hans"
    context = browser.new_context(
        locale=lang, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    try:
        ((sales,),) = stack.sql(
            "SELECT d.id FROM departments_department d"
            " JOIN departments_organization o ON o.id = d.organization_id"
            " WHERE o.slug = %s AND d.code = 'sales'",
            [stack.org],
        )
        v.sign_in("hr")
        v.goto(f"{org}/departments/{sales}/kpis/")
        with page.expect_navigation():
            page.locator(f"a[href='{org}/departments/{sales}/targets/']").click()
        v.check()
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
        rows = page.locator("#department-targets table").first.locator("tbody tr")
        assert rows.count() >= 2
        # the KPI's name stays readable beside the cells, inside the window
        name = rows.nth(0).locator("th").bounding_box()
        assert name is not None and name["x"] >= 0 and name["width"] >= 100
        cells = [rows.nth(r).locator("input[data-target-cell]") for r in (0, 1)]
        assert cells[0].count() == cells[1].count() == 12
        kpis = [
            int(rows.nth(r).locator("th a").get_attribute("href").split("/")[-3]) for r in (0, 1)
        ]
        locked = [cells[0].nth(c).is_disabled() for c in range(12)]
        assert any(locked) and not all(locked)
        before = [[cells[r].nth(c).input_value() for c in range(12)] for r in (0, 1)]
        # a little above each KPI's own target for the month (the grey placeholder)
        block = [
            [
                (
                    Decimal(cells[r].nth(c).get_attribute("placeholder").replace(",", ""))
                    * (Decimal("1.01") + Decimal(c) / 100)
                ).quantize(Decimal("0.01"))
                for c in range(12)
            ]
            for r in (0, 1)
        ]
        first_open = locked.index(False)
        page.evaluate(PASTE, [f"#{cells[0].nth(first_open).get_attribute('id')}", _excel(block)])
        for r in (0, 1):
            for c in range(12):
                shown = cells[r].nth(c).input_value()
                if locked[c]:
                    assert shown == before[r][c]
                else:
                    assert shown == f"{block[r][c]:,.2f}"
        v.submit("#department-targets button[type=submit]")
        assert "/targets/" in page.url
        assert page.locator(".alert-success").count() == 1
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
        year = int(page.locator("#year").input_value())
        saved = {
            (kpi, number): target
            for kpi, number, target in stack.sql(
                "SELECT t.kpi_id, p.number, t.target FROM metrics_kpiperiodtarget t"
                " JOIN metrics_period p ON p.id = t.period_id"
                " WHERE t.kpi_id = ANY(%s) AND p.fiscal_year = %s AND p.kind = 'month'",
                [kpis, year],
            )
        }
        for r in (0, 1):
            for c in range(12):
                if not locked[c]:
                    assert saved[(kpis[r], c + 1)] == block[r][c]  # months by number in the year
                    shown = cells[r].nth(c).input_value()
                    assert Decimal(shown) == block[r][c]
    finally:
        context.close()
