"""A manager answers in a KPI's thread at 375 px (issue 19): opens the reply form under the
first post, types "@" and the start of HR's name, picks HR from the autocomplete, writes and
sends; the reply shows the mention as HR's name, HR is told once, and the manager edits the
reply (its earlier text kept behind "edited"). In both languages, each with its own text."""

import pytest

from .journey import Visitor
from .test_manager_journey import new_context

pytestmark = pytest.mark.browser

THREAD_SQL = """
SELECT t.kpi_id, t.period_id, t.key FROM discussions_thread t
JOIN departments_organization o ON o.id = t.organization_id
WHERE o.slug = %s AND t.kind = 'kpi' ORDER BY t.id LIMIT 1
"""
FIRST_POST_SQL = """
SELECT p.id FROM discussions_post p JOIN discussions_thread t ON t.id = p.thread_id
WHERE t.key = %s AND p.parent_id IS NULL ORDER BY p.created_at, p.id LIMIT 1
"""
NOTICES_SQL = """
SELECT count(*) FROM reviews_notification n JOIN auth_user u ON u.id = n.user_id
WHERE u.username = 'hr' AND n.kind = 'thread_mention' AND n.key = %s
"""


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_manager_replies_with_a_mention_picked_from_the_autocomplete(
    stack, browser, axe_source, lang, tmp_path
):
    kpi, period, key = stack.sql(THREAD_SQL, [stack.org])[0]
    (first,) = stack.sql(FIRST_POST_SQL, [key])[0]
    zh = lang == "zh-hans"
    typed, hr_name = ("李", "李娜") if zh else ("h", "李娜")
    text = "请协助核对回款数据。" if zh else "please help check the collections figures."
    changed = (
        "请本周内协助核对回款数据。" if zh else "please check the collections figures this week."
    )
    context = new_context(browser, stack, lang, viewport={"width": 375, "height": 800})
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("manager")
        v.goto(f"/o/{stack.org}/kpis/{kpi}/?period={period}")
        post = page.locator(f"#post-{first}")
        post.locator("details.thread-reply-form > summary").click()
        area = page.locator(f"#reply-{first}-text")
        area.click()
        area.press_sequentially("@" + typed, delay=50)
        option = page.locator(".mention-list [role=option][data-username=hr]")
        option.wait_for()
        assert hr_name in option.inner_text()
        v.check_axe()  # the open list too
        area.press("Enter")
        assert area.input_value() == "@hr "
        area.press_sequentially(text)
        v.submit(f"#post-{first} details button[type=submit]")
        assert f"/kpis/{kpi}/" in page.url and "#post-" in page.url
        reply_id = int(page.url.rsplit("#post-", 1)[1])
        reply = page.locator(f"#post-{reply_id}")
        assert text in reply.inner_text()
        assert reply.locator(".mention[title='@hr']").inner_text() == f"@{hr_name}"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert stack.sql(NOTICES_SQL, [f"post:{reply_id}"])[0][0] == 1  # HR is told once

        reply.locator(f"a[href$='/discussions/posts/{reply_id}/edit/']").click()
        page.wait_for_load_state()
        v.check()
        page.fill("#id_text", f"@hr {changed}")
        v.submit("main form button[type=submit]")
        reply = page.locator(f"#post-{reply_id}")
        assert changed in reply.inner_text()
        reply.locator(".thread-history > summary").click()
        assert text in reply.locator(".thread-history").inner_text()  # the earlier text
        assert stack.sql(NOTICES_SQL, [f"post:{reply_id}"])[0][0] == 1  # still once
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=tmp_path / f"thread-{lang}.png", full_page=True)
    finally:
        context.close()
