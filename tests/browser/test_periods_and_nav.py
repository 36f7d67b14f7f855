"""Issue 16 §2 and §4 in a real browser: the one period picker (order, grouping by fiscal
year, the current period preselected, locked months read-only, future periods behind
"show all"), drill-downs that keep the period, and a top bar that never widens a page,
for every role, language and width."""

import re

import pytest

from .journey import Visitor
from .test_every_page import journey_pages, pages

pytestmark = pytest.mark.browser

ROLES = ("admin", "hr", "manager", "executive")
LANGS = ("zh-hans", "en")
WIDTHS = (1366, 375)
# Each visible item of the top bar: how far it reaches and whether its label wrapped.
NAV_ITEMS = """() => [...document.querySelectorAll(
    'nav.navbar .nav-link, nav.navbar .navbar-brand')]
  .filter(el => el.offsetParent !== null)
  .map(el => ({text: el.innerText.trim(), right: el.getBoundingClientRect().right,
               lines: Math.round((el.getBoundingClientRect().height
                 - parseFloat(getComputedStyle(el).paddingTop)
                 - parseFloat(getComputedStyle(el).paddingBottom))
                 / parseFloat(getComputedStyle(el).lineHeight))}))"""
PICKER = """() => [...document.querySelectorAll('#period-pick optgroup')].map(g => ({
  label: g.label,
  options: [...g.querySelectorAll('option')].map(o => ({
    id: o.value, text: o.textContent, selected: o.selected}))}))"""


def org_sql(stack, query, *params):
    return stack.sql(
        query.replace("{org}", "(SELECT id FROM departments_organization WHERE slug = %s)"),
        [stack.org, *params],
    )


