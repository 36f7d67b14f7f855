"""Finance's manager confirms sales revenue in bulk on a phone (issue 19 §3): from the home
page to the queue, two rows ticked, confirmed; in each language (each takes its own two of
the demo's pending values)."""

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser


def pending_rows(stack):
    return stack.sql(
        "SELECT a.id FROM metrics_actual a JOIN departments_organization o "
        "ON o.id = a.organization_id WHERE o.slug = %s AND a.status = 'pending' ORDER BY a.id",
        [stack.org],
    )


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_finance_manager_confirms_values_in_bulk_on_a_phone(stack, browser, axe_source, lang):
    context = browser.new_context(
        locale=lang,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    try:
        v.sign_in("zhou.fang")
        v.goto(f"{org}/")
        # the home page says what awaits, and links to the queue
        with page.expect_navigation():
            page.click(f"[data-home-section='sign-off'] a[href='{org}/confirmations/']")
        v.check()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the queue is {overflow}px wider than a phone"
        boxes = page.locator("input[name=actuals]")
        before = boxes.count()
        assert before >= 2
        chosen = [boxes.nth(i).get_attribute("value").split(":")[0] for i in (0, 1)]
        boxes.nth(0).check()
        boxes.nth(1).check()
        v.submit("button[name=action][value=confirm]")
        assert page.locator(".alert-success").count() == 1
        assert page.locator("input[name=actuals]").count() == before - 2
        left = {str(row[0]) for row in pending_rows(stack)}
        assert not left & set(chosen)
        statuses = stack.sql(
            "SELECT status FROM metrics_actual WHERE id = ANY(%s)", [[int(c) for c in chosen]]
        )
        assert [s for (s,) in statuses] == ["confirmed", "confirmed"]
        # "select all" ticks every row (page.js), and a rejection needs a reason
        page.check("#check-all")
        assert page.locator("input[name=actuals]:checked").count() == before - 2
        v.submit("button[name=action][value=reject]")
        assert page.locator("#reason-error").is_visible()
        assert len(pending_rows(stack)) == len(left)
    finally:
        context.close()
