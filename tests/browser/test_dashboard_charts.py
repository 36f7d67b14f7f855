"""The dashboard read in ten seconds (issue 16 §3), measured in the browser on the demo:
every heatmap row labelled, KPI labels that never overlap at 375 and 1366 px, one colour
per side on every chart, one-line empty states, numbers formatted by the same rule as the
server, and the manager's note beside red and amber lines."""

from decimal import Decimal

import pytest
from django.utils import translation

from metrics.templatetags.metrics_tags import readable

from .journey import Visitor

pytestmark = pytest.mark.browser

# Every <text> of the chart's SVG with its box, and the grid's rectangle in page pixels.
HEATMAP_TEXTS = """() => {
  const el = document.getElementById("heatmap-chart");
  const chart = echarts.getInstanceByDom(el);
  const grid = chart.getModel().getComponent("grid").coordinateSystem.getRect();
  const origin = el.getBoundingClientRect();
  const texts = [...el.querySelectorAll("svg text")].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left - origin.left, right: r.right - origin.left,
            top: r.top - origin.top, bottom: r.bottom - origin.top};
  }).filter(t => t.text.trim() && t.right > t.left);
  return {grid: {x: grid.x, y: grid.y, width: grid.width, height: grid.height},
          rows: chart.getOption().yAxis[0].data.length,
          columns: chart.getOption().xAxis[0].data.length, texts};
}"""

# The colour of each series of each chart drawn on the page, by series name.
SERIES_COLOURS = """() => [...document.querySelectorAll("[id$='-chart']")].map(el => {
  const chart = echarts.getInstanceByDom(el);
  return {id: el.id, series: chart.getOption().series.map((s, i) => {
    const style = chart.getModel().getSeriesByIndex(i).getData().getVisual("style") || {};
    return {name: s.name, type: s.type, colour: style.fill || style.stroke};
  })};
})"""


NEXT_ROW = "xpath=following-sibling::tr[1]"


def _overlaps(a, b, slack=0.5) -> bool:
    return (
        a["left"] < b["right"] - slack
        and b["left"] < a["right"] - slack
        and a["top"] < b["bottom"] - slack
        and b["top"] < a["bottom"] - slack
    )


