"""Names typed by users are data, never markup, on every page that draws charts.

Every department, indicator (name and English name), goal and person of the demo gets a
name carrying HTML that would run script; then, in both languages, with the
Content-Security-Policy enforced and with it bypassed (so the escaping is proven on its
own), every chart of every page with charts shows its tooltip on every data point (ECharts'
showTip, and the mouse swept across it). The test fails when the payload ran (it counts in
`window.__xss`), when its element appears in the page, or when the browser reports a
violation of the policy. The names are put back afterwards."""

from __future__ import annotations

from urllib.parse import urlparse

import psycopg2
import pytest
import redis

from .journey import RECORD_CSP_VIOLATIONS

pytestmark = pytest.mark.browser

RUN = "window.__xss=(window.__xss||0)+1"
PAYLOAD = f"<img src=x class=xss-probe onerror={RUN}>"
SVG_PAYLOAD = f'"><svg class=xss-probe onload="{RUN}">'
# (table, column, what is appended) for every name a chart or page can show.
HOSTILE = [
    ("departments_department", "name", PAYLOAD),
    ("departments_department", "name_en", SVG_PAYLOAD),
    ("metrics_indicator", "name", SVG_PAYLOAD),
    ("metrics_indicator", "name_en", PAYLOAD),
    ("reviews_goal", "title", PAYLOAD),
    ("auth_user", "first_name", PAYLOAD),
    ("auth_user", "last_name", SVG_PAYLOAD),
]
# The mouse sweep's step in pixels: a grid coarse enough to stay quick, fine enough to cross
# every bar, cell and line of a chart.
SWEEP = 60
WATCH = RECORD_CSP_VIOLATIONS + f"window.__xss = 0; window.__payload = {PAYLOAD!r};"

# Every data point of every chart on the page: its tooltip shown by ECharts itself, then the
# mouse swept over the drawing. Returns how many tooltips showed a payload as text.
SHOW_EVERY_TOOLTIP = """async () => {
  const pause = () => new Promise((r) => setTimeout(r, 0));
  let shown = 0, tips = 0;
  for (const el of document.querySelectorAll("[id$='-chart']")) {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) throw new Error(`${el.id}: no chart`);
    const series = chart.getOption().series || [];
    for (let s = 0; s < series.length; s++) {
      const count = (series[s].data || []).length;
      for (let i = 0; i < count; i++) {
        chart.dispatchAction({ type: "showTip", seriesIndex: s, dataIndex: i });
        tips++;
        if (i % 20 === 0) await pause();
        // The tooltip: what ECharts adds to the container beside its drawing.
        const tip = Array.from(el.children).slice(1).map((c) => c.textContent).join(" ");
        if (tip.includes("xss-probe")) shown++;
      }
      chart.dispatchAction({ type: "highlight", seriesIndex: s });
      chart.dispatchAction({ type: "downplay", seriesIndex: s });
    }
    chart.dispatchAction({ type: "hideTip" });
  }
  return { shown, tips };
}"""


def _connect(stack):
    url = urlparse(stack.db_url)._replace(scheme="postgresql").geturl()
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def _renew_cached_pages(stack) -> None:
    """New version tokens: the dashboard's cached bodies were built from the old names."""
    client = redis.Redis.from_url(stack.redis_url)
    for key in client.scan_iter("*perfhub:version:*"):
        client.delete(key)


@pytest.fixture
def hostile_names(stack):
    conn = _connect(stack)
    saved = {}
    try:
        with conn.cursor() as cur:
            for table, column, payload in HOSTILE:
                cur.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608 - constants
                saved[(table, column)] = cur.fetchall()
                cur.execute(
                    f"UPDATE {table} SET {column} = "  # noqa: S608 - constants
                    f"left(coalesce(nullif({column}, ''), 'X'), 40) || %s",
                    [payload],
                )
        _renew_cached_pages(stack)
        yield
    finally:
        with conn.cursor() as cur:
            for (table, column), rows in saved.items():
                cur.executemany(
                    f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                    [(value, pk) for pk, value in rows],
                )
        conn.close()
        _renew_cached_pages(stack)


