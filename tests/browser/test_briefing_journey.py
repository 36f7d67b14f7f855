"""The executive makes the month's briefing book for the meeting (issue 17): from the
dashboard to the briefings page, asks for the book, watches it being made by the worker
(the list refreshes itself), downloads the PDF and finds the month's numbers and names in
it; the demo's own book is listed too."""

import subprocess

import pytest

from .journey import Visitor
from .test_manager_journey import new_context

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_executive_makes_and_downloads_the_briefing_book(
    stack, browser, axe_source, lang, tmp_path
):
    context = new_context(browser, stack, lang, viewport={"width": 375, "height": 900})
    page = context.new_page()
    v = Visitor(page, stack, axe_source, lang)
    try:
        v.sign_in("executive")
        v.goto(f"/o/{stack.org}/dashboard/")
        page.click("#briefings-link")
        page.wait_for_url("**/briefings/**")
        v.check()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        before = page.locator("#briefings tbody tr").count()
        assert before >= 1  # the demo's book
        page.select_option("select[name=language]", lang)
        v.submit("main button[value=request]")
        rows = page.locator("#briefings tbody tr")
        assert rows.count() == before + 1
        # The worker makes it; the list refreshes itself until the link appears.
        link = rows.first.locator("a[href$='download.pdf']")
        link.wait_for(timeout=90_000)
        with page.expect_download() as download:
            link.click()
        path = tmp_path / f"book-{lang}.pdf"
        download.value.save_as(path)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True
        ).stdout.decode()
        if lang == "zh-hans":
            assert "经营简报" in text and "销售部" in text and "管理指数" in text
        else:
            assert "Briefing book" in text and "Sales" in text and "Management index" in text
        v.check()
    finally:
        context.close()
