"""An admin on a phone (375 px), in Chinese and in English, allow-lists the address of a
CSV export, adds a feed reading it, dry-runs it (nothing saved, the changes listed), runs it
for real and sees the run's counts (issue 20 part 4). The CSV is served by a loopback HTTP
server of this test (tests/feeds/sources.py); the stack's worker reads it."""

import datetime as dt
import time

import pytest

from tests.feeds.sources import Answer, csv_bytes, start_file_server

from .journey import Visitor
from .test_manager_journey import new_context

pytestmark = pytest.mark.browser


@pytest.fixture
def files():
    state, server = start_file_server()
    yield state
    server.shutdown()
    server.server_close()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _wait_for_result(page, seconds=60) -> None:
    """The detail page polls the unfinished run (htmx) until its result shows."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if page.locator("#run-result .alert").count():
            return
        time.sleep(0.5)
    raise AssertionError("the run did not finish: " + page.locator("main").inner_text())


NAMES = {"zh-hans": ("CRM 客户数", 47), "en": ("CRM customers", 48)}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_admin_sets_up_a_csv_feed_dry_runs_and_runs_it(stack, browser, axe_source, files, lang):
    name, value = NAMES[lang]
    org = f"/o/{stack.org}"
    today = dt.date.today().isoformat()
    url = files.serve(
        "/crm/customers.csv", Answer(body=csv_bytes([("sales", "new_customers", today, value)]))
    )
    context = new_context(browser, stack, lang, viewport={"width": 375, "height": 900})
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("admin")
        v.goto(f"{org}/feeds/")
        assert _fits(page)
        page.click(f"main a[href='{org}/feeds/addresses/']")
        page.wait_for_url("**/feeds/addresses/")
        v.check()
        if page.locator("main table code", has_text="127.0.0.1").count() == 0:
            page.fill("input[name=address]", "127.0.0.1")
            v.submit("#allow-address")
        assert page.locator("main table code", has_text="127.0.0.1").count() == 1
        assert _fits(page)
        v.goto(f"{org}/feeds/new/")
        page.fill("input[name=name]", name)
        page.select_option("select[name=kind]", "file")
        page.fill("input[name=url]", url + "?token=s3cret-token")
        page.fill("input[name=department_column]", "dept")
        page.fill("input[name=kpi_column]", "indicator")
        page.fill("input[name=period_column]", "period")
        page.fill("input[name=value_column]", "amount")
        page.fill("input[name=schedule]", "0 6 * * *")
        assert _fits(page)
        v.submit("#save-feed")
        assert "/feeds/new/" not in page.url, page.locator(".invalid-feedback").all_inner_texts()
        assert "s3cret-token" not in page.content()  # the address is never shown back
        assert _fits(page)
        v.submit("#dry-run")
        _wait_for_result(page)
        assert page.locator("#run-result .alert-success").count() == 1
        changes = page.locator("#run-changes tbody tr")
        assert changes.count() == 1 and str(value) in changes.first.inner_text()
        v.check()
        assert _fits(page)
        v.submit("#run-now")
        _wait_for_result(page)
        assert page.locator("#run-result .alert-success").count() == 1
        page.reload()  # the list of runs below is drawn with the page, not polled
        latest = page.locator("#feed-runs tbody tr").first.locator("td")
        # Read, new, changed, refused of the real run: one row read, saved as new or a change.
        read, new, changed, refused = (latest.nth(i).inner_text() for i in (2, 3, 4, 5))
        assert read == "1" and refused == "0" and int(new) + int(changed) in (0, 1)
        v.check()
        assert _fits(page)
        assert files.requests.count("/crm/customers.csv?token=s3cret-token") == 2
    finally:
        context.close()
