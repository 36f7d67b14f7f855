"""HR sets up a new department and the year: department under another, template, KPI grid
(with the weights warning), a fiscal year's periods, locking a period."""

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser

# Each language has its own department and fiscal year, so the two runs do not meet.
CASES = {"zh-hans": ("bt-zh", 2031), "en": ("bt-en", 2032)}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_hr_sets_up_a_department_and_a_fiscal_year(stack, browser, axe_source, lang):
    code, year = CASES[lang]
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("hr")
        org = f"/o/{stack.org}"

        # A department under Sales.
        v.goto(f"{org}/departments/")
        page.click(f"main a[href='{org}/departments/new/']")
        page.wait_for_url(f"**{org}/departments/new/")
        v.check()
        page.fill("#id_name", f"浏览器测试组 {code}")
        page.fill("#id_name_en", f"Browser test team {code}")
        page.fill("#id_code", code)
        page.select_option("#id_kind", "business")
        page.select_option("#id_function", "sales")
        (sales_id,) = stack.sql(
            "SELECT d.id FROM departments_department d JOIN departments_organization o "
            "ON o.id = d.organization_id WHERE o.slug = %s AND d.code = 'sales'",
            [stack.org],
        )[0]
        page.select_option("#id_parent", str(sales_id))
        v.submit()
        assert page.url.endswith(f"{org}/departments/")
        row = page.locator("tbody tr", has=page.locator(f"code:text-is('{code}')"))
        assert row.count() == 1
        (dept_id,) = stack.sql(
            "SELECT id FROM departments_department WHERE code = %s AND parent_id = %s",
            [code, sales_id],
        )[0]

        # Apply the sales template to it.
        v.goto(f"{org}/templates/")
        section = page.locator("section", has=page.locator("code:text-is('sales_standard')"))
        section.locator("a[href*='/apply/']").click()
        page.wait_for_url("**/apply/")
        v.check()
        assert page.locator("input[type=checkbox]:checked").count() == 0  # nothing ticked
        page.check(f"input[type=checkbox][value='{dept_id}']")
        v.submit()
        # The preview: what will be created in that department, nothing created yet.
        assert page.locator(f"[data-plan-department='{dept_id}'] li").count() > 0
        assert (
            stack.sql("SELECT count(*) FROM metrics_kpi WHERE department_id = %s", [dept_id])[0][0]
            == 0
        )
        v.submit("button[name=confirm]")
        assert page.locator(".alert-success").count() == 1
        kpi_count = stack.sql(
            "SELECT count(*) FROM metrics_kpi WHERE department_id = %s", [dept_id]
        )
        assert kpi_count[0][0] > 0

        # The KPI grid: change a target and a weight, see the warning, fix it.
        v.goto(f"{org}/departments/{dept_id}/kpis/")
        assert page.locator(".alert-warning").count() == 0
        first = page.locator("main tbody tr").first
        weight = first.locator("input[name$='-weight']")
        original_weight = weight.input_value()
        target = first.locator("input[name$='-target']")
        new_target = "123456" if lang == "en" else "654321"
        target.fill(new_target)
        weight.fill(str(float(original_weight) + 5))
        v.submit("main form[method=post] button.btn-primary")
        warning = page.locator(".alert-warning")
        assert warning.count() == 1 and "100" in warning.inner_text()
        weight = page.locator("main tbody tr").first.locator("input[name$='-weight']")
        weight.fill(original_weight)
        v.submit("main form[method=post] button.btn-primary")
        assert page.locator(".alert-warning").count() == 0
        assert page.locator("main tbody tr").first.locator(
            "input[name$='-target']"
        ).input_value().replace(",", "") in (new_target, f"{new_target}.00", f"{new_target}.0")

        # Generate a fiscal year and lock its first month.
        v.goto(f"{org}/periods/")
        page.fill("#id_fiscal_year", str(year))
        v.submit(f"form[action='{org}/periods/generate/'] button[type=submit]")
        periods = stack.sql(
            "SELECT id, kind, number, status FROM metrics_period WHERE fiscal_year = %s "
            "ORDER BY kind, number",
            [year],
        )
        assert len(periods) == 12 + 4 + 1
        first_month = next(p for p in periods if p[1] == "month" and p[2] == 1)
        said = v.confirm(f"form[action='{org}/periods/{first_month[0]}/lock/'] button")
        assert str(year) in said or "1" in said  # the period, and what locking stops
        status = stack.sql("SELECT status FROM metrics_period WHERE id = %s", [first_month[0]])
        assert status[0][0] == "locked"
        assert page.locator(f"form[action='{org}/periods/{first_month[0]}/reopen/']").count() == 1
    finally:
        context.close()
