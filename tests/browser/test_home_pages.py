"""The home page of each role (issue 16 §1), the first screen after sign-in, in both
languages at 375 and 1366 px: its sections, counts and links, nothing wider than the
screen, HR's "remind all late" behind its confirmation. Screenshots are written to
$PERFHUB_SCREENSHOTS (if set) to be looked at."""

import os
from pathlib import Path

import pytest

from .journey import Visitor

pytestmark = pytest.mark.browser

SECTIONS = {"manager": "manager", "hr": "hr", "executive": "executive"}
SHOTS = os.environ.get("PERFHUB_SCREENSHOTS")


@pytest.mark.parametrize("width", [375, 1366])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ["manager", "hr", "executive"])
def test_home_page_of_each_role(stack, browser, axe_source, role, lang, width):
    context = browser.new_context(locale=lang, viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "django_language", "value": lang, "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in(role)  # "/" leads to the organization's home page
        assert page.url.rstrip("/").endswith(f"/o/{stack.org}")
        section = page.locator(f"[data-home-section='{SECTIONS[role]}']")
        assert section.count() == 1
        # One role, one section; besides it, only the values waiting for this person's
        # sign-off (or rejected back to them), which any role may have.
        roles = page.locator("[data-home-section]:not([data-home-section='sign-off'])")
        assert roles.count() == 1
        sign_off = page.locator("[data-home-section='sign-off']")
        if sign_off.count():
            assert int(sign_off.locator("[data-count]").get_attribute("data-count")) > 0
            assert sign_off.locator("li a").count() >= 1
        count = int(section.locator("[data-count]").get_attribute("data-count"))
        assert count >= 0
        # Every to-do item is a link or says there is nothing to do; each link leads in.
        assert section.locator("li").count() >= 2
        # Nothing in the page's content is wider than the screen.
        assert page.evaluate(
            "() => document.querySelector('main').scrollWidth <= window.innerWidth"
        ), "the home page is wider than the screen"
        if role == "executive":
            indices = section.locator("[data-index]")
            assert indices.count() == 3  # the demo has scores
            assert section.locator("[data-direction='up'], [data-direction='down']").count() >= 1
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/home-{role}-{lang}-{width}.png", full_page=True)
        links = section.locator("a[href^='/o/']")
        if links.count():
            v.goto(links.first.get_attribute("href"))
    finally:
        context.close()


def test_hr_reminds_all_late_after_confirming(stack, browser, axe_source):
    context = browser.new_context(locale="en", viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "en", "url": stack.base_url}])
    page = context.new_page()
    v = Visitor(page, stack, axe_source, "en")
    try:
        v.sign_in("hr")
        button = page.locator("[data-todo='late'] form button")
        if button.count() == 0:
            pytest.fail("the demo has no department late for the current month")
        said = v.confirm("[data-todo='late'] form button")
        assert "Remind the managers of" in said
        alerts = page.locator("main .alert").all_inner_texts()
        assert any("Reminder sent" in a or "Already reminded today" in a for a in alerts), alerts
        # Again: once a day per department, nothing is sent twice.
        v.confirm("[data-todo='late'] form button")
        alerts = page.locator("main .alert").all_inner_texts()
        assert any("Already reminded today" in a for a in alerts), alerts
        assert not any("Reminder sent" in a for a in alerts), alerts
    finally:
        context.close()