def sign_in(page, stack, username):
    page.goto(f"{stack.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "perfhub-demo")
    page.press("#id_password", "Enter")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, "sign-in failed"


def test_no_page_is_wider_than_the_window_for_any_role_language_or_width(stack, browser):
    """`scrollWidth <= innerWidth` on every page the role may open (and on one it may not:
    the 403 page has the same bar), and every item of the bar on one line and on screen (at
    375 px once the menu is opened). One browser, one context per role; each page is
    loaded once per language at 375 px, then the window is widened to 1366 px (charts sized
    at 375 px cannot widen the wider page, so nothing is missed)."""
    paths = pages(stack) + journey_pages(stack)
    wide, wrapped, off_screen = {}, set(), set()
    for role in ROLES:
        context = browser.new_context(viewport={"width": min(WIDTHS), "height": 800})
        page = context.new_page()
        try:
            sign_in(page, stack, role)
            statuses = {p: page.request.get(f"{stack.base_url}{p}").status for p in paths}
            assert set(statuses.values()) <= {200, 403}, (role, statuses)
            refused = [p for p in paths if statuses[p] == 403][:1]
            for lang in LANGS:
                context.add_cookies(
                    [{"name": "django_language", "value": lang, "url": stack.base_url}]
                )
                for path in [p for p in paths if statuses[p] == 200] + refused:
                    page.set_viewport_size({"width": min(WIDTHS), "height": 800})
                    page.goto(f"{stack.base_url}{path}", wait_until="domcontentloaded")
                    assert page.locator("html").get_attribute("lang") == lang
                    for width in sorted(WIDTHS):
                        page.set_viewport_size({"width": width, "height": 800})
                        sizes = page.evaluate(
                            "() => [document.documentElement.scrollWidth, window.innerWidth]"
                        )
                        if sizes[0] > sizes[1]:
                            wide[(role, lang, width, path)] = sizes[0]
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    # The bar of the organization's home page, its menu opened on a phone.
                    page.goto(f"{stack.base_url}/o/{stack.org}/")
                    toggler = page.locator(".navbar-toggler")
                    if toggler.is_visible():
                        toggler.click()
                        page.locator("#nav.show").wait_for()
                    for item in page.evaluate(NAV_ITEMS):
                        if item["lines"] > 1:
                            wrapped.add((role, lang, width, item["text"]))
                        if item["right"] > width:
                            off_screen.add((role, lang, width, item["text"]))
        finally:
            context.close()
    assert not wide, f"pages wider than the window: {wide}"
    assert not wrapped, f"labels of the top bar broken over two lines: {wrapped}"
    assert not off_screen, f"items of the top bar off screen: {off_screen}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_menu_item_is_reachable_with_the_keyboard(stack, browser, axe_source, lang):
    """The grouped menus open with Enter and list their pages (the admin sees the most)."""
    context = browser.new_context(locale=lang, viewport={"width": 1366, "height": 800})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    try:
        v.sign_in("admin")
        v.goto(f"{org}/")
        page.focus("#nav-setup")
        page.keyboard.press("Enter")
        menu = page.locator("[aria-labelledby=nav-setup]")
        menu.wait_for(state="visible")
        hrefs = menu.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert hrefs == [
            f"{org}/departments/",
            f"{org}/org-chart/import/",
            f"{org}/members/",
            f"{org}/settings/",
            f"{org}/settings/sign-on/",
            f"{org}/channels/",
            f"{org}/feeds/",
            f"{org}/indicators/",
            f"{org}/templates/",
            f"{org}/periods/",
            f"{org}/grades/scale/",
            f"{org}/reviews/steps/",
            f"{org}/feedback/criteria/",
        ]
        page.keyboard.press("ArrowDown")  # Bootstrap moves the focus into the menu
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{org}/departments/")
        v.check()
    finally:
        context.close()


def _picker(page):
    return page.evaluate(PICKER)


def _selected(groups):
    return [o for g in groups for o in g["options"] if o["selected"]]


@pytest.mark.parametrize("lang", LANGS)
def test_the_period_picker_newest_first_grouped_locked_read_only_and_show_all(
    stack, browser, axe_source, lang
):
    context = browser.new_context(locale=lang, viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    # The months that have started (a future year generated by the other language's run
    # stays behind "show all").
    months = org_sql(
        stack,
        "SELECT id, fiscal_year, start, status FROM metrics_period "
        "WHERE organization_id = {org} AND kind = 'month' AND start <= now() "
        "ORDER BY start DESC",
    )
    current = org_sql(
        stack,
        "SELECT id FROM metrics_period WHERE organization_id = {org} AND kind = 'month' "
        "AND status = 'open' AND start <= now() ORDER BY start DESC LIMIT 1",
    )[0][0]
    locked = next(m for m in months if m[3] == "locked")
    try:
        v.sign_in("manager")
        v.goto(f"{org}/entries/")
        groups = _picker(page)
        # Grouped by fiscal year, newest first; inside a year the newest month first.
        years = sorted({m[1] for m in months}, reverse=True)
        assert len(groups) == len(years) >= 2
        for group, year in zip(groups, years, strict=True):
            assert str(year) in group["label"]
            ids = [int(o["id"]) for o in group["options"]]
            assert ids == [m[0] for m in months if m[1] == year], group["label"]
        # The current month preselected; locked months listed and marked.
        assert [int(o["id"]) for o in _selected(groups)] == [current]
        locked_text = "已锁定" if lang == "zh-hans" else "locked"
        marked = [o for g in groups for o in g["options"] if locked_text in o["text"]]
        assert str(locked[0]) in [o["id"] for o in marked]
        # Choosing a locked month (the <select> submits itself): read-only, with a note.
        with page.expect_navigation():
            page.select_option("#period-pick", str(locked[0]))
        v.check()
        assert f"period={locked[0]}" in page.url
        assert page.locator("main .alert-secondary[role=status]").is_visible()
        values = page.locator("input.entry-value")
        assert values.count() >= 1
        assert values.evaluate_all("inputs => inputs.every(i => i.disabled)")
        assert page.locator("main form#entry-form button[type=submit]").count() == 0
    finally:
        context.close()

    # HR generates a future fiscal year: its periods stay out of the pickers until "show
    # all" (on the dashboard too, which opens on the latest month with data).
    future_year = max(m[1] for m in months) + 1
    context = browser.new_context(locale=lang, viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("hr")
        if not org_sql(
            stack,
            "SELECT 1 FROM metrics_period WHERE organization_id = {org} AND fiscal_year = %s",
            future_year,
        ):
            v.goto(f"{org}/periods/")
            page.fill("input[name=fiscal_year]", str(future_year))
            v.submit("main form[action$='/periods/generate/'] button[type=submit]")
        v.goto(f"{org}/dashboard/")
        groups = _picker(page)
        assert all(str(future_year) not in g["label"] for g in groups)
        latest_month = org_sql(
            stack,
            "SELECT p.id FROM reviews_orgscorecard s JOIN metrics_period p ON p.id = s.period_id "
            "WHERE s.organization_id = {org} AND p.kind = 'month' "
            "AND s.company_index IS NOT NULL AND p.end < CURRENT_DATE "
            "ORDER BY p.start DESC LIMIT 1",
        )[0][0]
        assert [int(o["id"]) for o in _selected(groups)] == [latest_month]
        # Every period that has not started (the HR journey may have generated more years).
        future = org_sql(
            stack,
            "SELECT count(*) FROM metrics_period WHERE organization_id = {org} "
            "AND start > current_date",
        )[0][0]
        assert future >= 17  # 12 months, 4 quarters and the year
        show_all = page.locator("#period-show-all")
        assert re.search(rf"\b{future}\b", show_all.inner_text())
        listed = sum(len(g["options"]) for g in groups)
        with page.expect_navigation():
            show_all.click()
        v.check()
        groups = _picker(page)
        assert sum(len(g["options"]) for g in groups) == listed + future
        labels = [g["label"] for g in groups]
        assert any(str(future_year) in label for label in labels)
        assert labels == sorted(labels, key=lambda t: re.search(r"\d{4}", t).group(), reverse=True)
        assert [int(o["id"]) for o in _selected(groups)] == [latest_month]
        assert page.locator("#period-show-all").count() == 0
    finally:
        context.close()


def test_drill_downs_keep_the_period_the_user_came_from(stack, browser, axe_source):
    lang = "en"
    context = browser.new_context(locale=lang, viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    org = f"/o/{stack.org}"
    try:
        v.sign_in("executive")
        v.goto(f"{org}/dashboard/")
        groups = _picker(page)
        chosen = _selected(groups)[0]
        # An earlier month than the one the dashboard opened on.
        earlier = next(
            o
            for g in groups
            for o in g["options"]
            if re.fullmatch(r"\d{4}-\d{2}.*", o["text"]) and o["text"] < chosen["text"]
        )
        with page.expect_navigation():
            page.select_option("#period-pick", earlier["id"])
        v.check()
        assert f"period={earlier['id']}" in page.url
        # Dashboard → a department's scorecard → one of its KPIs: the same month all along.
        with page.expect_navigation():
            page.locator("#ranking-table tbody a").first.click()
        v.check()
        assert f"period={earlier['id']}" in page.url
        assert [o["id"] for o in _selected(_picker(page))] == [earlier["id"]]
        with page.expect_navigation():
            page.locator("main tbody a[href*='/kpis/']").first.click()
        v.check()
        assert f"period={earlier['id']}" in page.url
        assert [o["id"] for o in _selected(_picker(page))] == [earlier["id"]]
        # The KPI's window ends with that month.
        last = page.locator("#kpi-table tbody tr th").last.inner_text()
        assert last == earlier["text"].split(" ")[0]
        # The switch to quarters keeps it too.
        with page.expect_navigation():
            page.click("main a[href^='?kind=quarter']")
        v.check()
        assert f"period={earlier['id']}" in page.url and "kind=quarter" in page.url
    finally:
        context.close()