def _open(stack, browser, axe_source, lang, width) -> tuple:
    context = browser.new_context(locale=lang, viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    return context, page, Visitor(page, stack, axe_source, lang)


def _period(stack, kind: str) -> str:
    """The latest period of a kind, ended (the running month is half entered in the demo),
    whose organization scorecard has both indices."""
    rows = stack.sql(
        "SELECT p.id FROM reviews_orgscorecard s JOIN metrics_period p ON p.id = s.period_id"
        " JOIN departments_organization o ON o.id = s.organization_id WHERE o.slug = %s"
        " AND p.kind = %s AND s.business_index IS NOT NULL"
        " AND s.management_index IS NOT NULL AND (p.kind = 'year' OR p.end < CURRENT_DATE)"
        " ORDER BY p.start DESC LIMIT 1",
        [stack.org, kind],
    )
    assert rows, f"no {kind} with indices in the demo"
    return str(rows[0][0])


@pytest.mark.parametrize("width", [1366, 375])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_heatmap_labels_every_row_and_no_label_overlaps(
    stack, browser, axe_source, lang, width, tmp_path
):
    context, page, v = _open(stack, browser, axe_source, lang, width)
    try:
        v.sign_in("executive")
        for kind in ("month", "year"):
            v.goto(f"/o/{stack.org}/dashboard/?period={_period(stack, kind)}")
            page.locator("#heatmap-chart svg").first.wait_for()
            page.screenshot(path=tmp_path / f"dashboard-{kind}-{lang}-{width}.png", full_page=True)
            found = page.evaluate(HEATMAP_TEXTS)
            grid, texts = found["grid"], found["texts"]
            assert found["rows"] >= 8 and found["columns"] >= 10, found
            # Row labels: left of the grid, one per department, inside the chart.
            row_labels = [
                t
                for t in texts
                if t["right"] <= grid["x"] + 1
                and t["top"] >= grid["y"] - 2
                and t["bottom"] <= grid["y"] + grid["height"] + 2
            ]
            assert len(row_labels) == found["rows"], [t["text"] for t in row_labels]
            # Column labels: below the grid, one per KPI.
            column_labels = [t for t in texts if t["top"] >= grid["y"] + grid["height"] - 1]
            assert len(column_labels) == found["columns"], [t["text"] for t in column_labels]
            # The chart is as tall as its rows: each row at least a line high.
            assert grid["height"] / found["rows"] >= 20
            # No text over another: labels, legend, the lot.
            clashes = [
                (a["text"], b["text"])
                for i, a in enumerate(texts)
                for b in texts[i + 1 :]
                if _overlaps(a, b)
            ]
            assert clashes == [], clashes
            # The page itself does not scroll sideways: a wide heatmap scrolls in its box.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_one_colour_per_side_on_every_chart(stack, browser, axe_source, lang):
    context, page, v = _open(stack, browser, axe_source, lang, 1366)
    try:
        v.sign_in("executive")
        v.goto(f"/o/{stack.org}/dashboard/?period={_period(stack, 'month')}")
        palette = page.evaluate("PerfhubCharts.palette")
        management = "管理部门" if lang == "zh-hans" else "Management"
        business = "业务部门" if lang == "zh-hans" else "Business"
        charts = page.evaluate(SERIES_COLOURS)
        seen = {"management": set(), "business": set()}
        for chart in charts:
            for s in chart["series"]:
                if s["name"] == management:
                    seen["management"].add(s["colour"])
                elif s["name"] == business:
                    seen["business"].add(s["colour"])
        assert seen == {"management": {palette["management"]}, "business": {palette["business"]}}
        # Each department's line in the trend takes its side's colour.
        kinds = {
            name: kind
            for zh, en, kind in stack.sql(
                "SELECT d.name, d.name_en, d.kind FROM departments_department d JOIN"
                " departments_organization o ON o.id = d.organization_id WHERE o.slug = %s",
                [stack.org],
            )
            for name in (zh, en)
        }
        trend = next((c for c in charts if c["id"] == "departments-trend-chart"), None)
        if trend is not None:
            for s in trend["series"]:
                assert s["colour"] == palette[kinds[s["name"]]], s
    finally:
        context.close()


def test_charts_with_nothing_to_say_are_one_line(stack, browser, axe_source):
    """The demo's fiscal year: one period with indices (no trend to draw) and every
    department at 100 % coverage (nothing to read in score against coverage)."""
    context, page, v = _open(stack, browser, axe_source, "en", 375)
    try:
        v.sign_in("executive")
        v.goto(f"/o/{stack.org}/dashboard/?period={_period(stack, 'year')}")
        data = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent)")
        assert sum(v is not None for v in data["trend"]["company"]) < 2
        assert page.locator("#trend-chart").count() == 0
        assert page.locator("#trend-empty").is_visible()
        assert page.locator("#trend-table table").count() == 1  # the numbers stay
        coverages = {p["coverage"] for p in data["scatter"]}
        if len(coverages) == 1:
            assert page.locator("#scatter-chart").count() == 0
            assert "100%" in page.locator("#scatter-empty").inner_text()
        else:
            assert page.locator("#scatter-chart svg").count() >= 1
        for empty in page.locator(".chart-empty").all():
            box = empty.bounding_box()
            assert box is not None and box["height"] < 60  # one line (two on a phone)
    finally:
        context.close()


