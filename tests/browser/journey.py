"""What every journey does on every page it visits: no console error, no failed request,
no serious or critical axe-core violation, every chart with its table, and, in Chinese, no
English interface string left untranslated."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polib

from devtools.demo import DEMO_TEXTS

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Words that are the same in both languages: product names, file formats, the language
# switch (which names the *other* language in its own script), units and codes.
SAME_IN_BOTH = {
    "PerfHub",
    "Excel",
    "CSV",
    "English",
    "KPI",
    "KPIs",
    "ID",
    "HR",
    "R&D",
    "ECharts",
    # A protocol's name, written the same in Chinese.
    "OpenID Connect",
    ".xlsx",
}
# The page's visible text less data that is not interface: codes (`<code>`), text marked
# `translate="no"` and text in another language on purpose (`lang="en"` on the switch).
VISIBLE_UI_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('code, kbd, script, style, [translate=no], [lang]').forEach(
    n => n.remove());
  return body.innerText;
}"""
# The demo's notes, feedback comments and reviews are bilingual data ("月度数据 / Monthly
# figure"), not interface.
DEMO_DATA_TEXT = tuple(sorted(DEMO_TEXTS, key=len, reverse=True))
# The copy of axe-core among the static files (collected with the app's own).
AXE_URL = "/static/vendor/axe-core-4.14.1/axe.min.js"
# Every report of the Content-Security-Policy on the page, from its very start.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.effectiveDirective} refused ${e.blockedURI || "inline"} at ${e.sourceFile}:` +
  `${e.lineNumber}: ${e.sample}`));
"""
# English msgids shorter than this are too ambiguous to look for in page text ("Add", "OK").
MIN_LENGTH = 4


@cache
def english_ui_strings() -> tuple[str, ...]:
    """The English msgids of the catalogue that a Chinese page must not show verbatim.

    Placeholders are cut out: only the literal fragments between them count, when they are
    long enough to mean something on their own."""
    found = set()
    for entry in polib.pofile(str(PO)):
        if entry.obsolete or not entry.msgstr and not entry.msgstr_plural:
            continue
        for text in (entry.msgid, entry.msgid_plural):
            if not text:
                continue
            for fragment in re.split(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}|\{[^}]*\}", text):
                fragment = fragment.strip(" .,:;·()“”\"'–—-\n")
                if (
                    len(fragment) >= MIN_LENGTH
                    and re.search(r"[A-Za-z]{3}", fragment)
                    and fragment not in SAME_IN_BOTH
                ):
                    found.add(fragment)
    return tuple(sorted(found, key=len, reverse=True))


def english_left_in(text: str) -> list[str]:
    """English interface strings found, as whole words, in a page's visible text."""
    hits = []
    for fragment in english_ui_strings():
        if re.search(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])", text):
            hits.append(fragment)
    return hits


class Visitor:
    """A signed-in person in one language with one browser page."""

    def __init__(self, page, stack, axe_source: str, lang: str):
        self.page = page
        self.stack = stack
        self.axe_source = axe_source
        self.lang = lang
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.visited: list[str] = []
        page.on(
            "console",
            lambda m: (
                self.console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: self.console_errors.append(f"{page.url}: {e}"))
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )

    @property
    def org_url(self) -> str:
        return f"{self.stack.base_url}/o/{self.stack.org}/"

    def goto(self, path: str) -> None:
        url = path if path.startswith("http") else f"{self.stack.base_url}{path}"
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        self.check()

    def sign_in(self, username: str) -> None:
        self.page.goto(f"{self.stack.base_url}/accounts/login/")
        self.check()
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "perfhub-demo")
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()
        assert "/accounts/login/" not in self.page.url, "sign-in failed"
        self.check()

    def submit(self, selector: str = "main button[type=submit]") -> None:
        """Click a submit button and check the page it leads to."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check()

    def confirm(self, selector: str) -> str:
        """Click a button whose form asks first (data-confirm, static/perfhub/confirm.js):
        the dialog must open with its text, and nothing is sent before "Confirm". Returns
        the dialog's text; checks the page the confirmation leads to."""
        url = self.page.url
        self.page.click(selector)
        dialog = self.page.locator("#confirm-dialog[open]")
        dialog.wait_for()
        text = dialog.locator("[data-confirm-text]").inner_text()
        assert text.strip(), "the confirmation says nothing"
        assert self.page.url == url  # nothing sent yet
        with self.page.expect_navigation():
            dialog.locator("[data-confirm-ok]").click()
        self.check()
        return text

    # --- the checks on every page ----------------------------------------------------
    def check(self) -> None:
        self.page.wait_for_load_state("load")
        self.visited.append(self.page.url)
        assert not self.failed, self.failed
        assert not self.console_errors, self.console_errors
        violations = self.page.evaluate("window.__cspViolations || []")
        assert not violations, f"Content-Security-Policy on {self.page.url}: {violations}"
        assert self.page.locator("html").get_attribute("lang") == self.lang
        self.check_axe()
        self.check_charts_have_tables()
        if self.lang == "zh-hans":
            text = self.page.evaluate(VISIBLE_UI_TEXT)
            for data in DEMO_DATA_TEXT:
                text = text.replace(data, "")
            left = english_left_in(text)
            assert not left, f"English left on {self.page.url}: {left}"

    def check_axe(self) -> None:
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # From the site's own static files: the Content-Security-Policy refuses an
            # inline script.
            self.page.add_script_tag(url=f"{self.stack.base_url}{AXE_URL}")
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"
        )
        assert not result, f"axe on {self.page.url}: {result}"

    def check_charts_have_tables(self) -> None:
        """Every chart container renders (an SVG or canvas inside it) and names, in
        `data-table`, the table on the page with the same numbers."""
        charts = self.page.locator("[id$='-chart']")
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.locator("svg, canvas").first.wait_for(state="attached", timeout=10_000)
            assert chart.get_attribute("role") == "img"
            assert chart.get_attribute("aria-label")
            table_id = chart.get_attribute("data-table")
            assert table_id, f"chart {chart.get_attribute('id')} names no table (data-table)"
            table = self.page.locator(f"#{table_id}")
            assert table.count() == 1, f"chart {chart.get_attribute('id')}: no #{table_id}"
            # A table on the page, or a <details> that loads it when opened (the heatmap's).
            assert table.evaluate(
                "el => el.matches('table') || !!el.querySelector('table')"
                " || (el.matches('details') && el.hasAttribute('hx-get'))"
            ), f"#{table_id} is not a table"
