"""The balanced scorecard (issue 20) on the demo: from the dashboard to the company's page
(four perspectives, the strategy map drawn with its table), down to a department's page and
from its scorecard back, in both languages, at a phone's and a laptop's width."""

import os
from pathlib import Path

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("PERFHUB_SCREENSHOTS")

# The strategy map's nodes and links as ECharts holds them.
STRATEGY = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById("strategy-chart"));
  const series = chart.getOption().series[0];
  return {nodes: series.data.length, links: series.links.length,
          layers: chart.getOption().yAxis[0].data.length};
}"""


@pytest.mark.parametrize("width", [375, 1366])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_executive_reads_the_balanced_scorecard(stack, browser, axe_source, lang, width):
    context = browser.new_context(locale=lang, viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("executive")
        v.goto(f"/o/{stack.org}/dashboard/")
        with page.expect_navigation():
            page.click("#bsc-link")
        v.check()
        assert page.locator(".bsc-perspective").count() == 4
        drawn = page.evaluate(STRATEGY)
        assert drawn["layers"] == 5  # four perspectives and the goals
        assert drawn["nodes"] >= 3 and drawn["links"] >= 2  # the demo's two goals and KPIs
        assert page.locator("#strategy-table tbody tr").count() == drawn["links"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/bsc-company-{lang}-{width}.png", full_page=True)
        with page.expect_navigation():
            page.locator("#bsc-departments tbody a").first.click()
        v.check()
        assert "/bsc/" in page.url
        assert page.locator("section[id^='perspective-']").count() == 4
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/bsc-department-{lang}-{width}.png", full_page=True)
        with page.expect_navigation():
            page.click("#bsc-scorecard-link")
        v.check()
        with page.expect_navigation():
            page.click("#scorecard-bsc-link")
        v.check()
    finally:
        context.close()


def test_manager_sees_only_their_departments(stack, browser, axe_source):
    context = browser.new_context(locale="en", viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "en", "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, "en")
    try:
        v.sign_in("manager")
        v.goto(f"/o/{stack.org}/bsc/")
        rows = page.locator("#bsc-departments tbody tr")
        assert 1 <= rows.count() < 5
    finally:
        context.close()
