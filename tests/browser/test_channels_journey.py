"""An admin connects a DingTalk group robot and sends a test message (to the local stand-in
of the platform, which checks the signature), routes the entry reminders to it; HR then
reminds every late department in one click and the group gets the reminder (issue 18).
Both languages, on a phone's width."""

import time

import pytest

from tests.messaging import receiver as R

from .journey import Visitor
from .test_manager_journey import new_context

pytestmark = pytest.mark.browser

NAMES = {"zh-hans": "总部钉钉群", "en": "Head office robot"}
SAID = {  # reminder sent, already reminded today
    "zh-hans": ("已向以下部门的负责人发送提醒", "今天已提醒过"),
    "en": ("Reminder sent to the managers of", "Already reminded today"),
}


@pytest.fixture(scope="module")
def platform(stack):
    receiver, server = R.start(stack.receiver_port)
    yield receiver
    server.shutdown()
    server.server_close()


def _wait(predicate, what, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_admin_sets_up_a_channel_and_hr_reminds_all_late(
    stack, browser, axe_source, platform, lang
):
    org = f"/o/{stack.org}"
    context = new_context(browser, stack, lang, viewport={"width": 375, "height": 900})
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("admin")
        v.goto(f"{org}/channels/")
        page.click(f"main a[href='{org}/channels/new/']")
        page.wait_for_url("**/channels/new/")
        v.check()
        page.select_option("select[name=kind]", "dingtalk")
        page.fill("input[name=name]", NAMES[lang])
        page.fill("input[name=webhook_url]", platform.dingtalk_url())
        page.fill("input[name=secret]", R.DING_SECRET)
        v.submit("main form[novalidate] button[type=submit]")
        assert "/channels/new/" not in page.url, page.locator(".invalid-feedback").all_inner_texts()
        channel_id = page.url.rstrip("/").rsplit("/", 1)[1]
        html = page.content()
        assert R.DING_SECRET not in html and R.TOKEN not in html  # never shown back
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        before = len(platform.accepted("dingtalk"))
        v.submit("#send-test")
        # The worker sends it; the platform checks the signature; the page shows "sent".
        _wait(lambda: len(platform.accepted("dingtalk")) > before, "the test message")

        def shown_sent():
            page.reload()
            return page.locator("[data-delivery-status='sent']").count() > 0

        _wait(shown_sent, "the delivery shown as sent")
        v.check()
        # Route the entry reminders to the robot (the matrix at 375 px).
        v.goto(f"{org}/channels/routes/")
        for kind in ("entry_due_soon", "entry_overdue"):
            page.check(f"input[name='route-{kind}-{channel_id}']")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        v.submit("main form button[type=submit]")
        assert page.is_checked(f"input[name='route-entry_overdue-{channel_id}']")
    finally:
        context.close()

    context = new_context(browser, stack, lang, viewport={"width": 375, "height": 900})
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("hr")
        late = page.locator("[data-todo='late'] a[href*='/entries/completeness/']")
        if late.count() == 0:
            pytest.fail("the demo has no department late for the current month")
        v.goto(late.first.get_attribute("href"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        before = len(platform.accepted("dingtalk"))
        said = v.confirm("#remind-all")
        assert said.strip()
        alerts = " ".join(page.locator("main .alert").all_inner_texts())
        reminded, already = SAID[lang]
        assert reminded in alerts or already in alerts, alerts
        if reminded in alerts:  # (another journey may have reminded them today already)
            _wait(lambda: len(platform.accepted("dingtalk")) > before, "the group reminder")
        # Again: nothing is sent twice the same day.
        v.confirm("#remind-all")
        alerts = " ".join(page.locator("main .alert").all_inner_texts())
        assert already in alerts, alerts
    finally:
        context.close()
