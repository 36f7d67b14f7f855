"""Every page of the site that no journey walks through gets the same checks (axe-core, no
console error, charts with their tables, no English left in Chinese), as the admin."""

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser


def first_id(stack, sql):
    return stack.sql(sql, [stack.org])[0][0]


def pages(stack):
    org = f"/o/{stack.org}"
    scoped = "JOIN departments_organization o ON o.id = t.organization_id WHERE o.slug = %s"
    department = first_id(stack, f"SELECT t.id FROM departments_department t {scoped} LIMIT 1")
    indicator = first_id(stack, f"SELECT t.id FROM metrics_indicator t {scoped} LIMIT 1")
    template = first_id(stack, f"SELECT t.id FROM metrics_template t {scoped} LIMIT 1")
    kpi = first_id(stack, f"SELECT t.kpi_id FROM metrics_actual t {scoped} LIMIT 1")
    goal = first_id(stack, f"SELECT t.id FROM reviews_goal t {scoped} LIMIT 1")
    reviewed = first_id(stack, f"SELECT t.department_id FROM reviews_review t {scoped} LIMIT 1")
    management = first_id(
        stack, f"SELECT t.id FROM departments_department t {scoped} AND t.kind = 'management'"
    )
    # The demo's threads (a KPI's is walked by tests/browser/test_threads_journey.py).
    threads = [
        first_id(stack, f"SELECT t.key FROM discussions_thread t {scoped} AND t.kind = '{kind}'")
        for kind in ("scorecard", "feedback", "goal")
    ]
    action = first_id(stack, f"SELECT t.id FROM scorecards_action t {scoped} LIMIT 1")
    (line,) = stack.sql(
        f"SELECT t.kpi_id, t.period_id FROM scorecards_action t {scoped} "  # noqa: S608
        "AND t.kpi_id IS NOT NULL LIMIT 1",
        [stack.org],
    )
    return [
        "/profile/",
        "/accounts/password/change/",
        "/accounts/password/reset/",
        f"{org}/reviews/",
        f"{org}/reviews/{reviewed}/",
        f"{org}/reviews/steps/",
        f"{org}/feedback/",
        f"{org}/feedback/criteria/",
        f"{org}/influence/{management}/",
        "/orgs/",
        f"{org}/",
        f"{org}/settings/",
        f"{org}/settings/sign-on/",
        f"{org}/settings/sign-on/oidc/",
        f"{org}/members/",
        f"{org}/departments/{department}/",
        f"{org}/indicators/",
        f"{org}/indicators/new/",
        f"{org}/indicators/{indicator}/",
        f"{org}/templates/new/",
        f"{org}/templates/{template}/",
        f"{org}/entries/completeness/",
        f"{org}/confirmations/",
        f"{org}/kpis/{kpi}/history/",
        f"{org}/goals/",
        f"{org}/bsc/",
        f"{org}/scorecards/{department}/bsc/",
        f"{org}/goals/new/",
        f"{org}/goals/{goal}/",
        f"{org}/briefings/",
        *(f"{org}/discussions/?subject={key}" for key in threads),
        f"{org}/actions/",
        f"{org}/actions/?mine=on&status=active",
        f"{org}/actions/{action}/",
        f"{org}/actions/red-kpis/",
        f"{org}/actions/new/?subject=kpi:{line[0]}:{line[1]}",
        f"{org}/org-chart/import/",
        f"{org}/channels/",
        f"{org}/channels/new/",
        f"{org}/channels/routes/",
    ]


def journey_pages(stack):
    """The pages the journeys walk through at a laptop's width."""
    org = f"/o/{stack.org}"
    scoped = "JOIN departments_organization o ON o.id = t.organization_id WHERE o.slug = %s"
    department = first_id(stack, f"SELECT t.department_id FROM metrics_kpi t {scoped} LIMIT 1")
    kpi = first_id(stack, f"SELECT t.kpi_id FROM metrics_actual t {scoped} LIMIT 1")
    return [
        f"{org}/dashboard/",
        f"{org}/departments/",
        f"{org}/departments/new/",
        f"{org}/templates/",
        f"{org}/departments/{department}/kpis/",
        f"{org}/periods/",
        f"{org}/entries/",
        f"{org}/entries/upload/",
        f"{org}/scorecards/{department}/",
        f"{org}/kpis/{kpi}/",
    ]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_every_other_page_passes_the_checks(stack, browser, axe_source, lang):
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("admin")
        for path in pages(stack):
            v.goto(path)
    finally:
        context.close()


def test_every_page_fits_a_phone(stack, browser, axe_source):
    """At 375 px nothing widens the page (wide tables scroll inside their own box), and the
    checks still pass."""
    context = browser.new_context(
        locale="zh-hans", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, "zh-hans")
    wide = {}
    try:
        v.sign_in("admin")
        for path in pages(stack) + journey_pages(stack):
            v.goto(path)
            # A mobile browser widens its layout viewport to fit a page that is too wide,
            # so compare with the device's width, not innerWidth.
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > 375:
                wide[path] = width
    finally:
        context.close()
    assert not wide, f"pages wider than a phone: {wide}"
