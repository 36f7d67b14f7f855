"""Action plans on a phone (issue 19): an executive opens, from the home page, the red KPIs
that have no action and follows one to its KPI; a manager adds an action on a red or amber
line of their scorecard and finds it on the line and among their actions. Both languages,
375 px wide: nothing wider than the window."""

import datetime as dt

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser

WIDER_THAN_THE_WINDOW = "document.documentElement.scrollWidth > window.innerWidth + 1"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_an_executive_finds_red_kpis_without_action_and_a_manager_adds_one(
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
        # The executive: home → "red KPIs without an action" → a KPI.
        v.sign_in("executive")
        v.goto(f"{org}/")
        link = page.locator("#red-without-action-link")
        assert link.count() == 1
        with page.expect_navigation():
            link.click()
        v.check()
        assert "/actions/red-kpis/" in page.url
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
        rows = page.locator("table.red-without-action tbody tr")
        assert rows.count() >= 1  # the demo leaves one red KPI without an action
        with page.expect_navigation():
            rows.first.locator("th a").click()
        v.check()
        assert "/kpis/" in page.url
        page.context.clear_cookies()
        context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])

        # The manager of Sales: the scorecard's "Add action" form on a red or amber line.
        v.sign_in("manager")
        (sales,) = stack.sql(
            "SELECT d.id FROM departments_department d JOIN departments_organization o"
            " ON o.id = d.organization_id WHERE o.slug = %s AND d.code = 'sales'",
            [stack.org],
        )
        v.goto(f"{org}/scorecards/{sales[0]}/")
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
        page.click("details.action-add summary")
        title = "下周拜访重点客户" if lang == "zh-hans" else "Visit the key accounts next week"
        page.fill("details.action-add #id_title", title)
        due = dt.date.today() + dt.timedelta(days=14)
        page.fill("details.action-add #id_due_date", due.isoformat())
        v.submit("details.action-add button[type=submit]")
        assert f"/scorecards/{sales[0]}/" in page.url
        assert page.locator(".line-action", has_text=title).count() == 1
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)

        # ... and among their own actions, from where they open it and start on it.
        v.goto(f"{org}/actions/?mine=on&status=active")
        assert not page.evaluate(WIDER_THAN_THE_WINDOW)
        with page.expect_navigation():
            page.locator("table.action-list a", has_text=title).click()
        v.check()
        page.select_option("#id_status", "in_progress")
        v.submit("main form[method=post] button[type=submit]")
        assert page.locator(".action-in_progress").count() >= 1
    finally:
        context.close()
