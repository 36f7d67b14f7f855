"""Feedback at month-end on a phone (issue 19 §4): Sales' manager rates a management
department on each criterion at 375 px, with a comment on one criterion, in both languages;
HR then sees who rated and the page says so; the criteria settings page fits the phone too."""

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser

WIDTH = 375


def _ids(stack):
    """(sales id, HR department id, the open months latest first, the support criteria)."""
    departments = dict(
        stack.sql(
            "SELECT d.code, d.id FROM departments_department d JOIN departments_organization o "
            "ON o.id = d.organization_id WHERE o.slug = %s",
            [stack.org],
        )
    )
    months = [
        row[0]
        for row in stack.sql(
            "SELECT p.id FROM metrics_period p JOIN departments_organization o "
            "ON o.id = p.organization_id WHERE o.slug = %s AND p.kind = 'month' "
            "AND p.status = 'open' AND p.start <= now() ORDER BY p.start DESC",
            [stack.org],
        )
    ]
    criteria = [
        row[0]
        for row in stack.sql(
            "SELECT c.id FROM reviews_feedbackcriterion c JOIN departments_organization o "
            "ON o.id = c.organization_id WHERE o.slug = %s AND c.is_active "
            "AND c.applies_to IN ('both', 'support') ORDER BY c.position, c.id",
            [stack.org],
        )
    ]
    return departments["sales"], departments["hr"], months, criteria


def _phone(browser, stack, lang):
    context = browser.new_context(
        locale=lang,
        viewport={"width": WIDTH, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    return context


def _fits(page):
    overflow = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth]"
    )
    assert max(overflow) <= WIDTH, f"horizontal overflow: {overflow}"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_manager_rates_each_criterion_on_a_phone_and_hr_sees_who(stack, browser, axe_source, lang):
    sales, hr_dept, months, criteria = _ids(stack)
    month = months[0 if lang == "zh-hans" else 1]
    values = ["5", "3", "4"] if lang == "zh-hans" else ["2", "4", "3"]
    comment = "审批很快" if lang == "zh-hans" else "Approvals were quick"
    context = _phone(browser, stack, lang)
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("manager")
        v.goto(f"/o/{stack.org}/feedback/?period={month}")
        _fits(page)
        row = page.locator(f'fieldset[data-row="{sales}-{hr_dept}"]')
        selects = row.locator("select.rating-select")
        assert selects.count() == len(criteria) == 3
        for i, criterion in enumerate(criteria):
            select = page.locator(f"#r-{sales}-{hr_dept}-{criterion}")
            box = select.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
            assert box["height"] >= 24, box
            select.select_option(values[i])
        if not row.locator("details").evaluate("d => d.open"):  # open when it has comments
            row.locator("summary").tap()
        note = page.locator(f"#c-{sales}-{hr_dept}-{criteria[0]}")
        note.tap()
        note.fill(comment)
        v.submit("main form button[type=submit]")
        assert page.locator(".alert-success, [role=status]").count() >= 1
        saved = stack.sql(
            "SELECT r.rating, r.comment FROM reviews_feedbackrating r "
            "JOIN reviews_feedback f ON f.id = r.feedback_id "
            "JOIN reviews_feedbackcriterion c ON c.id = r.criterion_id "
            "WHERE f.rater_department_id = %s AND f.rated_department_id = %s "
            "AND f.period_id = %s ORDER BY c.position, c.id",
            [sales, hr_dept, month],
        )
        assert saved == [
            (int(values[0]), comment),
            (int(values[1]), ""),
            (int(values[2]), ""),
        ]
        context.clear_cookies()
        context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
        v.sign_in("hr")
        v.goto(f"/o/{stack.org}/feedback/?period={month}")
        _fits(page)
        assert page.locator("[data-raters-notice]").is_visible()
        card = page.locator(f'[data-received="{hr_dept}"]')
        assert comment in card.inner_text() and "小明" in card.inner_text()
        v.goto(f"/o/{stack.org}/feedback/criteria/")
        _fits(page)
    finally:
        context.close()