def test_scatter_points_at_the_same_place_are_spread(stack, browser, axe_source):
    """Points that would sit on one another are drawn apart (their tooltips keep the true
    coverage)."""
    context, page, v = _open(stack, browser, axe_source, "en", 1366)
    try:
        v.sign_in("executive")
        months = stack.sql(
            "SELECT p.id FROM reviews_orgscorecard s JOIN metrics_period p ON p.id = s.period_id"
            " JOIN departments_organization o ON o.id = s.organization_id WHERE o.slug = %s"
            " AND p.kind = 'month' AND s.company_index IS NOT NULL ORDER BY p.start DESC",
            [stack.org],
        )
        drawn = False
        for (period_id,) in months:
            v.goto(f"/o/{stack.org}/dashboard/?period={period_id}")
            if page.locator("#scatter-chart").count():
                drawn = True
                break
        if not drawn:
            pytest.fail("no month of the demo has departments at different coverages")
        points = page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('scatter-chart'))
                 .getOption().series.flatMap(s => s.data)"""
        )
        placed = [(p[0], p[1]) for p in points]
        for i, a in enumerate(placed):
            for b in placed[i + 1 :]:
                assert not (abs(a[0] - b[0]) < 1 and abs(a[1] - b[1]) < 4), (a, b)
        assert all(abs(p[0] - p[3]) <= 10 for p in points)  # near their true coverage
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_chart_formatter_writes_numbers_as_the_server_does(stack, browser, axe_source, lang):
    context, page, v = _open(stack, browser, axe_source, lang, 1366)
    cases = [
        ("5000000", "currency"),
        ("1666666.67", "currency"),
        ("320000000", "currency"),
        ("9999", "currency"),
        ("-25000", "currency"),
        ("12350", "count"),
        ("0.125", "ratio"),
        ("1.005", "ratio"),
        ("85.5", "percent"),
        ("12", "minutes"),
        ("26.347273", "hours"),
        ("3", "days"),
        ("1800000", ""),
        ("99.95", ""),
    ]
    try:
        v.sign_in("executive")
        v.goto(f"/o/{stack.org}/dashboard/?period={_period(stack, 'month')}")
        written = page.evaluate(
            "cases => cases.map(([v, u]) => PerfhubCharts.readable(Number(v), u))",
            [list(c) for c in cases],
        )
        with translation.override(lang):
            expected = [readable(Decimal(value), unit) for value, unit in cases]
        assert written == expected
        if lang == "zh-hans":
            assert "180万" in written
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_notes_beside_red_and_amber_lines(stack, browser, axe_source, lang, tmp_path):
    """The demo's managers wrote a note with each value they entered: every red or amber
    line of a scorecard, of its review and of a KPI's page whose value was entered shows
    its note right under it; computed lines (feedback satisfaction, formulas) and green
    lines show none."""
    context, page, v = _open(stack, browser, axe_source, lang, 375)
    try:
        v.sign_in("executive")
        period = _period(stack, "month")
        red = stack.sql(
            "SELECT l.department_id, l.kpi_id FROM reviews_scorecardline l"
            " JOIN departments_organization o ON o.id = l.organization_id"
            " JOIN metrics_actual a ON a.kpi_id = l.kpi_id AND a.period_id = l.period_id"
            " WHERE o.slug = %s AND l.period_id = %s AND l.status = 'red' AND a.note <> ''"
            " ORDER BY l.department_id LIMIT 1",
            [stack.org, int(period)],
        )
        assert red, "no red line with a note in the demo's latest month"
        department, kpi = red[0]
        noted = {
            row[0]
            for row in stack.sql(
                "SELECT l.kpi_id FROM reviews_scorecardline l"
                " JOIN metrics_actual a ON a.kpi_id = l.kpi_id AND a.period_id = l.period_id"
                " WHERE l.department_id = %s AND l.period_id = %s"
                " AND l.status IN ('red', 'amber') AND a.note <> ''",
                [department, int(period)],
            )
        }
        assert kpi in noted
        for url in (
            f"/o/{stack.org}/scorecards/{department}/?period={period}",
            f"/o/{stack.org}/reviews/{department}/?period={period}",
        ):
            v.goto(url)
            rows = page.locator(
                "main tbody tr:has(.badge.status-red), main tbody tr:has(.badge.status-amber)"
            )
            shown = set()
            for i in range(rows.count()):  # the note on the row right under the line
                href = rows.nth(i).locator("a[href*='/kpis/']").first.get_attribute("href")
                line_kpi = int(href.split("/kpis/")[1].split("/")[0])
                notes = rows.nth(i).locator(NEXT_ROW).locator(".line-note").count()
                assert (notes >= 1) == (line_kpi in noted), (url, line_kpi)
                shown.add(line_kpi)
            assert noted <= shown, url
            green = page.locator("main tbody tr:has(.badge.status-green)")
            for i in range(green.count()):
                assert green.nth(i).locator(NEXT_ROW).locator(".line-note").count() == 0, url
            page.screenshot(path=tmp_path / f"notes-{lang}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        v.goto(f"/o/{stack.org}/kpis/{kpi}/")
        rows = page.locator("#kpi-table tbody tr:has(.badge.status-red)")
        assert rows.count() >= 1
        assert rows.first.locator(NEXT_ROW).locator(".line-note").count() >= 1
    finally:
        context.close()