def chart_pages(stack) -> list[str]:
    """Every page with charts, for the demo's data."""

    def first(sql):
        return stack.sql(sql, [stack.org])[0][0]

    org = f"/o/{stack.org}"
    scoped = "JOIN departments_organization o ON o.id = t.organization_id WHERE o.slug = %s"
    kpi = first(f"SELECT t.kpi_id FROM reviews_scorecardline t {scoped} LIMIT 1")
    department = first(f"SELECT t.department_id FROM reviews_scorecard t {scoped} LIMIT 1")
    reviewed = first(f"SELECT t.department_id FROM reviews_review t {scoped} LIMIT 1")
    management = first(
        f"SELECT t.id FROM departments_department t {scoped} AND t.kind = 'management'"
    )
    # The latest month with indices: every dashboard chart has something to say there (the
    # default period may draw fewer, the others being one-line empty states).
    month = first(
        "SELECT t.period_id FROM reviews_orgscorecard t JOIN metrics_period p"
        " ON p.id = t.period_id JOIN departments_organization o ON o.id = t.organization_id"
        " WHERE o.slug = %s AND p.kind = 'month' AND t.company_index IS NOT NULL"
        " ORDER BY p.start DESC LIMIT 1"
    )
    return [
        f"{org}/dashboard/",
        f"{org}/dashboard/?period={month}",
        f"{org}/kpis/{kpi}/",
        f"{org}/kpis/{kpi}/?kind=quarter",
        f"{org}/influence/{management}/",
        # The strategy map: goal titles and KPI names as labels and tooltips.
        f"{org}/bsc/?period={month}",
        # Pages that list the same names as text.
        f"{org}/scorecards/{department}/",
        f"{org}/departments/",
        f"{org}/members/",
        f"{org}/goals/",
        f"{org}/reviews/",
        f"{org}/reviews/{reviewed}/",
    ]


@pytest.mark.parametrize("csp", ["enforced", "bypassed"])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_hostile_names_stay_text_in_every_chart_and_tooltip(
    stack, browser, hostile_names, lang, csp
):
    context = browser.new_context(
        locale=lang, viewport={"width": 1280, "height": 900}, bypass_csp=csp == "bypassed"
    )
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    context.add_init_script(WATCH)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    try:
        page.goto(f"{stack.base_url}/accounts/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "perfhub-demo")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        total_shown = total_tips = charts = 0
        for path in chart_pages(stack):
            response = page.goto(f"{stack.base_url}{path}")
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("load")
            on_page = page.locator("[id$='-chart']")
            charts += on_page.count()
            if on_page.count():
                # The names are on the page, as text.
                assert "xss-probe" in page.evaluate("document.body.textContent"), path
                page.wait_for_function("typeof echarts !== 'undefined'")
                result = page.evaluate(SHOW_EVERY_TOOLTIP)
                total_shown += result["shown"]
                total_tips += result["tips"]
                # The mouse across every chart (every data point's tooltip was shown above;
                # this catches what only hovering draws, e.g. axis pointers and emphasis).
                for i in range(on_page.count()):
                    on_page.nth(i).scroll_into_view_if_needed()
                    box = on_page.nth(i).bounding_box()
                    for x in range(10, int(box["width"]), SWEEP):
                        for y in range(10, int(box["height"]), SWEEP):
                            page.mouse.move(box["x"] + x, box["y"] + y)
            # The dashboard's tables that come when opened.
            for details in page.locator("details[hx-get]").all():
                details.locator("summary").click()
                details.locator("table").wait_for()
            ran = page.evaluate("window.__xss")
            injected = page.locator("img[src='x'], .xss-probe").count()
            violations = page.evaluate("window.__cspViolations")
            assert (ran, injected, violations) == (0, 0, []), (path, ran, injected, violations)
        assert not errors, errors
        print(f"{lang}, policy {csp}: {charts} charts, {total_tips} tooltips, {total_shown} names")
        # Not vacuous: every chart was drawn and tooltips did show the names, as text.
        assert charts >= 8 and total_tips >= 100 and total_shown >= 20, (
            charts,
            total_tips,
            total_shown,
        )
    finally:
        context.close()
